// Every sample of the contract, as it appears on the socket, decodes to the typed fields it holds.

import { describe, it, expect } from "vitest";
import { createDecoder, type DecodeOutcome } from "../../src/decode/decoder.js";
import { createTopicTable } from "../../src/decode/topic.js";
import { MESSAGE_KINDS, type MessageKind, type MessageOfKind } from "../../src/decode/types.js";
import { fixtureJson, wireFrames } from "./helpers.js";

const decoder = createDecoder({ table: createTopicTable({}), wanted: new Set(MESSAGE_KINDS), maxFrameBytes: 1 << 20 });

const messages = wireFrames().map((payload) => {
  const outcome: DecodeOutcome = decoder.decodeFrame({ topic: "", payload, transport: "zmq", receivedAt: 1 });
  if (outcome.status !== "message") throw new Error(`sample did not decode: ${JSON.stringify(outcome)}`);
  return outcome.message;
});

function only<K extends MessageKind>(kind: K, action?: string): MessageOfKind<K> {
  const found = messages.filter((m) => m.kind === kind && (action === undefined || m.action === action));
  expect(found).toHaveLength(1);
  return found[0] as MessageOfKind<K>;
}

const EVENT_UUID = "7d9e3c4b-1f2a-4b8c-9e6d-5a4f3b2c1d0e";

