import { describe, it, expect } from "vitest";
import { compileTagPattern, compileWhere, validateWhere } from "../../src/route/where.js";
import type { Attribute, MessageKind, MispMessage, Tag } from "../../src/decode/types.js";

const base = { topic: "t", transport: "zmq" as const, receivedAt: 0, raw: {} };
const tag = (name: string): Tag => ({ id: 1, name });

function attribute(fields: Partial<Attribute> = {}, objectName?: string): MispMessage {
  const attr: Attribute = {
    id: 1, uuid: "u", eventId: 42, objectId: 0, objectRelation: null, category: "Network activity", type: "ip-dst",
    value: "198.51.100.23", toIds: true, timestamp: 0, distribution: 5, sharingGroupId: 0, comment: "", deleted: false,
    disableCorrelation: false, firstSeen: null, lastSeen: null, tags: [], ...fields,
  };
  const object = objectName === undefined ? undefined : {
    id: attr.objectId, uuid: "o", name: objectName, metaCategory: "misc", templateUuid: "t", templateVersion: "1",
    eventId: 42, comment: "", distribution: 5, sharingGroupId: 0, deleted: false, timestamp: 0,
  };
  return { ...base, kind: "attribute", action: "add", attribute: attr, ...(object ? { object } : {}) };
}

const tagMessage = (name: string): MispMessage => ({ ...base, kind: "tag", action: "attached-to-attribute", tag: { id: 9, name, attributeId: 1, localOnly: false } });
const sighting = (type?: string): MispMessage => ({
  ...base, kind: "sighting", action: "add",
  sighting: { id: 1, uuid: "s", attributeId: 1, eventId: 42, orgId: 1, type: "sighting", source: "", dateSighting: 0, ...(type ? { attribute: { id: 1, uuid: "u", type, value: "v" } } : {}) },
});
const eventMessage = (...names: string[]): MispMessage => ({ ...base, kind: "event", action: "edit", tags: names.map(tag) });

describe("validateWhere", () => {
  it("accepts every documented key", () => {
    expect(validateWhere({ type: ["ip-src", "ip-dst"], category: "Network activity", toIds: true, inObject: false, objectName: "geolocation", tags: { any: ["tlp:*"], all: ["x"], none: ["tlp:red"] } }, "w")).toEqual([]);
    expect(validateWhere(undefined, "w")).toEqual([]);
  });

  it("reports every problem with its path, the bad value and what is permitted", () => {
    const problems = validateWhere({ type: 42, toIds: "yes", colour: "red", tags: { any: "tlp:red", some: [] }, objectName: ["", "x"], category: [] }, "geo.on[0].where");
    expect(problems).toEqual([
      "geo.on[0].where.type: 42 is not a non-empty string or a non-empty list of them",
      'geo.on[0].where.toIds: "yes" is not a boolean (true or false)',
      "geo.on[0].where.colour: unknown key. Permitted keys are: type, category, toIds, inObject, objectName, tags",
      'geo.on[0].where.tags.any: "tlp:red" is not a list of tag patterns (names, "*" as a wildcard)',
      "geo.on[0].where.tags.some: unknown key. Permitted keys are: any, all, none",
      'geo.on[0].where.objectName[0]: "" is not a non-empty string',
      "geo.on[0].where.category: [] is empty; it must be a non-empty string or a non-empty list of them",
    ]);
  });

  it("refuses a non-object and an empty tags object", () => {
    expect(validateWhere(["ip-dst"], "w")).toEqual([expect.stringContaining('w: ["ip-dst"] is not an object of conditions')]);
    expect(validateWhere({ tags: {} }, "w")).toEqual(["w.tags: names none of any, all, none"]);
  });

  it("reports a key that none of the route's kinds can apply", () => {
    const kinds = new Set<MessageKind>(["tag", "event"]);
    expect(validateWhere({ type: "ip-dst", toIds: true, tags: { any: ["x"] } }, "w", kinds)).toEqual([
      "w.type: applies only to attribute, sighting messages, and this route queries tag, event",
      "w.toIds: applies only to attribute messages, and this route queries tag, event",
    ]);
    expect(validateWhere({ type: "ip-dst" }, "w", new Set<MessageKind>(["tag", "sighting"]))).toEqual([]);
  });
});

