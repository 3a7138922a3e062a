// What the stand-in publishes after each write: pubsub.md §4 shapes (key for key against the
// contract's samples, copied into test/fixtures/misp/) and §6 order, checked against the real
// MISP 2.5.1 captures where they differ (docs/real-misp-observations.md).

import { readFileSync } from "node:fs";
import { describe, expect, it, vi } from "vitest";
import type { EchoMessage } from "@misp-enrichd/standins";
import { GEO_TEMPLATE, standin } from "../misp/helpers.js";
import { call, keys } from "./helpers.js";
import { publisher, subscribe } from "./zmq-helpers.js";

const sample = (name: string): Record<string, unknown> =>
  JSON.parse(readFileSync(new URL(`../fixtures/misp/zmq-${name}.json`, import.meta.url), "utf8")) as Record<string, unknown>;
const keysOf = (value: unknown, key: string): string[] => keys((value as Record<string, unknown>)[key]);
const topics = (messages: readonly EchoMessage[]): string[] => messages.map((m) => `${m.topic} ${String(m.payload.action)}`);
const without = (list: string[], ...drop: string[]): string[] => list.filter((k) => !drop.includes(k));

async function scene(options: Parameters<typeof standin>[0] = {}) {
  const misp = await standin(options);
  const event = misp.seedEvent();
  const source = misp.seedAttribute(event.uuid, { type: "ip-dst", value: "198.51.100.23" });
  return { misp, event, source };
}

const geo = (uuid: string, tag = "misp-enrichd:geo") => ({
  Object: {
    name: "geolocation",
    uuid,
    comment: "misp-enrichd: test",
    Attribute: [
      { object_relation: "country", type: "text", value: "Luxembourg", Tag: [{ name: tag, local: true }] },
      { object_relation: "latitude", type: "float", value: "49.6", Tag: [{ name: tag, local: true }] },
    ],
  },
});

