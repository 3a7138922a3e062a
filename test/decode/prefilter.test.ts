// The prefilter may only drop what the router would never match: checked against the full decoder and
// the router, on the sample corpus and on thousands of random attribute frames (seeded, so a failure
// reproduces), for route sets that open and close each fact the prefilter reads.

import { describe, expect, it } from "vitest";
import { createDecoder } from "../../src/decode/decoder.js";
import { createPrefilter, readAttributeFacts } from "../../src/decode/prefilter.js";
import { createTopicTable } from "../../src/decode/topic.js";
import { MESSAGE_KINDS, type BusFrame } from "../../src/decode/types.js";
import { attributePrefilterSpec } from "../../src/route/prefilter-spec.js";
import { createRouter } from "../../src/route/router.js";
import type { FilterQuery, Where } from "../../src/route/types.js";
import { fixtureJson, wireFrames, zmqFrame } from "./helpers.js";
import { prng } from "@misp-enrichd/standins";

const table = createTopicTable();
const noop = async (): Promise<void> => undefined;

/** Route sets: the shipped subscribers' filters, and ones that close or open each fact. */
const ROUTE_SETS: Readonly<Record<string, readonly { queries: FilterQuery[]; where: Where }[]>> = {
  shipped: [
    { queries: ["attribute:add"], where: { type: ["ip-src", "ip-dst", "ip-src|port", "ip-dst|port"] } },
    { queries: ["attribute:add"], where: { type: ["onion-address"] } },
    { queries: ["tag:attached-to-attribute"], where: { tags: { any: ["workflow:restrict"] } } },
  ],
  standaloneOnly: [{ queries: ["attribute"], where: { type: "domain", inObject: false } }],
  objectsOnly: [
    { queries: ["attribute:add"], where: { inObject: true, type: ["ip-dst", "text"] } },
    { queries: ["attribute:edit"], where: { objectName: "geolocation" } },
  ],
  anyType: [{ queries: ["attribute:add"], where: { category: "Network activity" } }, { queries: ["attribute:edit"], where: { type: "md5" } }],
  everything: [{ queries: ["attribute"], where: {} }],
};

function stack(routes: readonly { queries: FilterQuery[]; where: Where }[]) {
  const router = createRouter(routes.map((r, index) => ({ subscriber: "s", index, queries: r.queries, where: r.where, handler: noop })));
  const spec = attributePrefilterSpec(router.routes);
  const prefilter = spec ? createPrefilter({ attribute: spec }) : undefined;
  const full = createDecoder({ table, wanted: new Set(MESSAGE_KINDS), maxFrameBytes: 1 << 22 });
  const filtered = createDecoder({ table, wanted: new Set(MESSAGE_KINDS), maxFrameBytes: 1 << 22, ...(prefilter ? { prefilter } : {}) });
  /** Whether the prefilter dropped the frame; throws when it dropped one the router matches. */
  return (frame: BusFrame): boolean => {
    const outcome = filtered.decodeFrame(frame);
    if (outcome.status !== "dropped" || outcome.reason !== "no-route") return false;
    const decoded = full.decodeFrame(frame);
    if (decoded.status === "message" && router.match(decoded.message).length > 0) {
      throw new Error(`the prefilter dropped a frame the router matches: ${frame.payload.toString("utf8", 0, 400)}`);
    }
    return true;
  };
}

const TYPES: readonly unknown[] = ["ip-dst", "ip-src", "text", "float", "domain", "onion-address", "ip-dst|port", "md5", "IP-DST", "ip-dst ", "", 5, null, true, { t: 1 }];
const OBJECT_IDS: readonly unknown[] = ["0", "12", 0, 12, "00", "-1", "1e3", 1.5, null, "", "x", true];
const ACTIONS = ["add", "edit", "soft-delete", "delete"];

/** A random attribute frame built from the corpus's attribute add, then roughed up at the byte level. */
function randomFrame(random: () => number): BusFrame {
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)] as T;
  const payload = structuredClone(fixtureJson("zmq-misp_json_attribute-add.json")) as Record<string, Record<string, unknown> | string>;
  const attribute = payload.Attribute as Record<string, unknown>;
  const type = pick(TYPES);
  const objectId = pick(OBJECT_IDS);
  if (random() < 0.9) attribute.type = type;
  else delete attribute.type;
  if (random() < 0.85) attribute.object_id = objectId;
  else delete attribute.object_id;
  if (random() < 0.3) payload.Object = { id: "77", uuid: "c0ffee00-0000-4000-8000-000000000077", name: pick(["geolocation", "asn", "tor-hiddenservice"]), "meta-category": "misc", template_uuid: "t", template_version: "1", event_id: "42", comment: "", distribution: "5", sharing_group_id: "0", deleted: false, timestamp: "1" };
  payload.action = pick(ACTIONS);
  if (payload.action === "delete" && random() < 0.7) delete payload.Event;
  // Key order: the Attribute first as MISP writes it, or last.
  let entries = Object.entries(payload);
  if (random() < 0.3) entries = [...entries.slice(1), entries[0] as (typeof entries)[number]];
  let json = JSON.stringify(Object.fromEntries(entries), null, random() < 0.2 ? 1 : undefined);
  const roll = random();
  if (roll < 0.08) json = json.replace('"type":', `"type":${JSON.stringify(pick(TYPES))},"type":`); // a repeated key: the last wins
  else if (roll < 0.11) json = json.replace('"type":', '"typ\\u0065":'); // an escaped key
  else if (roll < 0.14) json = json.replace('"Sighting":', `"typ\\u0065":${JSON.stringify(pick(TYPES))},"Sighting":`); // the same key again, escaped: it wins
  else if (roll < 0.2) json = json.replace('"Attribute":', '"Attribut\\u0065":');
  else if (roll < 0.26) json = json.replace(/"(ip-dst|ip-src|text|domain)"/, '"$1\\u0000"'); // an escape in the value
  else if (roll < 0.3) json = json.replace(/\//g, "\\/"); // PHP's default flags, as Kafka sends
  else if (roll < 0.34) json = json.slice(0, Math.floor(random() * json.length)); // cut short
  else if (roll < 0.37) json = `${json}x`; // trailing garbage
  else if (roll < 0.4) json = json.replace('"Attribute":{', '"Attribute":{"Sighting":[{"type":"ip-dst","x":[1,{"type":"text"}]}],'); // nested decoys
  else if (roll < 0.43) json = `{"Attribute":{"type":"text","object_id":"0"},${json.slice(1)}`; // the Attribute given twice
  return zmqFrame("misp_json_attribute", json);
}