describe("the wire-frame corpus", () => {
  it("holds the same payloads as the pretty-printed samples", () => {
    const pretty = [
      "zmq-misp_json_attribute-add.json",
      "zmq-misp_json_attribute-edit.json",
      "zmq-misp_json_tag-attached_to_attribute.json",
      "zmq-misp_json_tag-attached_to_event.json",
      "zmq-misp_json_object-add.json",
      "zmq-misp_json_object_reference-add.json",
      "zmq-misp_json_sighting-add.json",
      "zmq-misp_json-publish.json",
      "zmq-misp_json_self-heartbeat.json",
      "zmq-misp_json_audit-tag_local.json",
    ].map(fixtureJson);
    expect(messages.map((m) => m.raw)).toEqual(pretty);
  });

  it("decodes an attribute add with numbers, booleans, its event and no object or tags", () => {
    const message = only("attribute", "add");
    expect(message.topic).toBe("misp_json_attribute");
    expect(message.transport).toBe("zmq");
    expect(message.attribute).toEqual({
      id: 1337,
      uuid: "3c1e9a2b-7d4f-4e8a-b6c5-0f1e2d3c4b5a",
      eventId: 42,
      objectId: 0,
      objectRelation: null,
      category: "Network activity",
      type: "ip-dst",
      value: "198.51.100.23",
      toIds: true,
      timestamp: 1729501200,
      distribution: 5,
      sharingGroupId: 0,
      comment: "C2 server contacted by the phishing payload",
      deleted: false,
      disableCorrelation: false,
      firstSeen: null,
      lastSeen: null,
      tags: [],
    });
    expect(message.event).toEqual({
      id: 42,
      uuid: EVENT_UUID,
      info: "OSINT – phishing infrastructure, October 2024",
      date: "2024-10-18",
      published: false,
      orgId: 1,
      orgcId: 1,
      distribution: 1,
      sharingGroupId: 0,
      orgcUuid: "55f6ea5e-2c60-40e5-964f-47a8950d210f",
      orgcName: "CIRCL",
    });
    expect(message.object).toBeUndefined();
  });

  it("decodes an object attribute edit with its local tag and the embedded object row", () => {
    const message = only("attribute", "edit");
    expect(message.attribute).toMatchObject({ id: 1342, objectId: 77, objectRelation: "country", value: "Luxembourg", toIds: false, distribution: 0 });
    expect(message.attribute.tags).toEqual([
      { id: 1204, name: "misp-enrichd:geolocation", colour: "#3c4a7e", exportable: true, local: true },
    ]);
    expect(message.object).toEqual({
      id: 77,
      uuid: "9b2f4c6e-8a1d-5f3b-9c7e-2d4a6b8c0e1f",
      name: "geolocation",
      metaCategory: "misc",
      templateUuid: "cd6f2238-ba55-4888-82c4-104e6e1acf21",
      templateVersion: "7",
      eventId: 42,
      comment: "misp-enrichd: geolocation of 198.51.100.23 (module geoip_city)",
      distribution: 5,
      sharingGroupId: 0,
      deleted: false,
      timestamp: 1729507800,
    });
  });

  it("decodes a tag attached to an attribute: ids only, no locality", () => {
    const { tag } = only("tag", "attached-to-attribute");
    expect(tag).toMatchObject({ id: 1204, name: "misp-enrichd:geolocation", attributeId: 1337, eventId: 42, localOnly: false });
    expect(tag.local).toBeUndefined();
  });

  it("decodes a tag attached to an event with its locality", () => {
    const { tag } = only("tag", "attached-to-event");
    expect(tag).toMatchObject({ id: 3, name: "tlp:green", colour: "#339900", eventId: 42, local: false, localOnly: false });
    expect(tag.attributeId).toBeUndefined();
  });

  it("decodes an object add", () => {
    const { object, action } = only("object");
    expect(action).toBe("add");
    expect(object).toMatchObject({ id: 77, name: "geolocation", eventId: 42, timestamp: 1729501260, deleted: false });
  });

  it("decodes an object reference whose target is an attribute", () => {
    expect(only("object-reference").reference).toEqual({
      id: 311,
      uuid: "e4d3c2b1-a09f-4e8d-8c7b-6a5f4e3d2c1b",
      objectId: 77,
      eventId: 42,
      sourceUuid: "9b2f4c6e-8a1d-5f3b-9c7e-2d4a6b8c0e1f",
      referencedUuid: "3c1e9a2b-7d4f-4e8a-b6c5-0f1e2d3c4b5a",
      referencedId: 1337,
      referencedType: "attribute",
      relationshipType: "related-to",
      comment: "",
      deleted: false,
    });
  });

  it("decodes a sighting with its reporting org, attribute and event uuid", () => {
    expect(only("sighting").sighting).toEqual({
      id: 5521,
      uuid: "0b8f6a5e-4d3c-4b2a-9f1e-0d9c8b7a6f5e",
      attributeId: 1337,
      eventId: 42,
      orgId: 1,
      type: "sighting",
      source: "proxy-logs",
      dateSighting: 1729504800,
      attribute: { uuid: "3c1e9a2b-7d4f-4e8a-b6c5-0f1e2d3c4b5a", type: "ip-dst", value: "198.51.100.23", id: 1337 },
      eventUuid: EVENT_UUID,
    });
  });

  it("decodes a publish without action as 'publish', flattening object attributes with their tags", () => {
    const message = only("publish");
    expect(message.action).toBe("publish");
    expect(message.event).toMatchObject({ id: 42, uuid: EVENT_UUID, published: true, orgcName: "CIRCL" });
    expect(message.tags).toEqual([{ id: 3, name: "tlp:green", colour: "#339900", exportable: true, local: false }]);
    expect(message.attributes.map((a) => [a.id, a.type, a.objectId, a.value])).toEqual([
      [1336, "domain", 0, "login-secure-update.example"],
      [1337, "ip-dst", 0, "198.51.100.23"],
      [1342, "text", 77, "Luxembourg"],
      [1343, "text", 77, "LU"],
      [1344, "float", 77, "49.6116"],
      [1345, "float", 77, "6.1319"],
    ]);
    expect(message.attributes[1]?.tags.map((t) => [t.name, t.local])).toEqual([["misp-enrichd:geolocation", true]]);
    expect(message.attributes[0]?.tags).toEqual([]);
  });

  it("decodes the heartbeat", () => {
    const message = only("heartbeat");
    expect(message).toMatchObject({ action: "beat", status: "I'm doing science and I'm still alive.", uptimeSeconds: 1220 });
  });

  it("decodes an audit record as 'log', keeping the raw payload", () => {
    const message = only("audit");
    expect(message.action).toBe("log");
    expect(message.raw).toMatchObject({ AuditLog: { action: "tag_local", request_id: "misp-enrichd-3f1c9d2e-0007" } });
  });
});
