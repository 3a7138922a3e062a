// The log lines' time field is the one pino's isoTime writes, at every millisecond of a second and
// across seconds, whatever order the instants come in.

import { describe, expect, it } from "vitest";
import { pino } from "pino";
import { isoTimeField } from "../src/log-time.js";

const reference = (now: number): string => `,"time":"${new Date(now).toISOString()}"`;

describe("the log lines' time field", () => {
  it("is pino's isoTime to the millisecond, at every millisecond of a second and across seconds", () => {
    const base = Date.UTC(2026, 11, 5, 23, 59, 58, 0);
    for (let now = base; now < base + 3_000; now++) expect(isoTimeField(now)).toBe(reference(now));
  });

  it("is right whatever order the instants come in (the cached second is replaced, never reused for another)", () => {
    const instants = [Date.UTC(2026, 0, 1, 0, 0, 1, 999), Date.UTC(2026, 0, 1, 0, 0, 0, 5), Date.UTC(1999, 11, 31, 23, 59, 59, 50), 0, 1, 999, 1000, Date.UTC(275760, 8, 13) - 1, -1, -1500];
    for (const now of [...instants, ...instants.reverse()]) expect(isoTimeField(now)).toBe(reference(now));
  });

  it("matches pino.stdTimeFunctions.isoTime for the current time", () => {
    const now = Date.now();
    const spy = Date.now;
    Date.now = () => now;
    try {
      expect(isoTimeField()).toBe(pino.stdTimeFunctions.isoTime());
    } finally {
      Date.now = spy;
    }
  });
});
