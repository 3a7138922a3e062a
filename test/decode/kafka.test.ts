// Kafka sends the same data with PHP json_encode's default escapes, an action on every message and,
// for misp_event_publish, the raw fetchEvent layout. It must decode to what ZeroMQ gives.

import { describe, it, expect } from "vitest";
import { createDecoder } from "../../src/decode/decoder.js";
import { createTopicTable } from "../../src/decode/topic.js";
import { MESSAGE_KINDS, type BusFrame, type MispMessage } from "../../src/decode/types.js";
import { fixtureJson, kafkaFrame, phpJsonEncode, zmqFrame } from "./helpers.js";

const decoder = createDecoder({ table: createTopicTable({}), wanted: new Set(MESSAGE_KINDS), maxFrameBytes: 1 << 20 });

function decode(frame: BusFrame): MispMessage {
  const outcome = decoder.decodeFrame(frame);
  if (outcome.status !== "message") throw new Error(`expected a message, got ${JSON.stringify(outcome)}`);
  return outcome.message;
}

/** The decoded data without transport facts, for comparing the two buses. */
function data(message: MispMessage): Record<string, unknown> {
  const { topic: _t, transport: _tr, receivedAt: _r, position: _p, raw: _raw, ...rest } = message;
  return rest;
}

type Json = Record<string, unknown>;
const publish = fixtureJson("zmq-misp_json-publish.json") as { Event: Json };

/** A tag of the converted layout as its raw join row: `local` moves from the tag to the join row. */
function joinRow(tag: Json, owner: Record<string, string>, index: number): Json {
  const { local, relationship_type, ...row } = tag;
  return { id: String(900 + index), ...owner, tag_id: row.id, local, relationship_type, Tag: row };
}

function rawAttribute(attribute: Json): Json {
  const { Tag, ...row } = attribute;
  const tags = (Tag as Json[] | undefined) ?? [];
  return { ...row, AttributeTag: tags.map((tag, i) => joinRow(tag, { attribute_id: row.id as string }, i)) };
}

/** misp_event_publish as KafkaPubTool sends it: fetchEvent's siblings (pubsub.md §8), built from the sample. */
function rawFetchEvent(action: string): Json {
  const { Org, Orgc, Attribute, Object: objects, Tag, ShadowAttribute, RelatedEvent, Galaxy, EventReport, CryptographicKey, ...event } =
    publish.Event;
  return {
    Event: { ...event, user_id: "3" },
    Org,
    Orgc,
    Attribute: (Attribute as Json[]).map(rawAttribute),
    Object: (objects as Json[]).map((object) => ({ ...object, Attribute: (object.Attribute as Json[]).map(rawAttribute) })),
    EventTag: (Tag as Json[]).map((tag, i) => joinRow(tag, { event_id: "42" }, i)),
    ShadowAttribute,
    RelatedEvent,
    action,
  };
}

