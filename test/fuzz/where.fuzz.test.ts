// Where-filters, fuzzed: a hostile where-object is refused with ENRICHD_SUBSCRIBER_INVALID and
// nothing else; a valid one judges hostile decoded messages without throwing; tag patterns are
// literal but for `*`, whatever characters they hold.

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createDecoder } from "../../src/decode/decoder.js";
import { createTopicTable } from "../../src/decode/topic.js";
import { MESSAGE_KINDS, type MispMessage } from "../../src/decode/types.js";
import { errorCode } from "../../src/errors.js";
import { createRouter, type Router } from "../../src/route/router.js";
import type { FilterQuery, Where } from "../../src/route/types.js";
import { compileTagPattern } from "../../src/route/where.js";
import { fuzzParameters, hostileJson, mutatedPayload, nastyString } from "./arbitraries.js";

const handler = async (): Promise<void> => undefined;
const KEYS = ["type", "category", "toIds", "inObject", "objectName", "tags"];
const QUERIES = ["attribute", "attribute:add", "attribute:edit", "tag", "tag:attached-to-attribute", "event", "publish", "sighting", "object"] as const;

const strings = fc.oneof(nastyString, fc.array(nastyString, { minLength: 1, maxLength: 4 }));
const validWhere: fc.Arbitrary<Where> = fc.record(
  {
    type: strings.filter((v) => (typeof v === "string" ? v !== "" : v.every((s) => s !== ""))),
    toIds: fc.boolean(),
    inObject: fc.boolean(),
    tags: fc.record({ any: fc.array(nastyString.filter((s) => s !== ""), { minLength: 1, maxLength: 3 }), none: fc.array(nastyString.filter((s) => s !== ""), { minLength: 1, maxLength: 3 }) }, { requiredKeys: [] }).filter((t) => Object.keys(t).length > 0),
  },
  { requiredKeys: [] },
);

const hostileWhere: fc.Arbitrary<unknown> = fc.oneof(
  hostileJson,
  fc.dictionary(fc.oneof(fc.constantFrom(...KEYS), nastyString), hostileJson, { maxKeys: 4 }),
  fc.record({ tags: fc.dictionary(fc.oneof(fc.constantFrom("any", "all", "none"), nastyString), hostileJson, { maxKeys: 3 }) }),
);

const decoder = createDecoder({ table: createTopicTable(), wanted: new Set(MESSAGE_KINDS), maxFrameBytes: 1 << 20 });
const hostileMessage: fc.Arbitrary<MispMessage | undefined> = mutatedPayload.map(({ topic, json }) => {
  const outcome = decoder.decodeFrame({ topic, payload: Buffer.from(`${topic} ${JSON.stringify(json) ?? "null"}`), transport: "zmq", receivedAt: 0 });
  return outcome.status === "message" ? outcome.message : undefined;
});

describe("where-filters, fuzzed", () => {
  it("refuse a hostile where-object or query list with ENRICHD_SUBSCRIBER_INVALID, never another error", () => {
    fc.assert(
      fc.property(hostileWhere, fc.array(fc.oneof(fc.constantFrom(...QUERIES), nastyString), { maxLength: 3 }), (where, queries) => {
        try {
          createRouter([{ subscriber: "fuzz", index: 0, queries: queries as FilterQuery[], where: where as Where, handler }]);
        } catch (error) {
          expect(errorCode(error)).toBe("ENRICHD_SUBSCRIBER_INVALID");
        }
      }),
      fuzzParameters,
    );
  });

  it("judge hostile messages without throwing once compiled", () => {
    fc.assert(
      fc.property(validWhere, fc.constantFrom(["attribute"], ["attribute:add", "tag"], ["event", "publish", "sighting"]), fc.array(hostileMessage, { maxLength: 5 }), (where, queries, messages) => {
        let router: Router;
        try {
          router = createRouter([{ subscriber: "fuzz", index: 0, queries: queries as readonly FilterQuery[], where, handler }]);
        } catch (error) {
          // A key that does not apply to the queried kinds is refused at load: fine, and the only refusal.
          expect(errorCode(error)).toBe("ENRICHD_SUBSCRIBER_INVALID");
          return;
        }
        for (const message of messages) {
          if (!message) continue;
          expect(Array.isArray(router.match(message))).toBe(true);
          for (const verdict of router.explain(message)) expect(typeof verdict.matched).toBe("boolean");
        }
      }),
      fuzzParameters,
    );
  });

  it("match a tag pattern literally, `*` aside, whatever characters it holds", () => {
    fc.assert(
      fc.property(nastyString.filter((s) => !s.includes("*")), nastyString, (literal, other) => {
        const matcher = compileTagPattern(literal);
        expect(matcher.test(literal)).toBe(true);
        expect(matcher.test(literal.toUpperCase())).toBe(literal.toUpperCase().toLowerCase() === literal.toLowerCase());
        expect(matcher.test(`${literal}x`)).toBe(false);
        expect(compileTagPattern(`${literal}*`).test(`${literal}${other}`)).toBe(true);
        expect(compileTagPattern("*").test(other)).toBe(true);
      }),
      fuzzParameters,
    );
  });
});
