// The MISP client's request paths, fuzzed against a recording HTTP server: whatever id or uuid a
// frame carried (slashes, `..`, `%`, `?`, `#`, template syntax, invalid UTF-16), it arrives as exactly
// one path segment that decodes back to the value, or the call is refused before it is sent.

import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { errorCode } from "../../src/errors.js";
import { wellFormed } from "../../src/json.js";
import { createMetrics } from "../../src/metrics/metrics.js";
import { createMispClient } from "../../src/misp/client.js";
import type { MispClient, ObjectToWrite } from "../../src/misp/types.js";
import { captureLogs } from "../support/log-capture.js";
import { fuzzParameters, nastyString } from "./arbitraries.js";

let server: Server;
let client: MispClient;
/** Raw request targets as the server received them, before any decoding. */
const seen: string[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    seen.push(req.url ?? "");
    req.resume();
    req.on("end", () => res.writeHead(404, { "content-type": "application/json" }).end('{"name":"Not Found","message":"Not Found","url":"/"}'));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  client = createMispClient({
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/misp`,
    key: "k3yk3yk3yk3yk3yk3yk3yk3yk3yk3yk3yk3yk3y0",
    logger: captureLogs().logger,
    metrics: createMetrics(),
    timeoutMs: 5_000,
  });
});

afterAll(async () => {
  await client.close();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

const object = (templateUuid: string): ObjectToWrite => ({
  name: "geolocation", metaCategory: "misc", description: "", templateUuid, templateVersion: "1", uuid: "5a0c4f1e-2b3d-4c5e-8f90-1a2b3c4d5e6f",
  distribution: 5, comment: "misp-enrichd: fuzz", attributes: [],
});

/** Each call the daemon makes with a value in its path: the path's fixed head, and how many values follow. */
const CALLS: readonly { readonly head: string[]; readonly values: number; readonly tail?: string[]; readonly call: (c: MispClient, v: string, w: string) => Promise<unknown> }[] = [
  { head: ["attributes", "view"], values: 1, call: (c, v) => c.viewAttribute(v) },
  { head: ["events", "view"], values: 1, tail: ["includeAttachments:0"], call: (c, v) => c.viewEventReferences(v) },
  { head: ["objects", "add"], values: 2, call: (c, v, w) => c.addObject(v, object(w)) },
  { head: ["objectReferences", "add"], values: 1, call: (c, v) => c.addReference(v, "5a0c4f1e-2b3d-4c5e-8f90-1a2b3c4d5e6f", "related-to") },
  { head: ["attributes", "edit"], values: 1, call: (c, v) => c.editAttribute(v, { comment: "x" }) },
];

const refused = (v: string): boolean => v === "" || /^(\.|%2e){1,2}$/i.test(encodeURIComponent(wellFormed(v)));

describe("the MISP client's paths, fuzzed", () => {
  it("carry a value from a frame as one encoded segment, or refuse it before sending", async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: CALLS.length - 1 }), nastyString, nastyString, async (which, value, other) => {
        const { head, values, tail = [], call } = CALLS[which] as (typeof CALLS)[number];
        const before = seen.length;
        const error = await call(client, value, other).then(
          () => undefined,
          (e: unknown) => e,
        );
        const used = values === 2 ? [value, other] : [value];
        if (used.some(refused)) {
          expect(errorCode(error)).toBe("ENRICHD_MESSAGE_INVALID");
          expect(seen.length).toBe(before);
          return;
        }
        expect(seen.length).toBe(before + 1);
        const target = seen[before] as string;
        expect(target).not.toMatch(/[?#]/);
        const segments = target.split("/").slice(1);
        expect(segments).toHaveLength(1 + head.length + values + tail.length);
        expect(segments.slice(0, 1 + head.length)).toEqual(["misp", ...head]);
        expect(segments.slice(1 + head.length, 1 + head.length + values).map((s) => decodeURIComponent(s))).toEqual(used.map(wellFormed));
        for (const s of segments) expect(s).not.toMatch(/^(\.|%2e){1,2}$/i);
      }),
      fuzzParameters,
    );
  });

  it("refuses a `..` or `.` value before any request (the URL parser would resolve it)", async () => {
    for (const value of ["..", ".", "%2e%2e", ""]) {
      const before = seen.length;
      if (value.startsWith("%")) {
        // Encoded once more on the way ("%252e%252e"): a harmless segment, sent.
        await client.viewAttribute(value).catch(() => undefined);
        expect(seen.at(-1)).toBe("/misp/attributes/view/%252e%252e");
        continue;
      }
      expect(errorCode(await client.viewAttribute(value).catch((e: unknown) => e))).toBe("ENRICHD_MESSAGE_INVALID");
      expect(seen.length).toBe(before);
    }
  });
});