describe("attribute prefilter", () => {
  it("never drops a corpus frame that a route matches, and drops the corpus frames no shipped route takes", () => {
    for (const [name, routes] of Object.entries(ROUTE_SETS)) {
      const dropped = stack(routes);
      for (const payload of wireFrames()) {
        const space = payload.indexOf(0x20);
        const topic = payload.toString("latin1", 0, space);
        expect(() => dropped({ topic, payload, transport: "zmq", receivedAt: 0 }), name).not.toThrow();
      }
    }
    // An echoed object attribute of type text is dropped under the shipped filters; an ip-dst is not.
    const echo = fixtureJson("zmq-misp_json_attribute-add.json") as { Attribute: Record<string, unknown> };
    echo.Attribute.type = "text";
    expect(stack(ROUTE_SETS.shipped ?? [])(zmqFrame("misp_json_attribute", JSON.stringify(echo)))).toBe(true);
    echo.Attribute.type = "ip-dst";
    expect(stack(ROUTE_SETS.shipped ?? [])(zmqFrame("misp_json_attribute", JSON.stringify(echo)))).toBe(false);
  });

  it("drops only what no route matches, over 4,000 random attribute frames per route set", () => {
    for (const [name, routes] of Object.entries(ROUTE_SETS)) {
      const dropped = stack(routes);
      const random = prng(0x5eed + name.length);
      let drops = 0;
      for (let i = 0; i < 4_000; i++) {
        const frame = randomFrame(random);
        if (dropped(frame)) drops++;
      }
      // The property would hold vacuously if nothing were dropped: the filters that can drop, do.
      if (name === "everything" || name === "anyType") expect(drops, name).toBe(0);
      else expect(drops, name).toBeGreaterThan(200);
    }
  });
});

describe("readAttributeFacts", () => {
  const facts = (json: string): ReturnType<typeof readAttributeFacts> => readAttributeFacts(Buffer.from(json));

  it("reads the attribute's type and object_id as MISP writes them", () => {
    expect(facts('{"Attribute":{"id":"1","object_id":"0","type":"ip-dst","Sighting":[]},"Event":{"id":"4"},"action":"add"}')).toEqual({ type: "ip-dst", objectId: 0 });
    expect(facts('{ "Event" : {"info":"{\\"type\\":1}"}, "Attribute" : { "object_id" : 77 , "type" : "text" } }')).toEqual({ type: "text", objectId: 77 });
  });

  it("does not know what it cannot read plainly", () => {
    expect(facts('{"Attribute":{"type":"ip\\u002ddst","object_id":"a"}}')).toEqual({});
    expect(facts('{"Attribute":{"type":"text","type":"ip-dst"}}')).toEqual({});
    expect(facts('{"Attribute":{"type":"text"},"Attribute":{"type":"ip-dst"}}')).toBeNull();
    expect(facts('{"Attribute":{"type":"text"}')).toBeNull();
    expect(facts('{"Attribute":{"type":"text"}} x')).toBeNull();
    expect(facts('["Attribute"]')).toBeNull();
    expect(facts('{"Attr\\u0069bute":{"type":"text"}}')).toBeNull();
  });

  it("looks past type and object_id for a key that would override them, and only for a key", () => {
    // Both facts are read early: what follows is searched for a later "type", "object_id", "Attribute" or \u.
    expect(facts('{"Attribute":{"type":"text","object_id":"0"},"Attribute":{"type":"ip-dst","object_id":"0"}}')).toBeNull();
    expect(facts('{"Attribute":{"type":"text","object_id":"0"},"Attribute":{"value":"x"}}')).toBeNull();
    expect(facts('{"Attribute":{"type":"text","object_id":"0","type":"ip-dst"}}')).toEqual({ objectId: 0 });
    expect(facts('{"Attribute":{"object_id":"0","type":"text","object_id":"5"}}')).toEqual({ type: "text" });
    expect(facts('{"Attribute":{"type":"text","object_id":"0","comment":"a \\"type\\" in a value"}}')).toEqual({ type: "text", objectId: 0 });
    expect(facts('{"Attribute":{"type":"text","object_id":"0"},"Event":{"info":"\\u0041"}}')).toEqual({ type: "text", objectId: 0 });
  });
});