describe("Kafka payloads", () => {
  it("escape slashes and non-ASCII in the encoding used here, as PHP's json_encode does", () => {
    const encoded = phpJsonEncode({ info: "OSINT – a/b" });
    expect(encoded).toBe('{"info":"OSINT \\u2013 a\\/b"}');
  });

  it.each([
    ["zmq-misp_json_attribute-add.json", "misp_json_attribute", "misp_attribute"],
    ["zmq-misp_json_attribute-edit.json", "misp_json_attribute", "misp_attribute"],
    ["zmq-misp_json_tag-attached_to_attribute.json", "misp_json_tag", "misp_tag"],
    ["zmq-misp_json_tag-attached_to_event.json", "misp_json_tag", "misp_tag"],
    ["zmq-misp_json_object-add.json", "misp_json_object", "misp_object"],
    ["zmq-misp_json_object_reference-add.json", "misp_json_object_reference", "misp_object_reference"],
    ["zmq-misp_json_sighting-add.json", "misp_json_sighting", "misp_sighting"],
    ["zmq-misp_json_audit-tag_local.json", "misp_json_audit", "misp_audit"],
  ])("decode %s from Kafka to the same data as from ZeroMQ", (file, zmqTopic, kafkaTopic) => {
    const payload = fixtureJson(file);
    const fromZmq = decode(zmqFrame(zmqTopic, JSON.stringify(payload)));
    const fromKafka = decode(kafkaFrame(kafkaTopic, phpJsonEncode(payload)));
    expect(fromKafka.transport).toBe("kafka");
    expect(fromKafka.topic).toBe(kafkaTopic);
    expect(fromKafka.position).toBe(`${kafkaTopic}/0@7`);
    expect(data(fromKafka)).toEqual(data(fromZmq));
  });

  it("keep the en dash of an escaped event info", () => {
    const message = decode(kafkaFrame("misp_attribute", phpJsonEncode(fixtureJson("zmq-misp_json_attribute-add.json"))));
    expect(message.kind === "attribute" && message.event?.info).toBe("OSINT – phishing infrastructure, October 2024");
  });

  it("decode misp_event_publish's sibling layout to the same event, tags and attributes as misp_json", () => {
    const fromZmq = decode(zmqFrame("misp_json", JSON.stringify(publish)));
    const fromKafka = decode(kafkaFrame("misp_event_publish", phpJsonEncode(rawFetchEvent("publish"))));
    expect(data(fromKafka)).toEqual(data(fromZmq));
    if (fromKafka.kind !== "publish") throw new Error("not a publish");
    expect(fromKafka.tags.map((t) => [t.name, t.local])).toEqual([["tlp:green", false]]);
    expect(fromKafka.attributes).toHaveLength(6);
    expect(fromKafka.attributes[2]?.tags.map((t) => [t.name, t.local])).toEqual([["misp-enrichd:geolocation", true]]);
  });

  it.each([
    ["publish", "publish"],
    ["unpublish", "unpublish"],
    ["delete", "delete"],
    ["manual_publish", "manual-publish"],
  ])("normalise misp_event_publish action %s to %s", (raw, normal) => {
    expect(decode(kafkaFrame("misp_event_publish", phpJsonEncode(rawFetchEvent(raw)))).action).toBe(normal);
  });

  it("decode misp_event (quickFetchEvent) with its sibling Orgc and EventTag tags, manual_publish included", () => {
    const { Attribute: _a, Object: _o, Tag: _t, Org: _org, Orgc, ...event } = publish.Event;
    const quick = {
      Event: event,
      Orgc: { id: "1", uuid: (Orgc as Json).uuid, name: "CIRCL" },
      EventTag: [{ id: "5", event_id: "42", tag_id: "3", local: true, relationship_type: null, Tag: { id: "3", name: "tlp:green", colour: "#339900", exportable: true } }],
      action: "manual_publish",
    };
    const message = decode(kafkaFrame("misp_event", phpJsonEncode(quick)));
    expect(message.kind).toBe("event");
    if (message.kind !== "event") return;
    expect(message.action).toBe("manual-publish");
    expect(message.event).toMatchObject({ id: 42, uuid: "7d9e3c4b-1f2a-4b8c-9e6d-5a4f3b2c1d0e", orgcName: "CIRCL", published: true });
    expect(message.tags).toEqual([{ id: 3, name: "tlp:green", colour: "#339900", exportable: true, local: true }]);
  });

  it("take the organisation action Kafka sends, where ZeroMQ sends none", () => {
    const org = { Organisation: { id: "9", name: "ACME", uuid: "1f0e2d3c-4b5a-4968-8776-a5b4c3d2e1f0" } };
    expect(decode(kafkaFrame("misp_organisation", phpJsonEncode({ ...org, action: "add" }))).action).toBe("add");
    expect(decode(zmqFrame("misp_json_organisation", JSON.stringify(org))).action).toBe("save");
  });

  it("decode shadow attributes, which only Kafka carries", () => {
    const proposal = { ShadowAttribute: { id: "4", event_id: "42", type: "ip-dst", value: "203.0.113.9" }, action: "accept" };
    const message = decode(kafkaFrame("misp_shadow_attribute", phpJsonEncode(proposal)));
    expect([message.kind, message.action, message.raw]).toEqual(["shadow-attribute", "accept", proposal]);
  });
});
