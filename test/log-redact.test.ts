// The logger's secret keys: the daemon's logger (pino redacting the top level, log-redact.ts one level
// down) must write exactly the line pino writes when it is given every path as a redact path (the
// slow way it did before), on generated log objects and bindings full of secret-named keys.

import fc from "fast-check";
import { Writable } from "node:stream";
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { createLogger, type Logger } from "../src/log.js";
import { REDACTED, SECRET_PATHS, redactNested } from "../src/log-redact.js";
import { fuzzParameters } from "./fuzz/arbitraries.js";

function recorder(): { stream: Writable; lines: string[] } {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      lines.push(chunk.toString());
      callback();
    },
  });
  return { stream, lines };
}

const options = { base: { name: "misp-enrichd" }, timestamp: false, formatters: { level: (label: string) => ({ level: label }) } } as const;

/** The daemon's logger (no secret values to scrub: only the keys are looked at) and pino redacting every path itself. */
function pair(): { ours: Logger; reference: Logger; written: () => [string[], string[]] } {
  const a = recorder();
  const b = recorder();
  const ours = createLogger({ level: "info", destination: a.stream });
  // Same options as createLogger but the timestamp, which would differ between the two lines.
  (ours as unknown as { [k: symbol]: unknown })[pino.symbols.timeSym] = () => "";
  const reference = pino({ ...options, level: "info", redact: { paths: [...SECRET_PATHS], censor: REDACTED } }, b.stream);
  return { ours, reference, written: () => [a.lines, b.lines] };
}

const NAMES = ["key", "apiKey", "password", "authorization", "Authorization", "headers", "moduleConfig", "value", "uuid", "details", "err"];
const leaf = fc.oneof(fc.string({ maxLength: 8 }), fc.integer(), fc.constant(null), fc.constant(undefined), fc.boolean());
const nested: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  node: fc.oneof({ depthSize: "small" }, leaf, fc.dictionary(fc.constantFrom(...NAMES), tie("node"), { maxKeys: 4, noNullPrototype: true }), fc.array(tie("node"), { maxLength: 3 })),
})).node;
const logObject = fc.dictionary(fc.constantFrom(...NAMES), nested, { maxKeys: 6, noNullPrototype: true });

describe("the logger's redaction of secret keys", () => {
  it("writes what pino writes with every path given to its own redaction, for log objects and bindings", async () => {
    const { ours, reference, written } = pair();
    fc.assert(
      fc.property(logObject, logObject, (object, bindings) => {
        ours.child(bindings).info(object, "line");
        reference.child(bindings).info(object, "line");
      }),
      fuzzParameters,
    );
    await new Promise((resolve) => setImmediate(resolve));
    const [mine, theirs] = written();
    expect(mine.length).toBeGreaterThan(0);
    expect(mine).toEqual(theirs);
  });

  it("censors a secret one level down, an authorization header, and a secret on a logged error, and keeps the error's message", async () => {
    const { ours, reference, written } = pair();
    const error = Object.assign(new Error("connection refused"), { password: "hunter22" });
    for (const logger of [ours, reference]) {
      logger.info({ config: { apiKey: "k-123", url: "https://x" }, request: { headers: { authorization: "s3cr3t", accept: "json" } }, err: error }, "call");
    }
    await new Promise((resolve) => setImmediate(resolve));
    const [[mine], [theirs]] = written();
    expect(mine).toBe(theirs);
    const line = JSON.parse(mine as string) as Record<string, Record<string, unknown>>;
    expect(line.config).toEqual({ apiKey: REDACTED, url: "https://x" });
    expect(line.request?.headers).toEqual({ authorization: REDACTED, accept: "json" });
    expect(line.err).toMatchObject({ message: "connection refused", password: REDACTED });
    expect(mine).not.toMatch(/k-123|s3cr3t|hunter22/);
  });

  it("leaves the caller's objects alone, and copies nothing when a line holds no secret", () => {
    const config = { apiKey: "k-123" };
    const line = { config, other: { value: 1 } };
    const redacted = redactNested(line);
    expect(redacted.config).toEqual({ apiKey: REDACTED });
    expect(config.apiKey).toBe("k-123");
    expect(redacted.other).toBe(line.other);
    const clean = { sub: "geolocation", objects: [{ uuid: "u", name: "geolocation" }] };
    expect(redactNested(clean)).toBe(clean);
  });
});
