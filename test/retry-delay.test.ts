import { describe, expect, it } from "vitest";
import { EnrichdError } from "../src/errors.js";
import { parseRetryAfter, retryAfterOf, retryDelayMs } from "../src/retry-delay.js";

describe("retryDelayMs", () => {
  const options = { initialMs: 100, maxMs: 1_000 };

  it("doubles from the initial delay, with half of it jittered, up to the cap", () => {
    expect([1, 2, 3, 4, 5].map((n) => retryDelayMs(n, options, { random: () => 0 }))).toEqual([50, 100, 200, 400, 500]);
    expect([1, 2, 3, 4, 5].map((n) => retryDelayMs(n, options, { random: () => 1 }))).toEqual([100, 200, 400, 800, 1_000]);
  });

  it("waits at least what the server asked for, never past the cap", () => {
    expect(retryDelayMs(1, options, { retryAfterMs: 700, random: () => 1 })).toBe(700);
    expect(retryDelayMs(4, options, { retryAfterMs: 10, random: () => 1 })).toBe(800);
    expect(retryDelayMs(1, options, { retryAfterMs: 86_400_000 })).toBe(1_000);
  });
});

describe("parseRetryAfter", () => {
  const now = Date.parse("2026-11-23T10:00:00Z");

  it("reads delay-seconds", () => {
    expect(parseRetryAfter("1", now)).toBe(1_000);
    expect(parseRetryAfter(" 120 ", now)).toBe(120_000);
    expect(parseRetryAfter(["3", "9"], now)).toBe(3_000);
  });

  it("reads an HTTP-date, a past one as no wait", () => {
    expect(parseRetryAfter("Mon, 23 Nov 2026 10:00:30 GMT", now)).toBe(30_000);
    expect(parseRetryAfter("Mon, 23 Nov 2026 09:00:00 GMT", now)).toBe(0);
  });

  it("keeps an absurd value finite and ignores what it cannot read", () => {
    expect(parseRetryAfter("9".repeat(400), now)).toBe(86_400_000);
    expect(parseRetryAfter("soon", now)).toBeUndefined();
    expect(parseRetryAfter("-5", now)).toBeUndefined();
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
  });
});

describe("retryAfterOf", () => {
  it("reads details.retryAfterMs of a catalogue error only", () => {
    expect(retryAfterOf(new EnrichdError("ENRICHD_MISP_UNAVAILABLE", "busy", { details: { retryAfterMs: 1_000 } }))).toBe(1_000);
    expect(retryAfterOf(new EnrichdError("ENRICHD_MISP_UNAVAILABLE", "busy"))).toBeUndefined();
    expect(retryAfterOf(Object.assign(new Error("x"), { details: { retryAfterMs: 5 } }))).toBeUndefined();
  });
});