describe("compileWhere", () => {
  it("matches everything with an empty where", () => {
    expect(compileWhere({})(attribute())).toBeNull();
  });

  it("treats a list as OR and says which value was not listed", () => {
    const test = compileWhere({ type: ["ip-src", "ip-dst"] });
    expect(test(attribute({ type: "ip-src" }))).toBeNull();
    expect(test(attribute({ type: "domain" }))).toBe("type domain not in ip-src, ip-dst");
  });

  it("treats keys as AND", () => {
    const test = compileWhere({ type: "ip-dst", toIds: true, category: ["Network activity"] });
    expect(test(attribute())).toBeNull();
    expect(test(attribute({ toIds: false }))).toBe("to_ids is false, wanted true");
    expect(test(attribute({ category: "External analysis" }))).toBe("category External analysis not in Network activity");
  });

  it("tests object membership and object names", () => {
    expect(compileWhere({ inObject: true })(attribute())).toBe("not in an object");
    expect(compileWhere({ inObject: false })(attribute({ objectId: 77 }, "geolocation"))).toBe("in object geolocation");
    expect(compileWhere({ objectName: "geolocation" })(attribute({ objectId: 77 }, "geolocation"))).toBeNull();
    expect(compileWhere({ objectName: "geolocation" })(attribute({ objectId: 77 }, "domain-ip"))).toBe("object name domain-ip not in geolocation");
    expect(compileWhere({ objectName: "geolocation" })(attribute())).toBe("not in an object");
  });

  it("tests the sighting's attribute type", () => {
    expect(compileWhere({ type: "ip-dst" })(sighting("ip-dst"))).toBeNull();
    expect(compileWhere({ type: "ip-dst" })(sighting("domain"))).toBe("type domain not in ip-dst");
    expect(compileWhere({ type: "ip-dst" })(sighting())).toMatch(/type unknown/);
  });

  it("skips keys that cannot apply to the message's kind", () => {
    expect(compileWhere({ type: "ip-dst", tags: { any: ["tlp:*"] } })(tagMessage("tlp:green"))).toBeNull();
    expect(compileWhere({ toIds: true })(sighting("domain"))).toBeNull();
  });

  it("matches tags any/all/none case-insensitively with * globs", () => {
    const test = compileWhere({ tags: { any: ["TLP:*"], none: ["tlp:red"] } });
    expect(test(attribute({ tags: [tag("tlp:green")] }))).toBeNull();
    expect(test(attribute({ tags: [tag("TLP:RED")] }))).toBe("tag TLP:RED matches none: tlp:red");
    expect(test(attribute({ tags: [tag("osint")] }))).toBe("tags osint match none of TLP:*");
    expect(test(attribute())).toBe("no tags match none of TLP:*");
    const all = compileWhere({ tags: { all: ["tlp:*", "misp-galaxy:*"] } });
    expect(all(attribute({ tags: [tag("tlp:amber"), tag('misp-galaxy:threat-actor="APT 28"')] }))).toBeNull();
    expect(all(attribute({ tags: [tag("tlp:amber")] }))).toBe("no tag matches misp-galaxy:* (all)");
  });

  it("reads the tag's own name on tag messages and the event tags on events", () => {
    expect(compileWhere({ tags: { any: ["misp-enrichd:*"] } })(tagMessage("misp-enrichd:geolocation"))).toBeNull();
    expect(compileWhere({ tags: { none: ["misp-enrichd:*"] } })(tagMessage("misp-enrichd:geolocation"))).toMatch(/matches none/);
    expect(compileWhere({ tags: { any: ["tlp:clear"] } })(eventMessage("tlp:clear", "osint"))).toBeNull();
    expect(compileWhere({ tags: { all: ["osint"] } })(eventMessage("tlp:clear"))).toBe("no tag matches osint (all)");
  });
});

describe("compileTagPattern", () => {
  it("treats * as any run of characters and escapes everything else", () => {
    expect(compileTagPattern("tlp:*").test("tlp:amber+strict")).toBe(true);
    expect(compileTagPattern("*:geolocation").test("misp-enrichd:geolocation")).toBe(true);
    expect(compileTagPattern("a.b").test("axb")).toBe(false);
    expect(compileTagPattern('misp-galaxy:threat-actor="*"').test('misp-galaxy:threat-actor="APT (28)"')).toBe(true);
    expect(compileTagPattern("tlp:red").test("tlp:red-ish")).toBe(false);
  });
});
