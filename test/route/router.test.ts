import { describe, it, expect } from "vitest";
import { createRouter } from "../../src/route/router.js";
import type { Attribute, MispMessage } from "../../src/decode/types.js";
import type { FilterQuery, Where } from "../../src/route/types.js";
import type { RegisteredHandler } from "../../src/subscriber/types.js";

const noop = async (): Promise<void> => {};
const on = (subscriber: string, index: number, queries: readonly FilterQuery[], where: Where = {}): RegisteredHandler => ({
  subscriber, index, queries, where, handler: noop,
});

const base = { topic: "t", transport: "zmq" as const, receivedAt: 0, raw: {} };
function attribute(action: "add" | "edit", type: string, tags: string[] = []): MispMessage {
  const attr: Attribute = {
    id: 1, uuid: "u", eventId: 42, objectId: 0, objectRelation: null, category: "Network activity", type, value: "v",
    toIds: true, timestamp: 0, distribution: 5, sharingGroupId: 0, comment: "", deleted: false, disableCorrelation: false,
    firstSeen: null, lastSeen: null, tags: tags.map((name, id) => ({ id, name })),
  };
  return { ...base, kind: "attribute", action, attribute: attr };
}
const tagAttached: MispMessage = { ...base, kind: "tag", action: "attached-to-attribute", tag: { id: 9, name: "tlp:red", attributeId: 1, localOnly: false } };

describe("createRouter", () => {
  const geo = on("geolocation", 0, ["attribute:add"], { type: ["ip-src", "ip-dst"] });
  const audit = on("audit", 0, ["attribute", "tag:attached-to-attribute"], { tags: { none: ["tlp:red"] } });
  const dns = on("dns", 0, ["attribute:add", "attribute:edit"], { type: "domain" });
  const router = createRouter([geo, audit, dns]);

  it("unions the routes' kinds to drive subscriptions", () => {
    expect([...router.kinds].sort()).toEqual(["attribute", "tag"]);
    expect(createRouter([]).kinds.size).toBe(0);
  });

  it("returns the matching handlers in registration order", () => {
    expect(router.match(attribute("add", "ip-dst"))).toEqual([geo, audit]);
    expect(router.match(attribute("edit", "domain"))).toEqual([audit, dns]);
    expect(router.match(attribute("add", "domain", ["TLP:RED"]))).toEqual([dns]);
    expect(router.match(tagAttached)).toEqual([]);
  });

  it("returns nothing for a kind no route queries", () => {
    expect(router.match({ ...base, kind: "heartbeat", action: "beat", status: "alive", uptimeSeconds: 10 })).toEqual([]);
  });

  it("explains every route's verdict with a reason", () => {
    expect(router.explain(attribute("edit", "ip-dst", ["tlp:red"]))).toEqual([
      { subscriber: "geolocation", index: 0, matched: false, reason: "action edit not queried (attribute:add)" },
      { subscriber: "audit", index: 0, matched: false, reason: "tag tlp:red matches none: tlp:red" },
      { subscriber: "dns", index: 0, matched: false, reason: "type ip-dst not in domain" },
    ]);
    expect(router.explain(tagAttached)[0]).toEqual({ subscriber: "geolocation", index: 0, matched: false, reason: "kind tag not queried (attribute:add)" });
  });

  it("exposes frozen compiled routes whose test agrees with match", () => {
    expect(router.routes.map((r) => [r.subscriber, r.index, [...r.kinds]])).toEqual([
      ["geolocation", 0, ["attribute"]],
      ["audit", 0, ["attribute", "tag"]],
      ["dns", 0, ["attribute"]],
    ]);
    expect(Object.isFrozen(router.routes[0])).toBe(true);
    expect(router.routes[0]?.test(attribute("add", "ip-src"))).toBeNull();
  });

  it("lets a bare kind widen the same kind's action queries", () => {
    const wide = createRouter([on("w", 0, ["attribute:add", "attribute"])]);
    expect(wide.match(attribute("edit", "x"))).toHaveLength(1);
  });

  it("collects every problem of every route into one error, one per line", () => {
    const bad = [
      on("geo", 0, ["attribute:added" as FilterQuery], { type: ["ip-dst"], colour: "red" } as Where),
      on("geo", 1, [], {}),
      on("tags", 0, ["tag", "galaxy" as FilterQuery], { toIds: true }),
      { ...on("geo", 0, ["event"]), handler: "not a function" } as unknown as RegisteredHandler,
    ];
    let error: unknown;
    try {
      createRouter(bad);
    } catch (caught) {
      error = caught;
    }
    expect(error).toMatchObject({ code: "ENRICHD_SUBSCRIBER_INVALID", details: { problems: expect.any(Array) } });
    const lines = (error as Error).message.split("\n");
    expect(lines[0]).toBe("7 problems in subscriber routes:");
    expect(lines.slice(1).map((line) => line.trim())).toEqual([
      expect.stringMatching(/^geo\.on\[0\]\.queries\[0\]: filter query "attribute:added": attribute has no action "added"\. Permitted values are: attribute, attribute:add/),
      expect.stringMatching(/^geo\.on\[0\]\.where\.colour: unknown key\. Permitted keys are/),
      expect.stringMatching(/^geo\.on\[1\]\.queries: \[\] must list at least one filter query/),
      expect.stringMatching(/^tags\.on\[0\]\.queries\[1\]: filter query "galaxy" names no known kind/),
      "tags.on[0].where.toIds: applies only to attribute messages, and this route queries tag",
      "geo.on[0]: registered twice",
      "geo.on[0].handler: is not a function",
    ]);
  });

  it("refuses an order scope it does not know, naming the permitted ones", () => {
    const spec = { ...on("geo", 0, ["attribute:add"]), order: "events" } as unknown as RegisteredHandler;
    expect(() => createRouter([spec])).toThrow('geo.on[0].order: "events" is not an order scope; permitted values are: attribute, event');
    expect(() => createRouter([{ ...on("geo", 0, ["attribute:add"]), order: "event" }])).not.toThrow();
  });
});