describe("MISP stand-in: bus messages", () => {
  it("publishes objects/add as object add, then each attribute add followed by its tags", async () => {
    const { misp, event } = await scene();
    const objectUuid = crypto.randomUUID();
    await call(misp.url, "POST", `/objects/add/${event.uuid}/${GEO_TEMPLATE}`, geo(objectUuid));
    await misp.settled();
    expect(topics(misp.published)).toEqual([
      "misp_json_object add",
      "misp_json_attribute add",
      "misp_json_tag add", // the tag is new: its definition comes first
      "misp_json_tag attached to attribute",
      "misp_json_attribute add",
      "misp_json_tag attached to attribute",
    ]);
    const [object, attribute, definition, attached] = misp.published.map((m) => m.payload);
    expect(keys(object)).toEqual(keys(sample("misp_json_object-add")));
    expect(keysOf(object, "Object")).toEqual(keysOf(sample("misp_json_object-add"), "Object"));
    // An object attribute's add: the edit sample's layout, without Tag (tags come after the add).
    const edit = sample("misp_json_attribute-edit");
    expect(keys(attribute)).toEqual(keys(edit));
    expect(keysOf(attribute, "Attribute")).toEqual(without(keysOf(edit, "Attribute"), "Tag"));
    expect(keysOf(attribute, "Event")).toEqual(keysOf(edit, "Event"));
    expect(keysOf(attribute, "Object")).toEqual(keysOf(edit, "Object"));
    expect(attribute).toMatchObject({ Object: { uuid: objectUuid, comment: "misp-enrichd: test" }, action: "add" });
    expect(keysOf(definition, "Tag")).toEqual(without(keysOf(sample("misp_json_tag-attached_to_attribute"), "Tag"), "attribute_id", "event_id"));
    expect(keysOf(attached, "Tag")).toEqual(keysOf(sample("misp_json_tag-attached_to_attribute"), "Tag"));
  });

  it("publishes a reference add without object_uuid", async () => {
    const { misp, event, source } = await scene();
    const objectUuid = crypto.randomUUID();
    await call(misp.url, "POST", `/objects/add/${event.uuid}/${GEO_TEMPLATE}`, geo(objectUuid));
    await call(misp.url, "POST", `/objectReferences/add/${objectUuid}`, { referenced_uuid: source.uuid, relationship_type: "related-to" });
    await misp.settled();
    const reference = misp.published.at(-1)!;
    expect(topics([reference])).toEqual(["misp_json_object_reference add"]);
    expect(keysOf(reference.payload, "ObjectReference")).toEqual(keysOf(sample("misp_json_object_reference-add"), "ObjectReference"));
  });

  it("publishes a local tag as a tag message only, a global one also as an attribute edit listing it", async () => {
    const { misp, source } = await scene();
    await call(misp.url, "POST", "/tags/attachTagToObject", { uuid: source.uuid, tag: "misp-enrichd:geo", local: 1 });
    await call(misp.url, "POST", "/tags/attachTagToObject", { uuid: source.uuid, tag: "misp-enrichd:geo", local: 1 });
    await call(misp.url, "POST", "/tags/attachTagToObject", { uuid: source.uuid, tag: "tlp:green", local: 0 });
    await misp.settled();
    expect(topics(misp.published)).toEqual([
      "misp_json_tag add",
      "misp_json_tag attached to attribute",
      // the second, idempotent attach publishes nothing
      "misp_json_tag add",
      "misp_json_tag attached to attribute",
      "misp_json_attribute edit",
    ]);
    const edit = misp.published.at(-1)!.payload as { Attribute: { uuid: string; Tag: unknown[] } };
    expect(edit.Attribute.uuid).toBe(source.uuid);
    expect(edit.Attribute.Tag).toEqual([
      { id: "101", name: "misp-enrichd:geo", colour: expect.any(String), exportable: true, local: true },
      { id: "102", name: "tlp:green", colour: expect.any(String), exportable: true, local: false },
    ]);
    expect(edit).not.toHaveProperty("Object");
  });

  it("publishes an event attach with its local flag", async () => {
    const { misp, event } = await scene();
    await call(misp.url, "POST", "/tags/attachTagToObject", { uuid: event.uuid, tag: "tlp:green", local: 1 });
    await misp.settled();
    const attached = misp.published.at(-1)!;
    expect(topics([attached])).toEqual(["misp_json_tag attached to event"]);
    expect(keysOf(attached.payload, "Tag")).toEqual(keysOf(sample("misp_json_tag-attached_to_event"), "Tag"));
    expect(attached.payload).toMatchObject({ Tag: { local: true, event_id: String(event.id) } });
  });

  it("publishes attributes/add and attributes/edit in the standalone attribute layout", async () => {
    const { misp, event } = await scene();
    const added = await call(misp.url, "POST", `/attributes/add/${event.uuid}`, { type: "domain", value: "c2.example", Tag: [{ name: "tlp:green" }] });
    const uuid = (added.json as { Attribute: { uuid: string } }).Attribute.uuid;
    await call(misp.url, "POST", `/attributes/edit/${uuid}`, { distribution: "0" });
    await call(misp.url, "POST", `/attributes/edit/${uuid}`, { deleted: true });
    await misp.settled();
    expect(topics(misp.published)).toEqual(["misp_json_attribute add", "misp_json_tag add", "misp_json_tag attached to attribute", "misp_json_attribute edit", "misp_json_attribute soft-delete"]);
    const add = sample("misp_json_attribute-add");
    expect(keys(misp.published[0]!.payload)).toEqual(keys(add));
    expect(keysOf(misp.published[0]!.payload, "Attribute")).toEqual(keysOf(add, "Attribute"));
    expect(keysOf(misp.published[3]!.payload, "Attribute")).toEqual(keysOf(sample("misp_json_attribute-edit"), "Attribute"));
  });

  it("gives seeded attributes MISP's add message, string ints and all", async () => {
    const { source } = await scene();
    const add = sample("misp_json_attribute-add");
    expect(source.message.topic).toBe("misp_json_attribute");
    expect(keys(source.message.payload)).toEqual(keys(add));
    expect(keysOf(source.message.payload, "Attribute")).toEqual(keysOf(add, "Attribute"));
    expect(keysOf(source.message.payload, "Event")).toEqual(keysOf(add, "Event"));
    expect(source.message.payload).toMatchObject({ Attribute: { id: String(source.id), uuid: source.uuid, event_id: String(source.eventId) }, Event: { uuid: source.eventUuid } });
  });

  it("publishes during the request by default, and after the answer when asked", async () => {
    for (const echoTiming of ["during", "after"] as const) {
      const statusSeen: number[] = [];
      let misp: Awaited<ReturnType<typeof standin>> | undefined;
      misp = await standin({ echoTiming, publish: () => void statusSeen.push(misp?.calls.at(-1)?.status ?? -1) });
      const event = misp.seedEvent();
      await call(misp.url, "POST", `/attributes/add/${event.uuid}`, { type: "domain", value: "c2.example" });
      await misp.settled();
      expect(statusSeen).toEqual([echoTiming === "during" ? 0 : 200]);
    }
  });

  it("goes out on a real ZeroMQ socket as single frames", async () => {
    const zmq = await publisher();
    const received = await subscribe(zmq);
    const misp = await standin({ publish: (topic, payload) => zmq.publish(topic, payload) });
    const event = misp.seedEvent();
    await call(misp.url, "POST", `/attributes/add/${event.uuid}`, { type: "domain", value: "c2.example" });
    await vi.waitFor(() => expect(received.frames).toHaveLength(1));
    const [frame] = received.frames[0]!;
    const text = frame!.toString();
    const space = text.indexOf(" ");
    expect(text.slice(0, space)).toBe("misp_json_attribute");
    expect(JSON.parse(text.slice(space + 1))).toEqual(misp.published[0]!.payload);
  });
});
