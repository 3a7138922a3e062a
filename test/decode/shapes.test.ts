// The payload shapes of pubsub.md §4 that the sample corpus does not cover, and their failures.

import { describe, it, expect } from "vitest";
import { decodePayload, normaliseAction } from "../../src/decode/decode.js";
import type { MessageKind, MessageOfKind } from "../../src/decode/types.js";
import { fixtureJson } from "./helpers.js";

const meta = (topic: string) => ({ topic, transport: "zmq" as const, receivedAt: 5 });

function decodeAs<K extends MessageKind>(kind: K, topic: string, payload: unknown): MessageOfKind<K> {
  const message = decodePayload(kind, meta(topic), payload);
  expect(message.kind).toBe(kind);
  return message as MessageOfKind<K>;
}

const attributeAdd = fixtureJson("zmq-misp_json_attribute-add.json") as { Attribute: Record<string, unknown>; Event: Record<string, unknown> };
const tagRow = (fixtureJson("zmq-misp_json_tag-attached_to_event.json") as { Tag: Record<string, unknown> }).Tag;

describe("decodePayload: attributes", () => {
  it("rebuilds a hard-deleted composite attribute's value from value1|value2, without an event", () => {
    const { value: _value, Sighting: _s, ...row } = attributeAdd.Attribute;
    const message = decodeAs("attribute", "misp_json_attribute", {
      Attribute: { ...row, type: "ip-dst|port", value1: "198.51.100.23", value2: "443" },
      action: "delete",
    });
    expect(message.action).toBe("delete");
    expect(message.attribute.value).toBe("198.51.100.23|443");
    expect(message.event).toBeUndefined();
  });

  it("uses value1 alone for a hard-deleted attribute whose value2 is empty", () => {
    const { value: _value, ...row } = attributeAdd.Attribute;
    expect(decodeAs("attribute", "misp_json_attribute", { Attribute: row, action: "delete" }).attribute.value).toBe("198.51.100.23");
  });

  it("decodes a soft delete with its event", () => {
    const message = decodeAs("attribute", "misp_json_attribute", { ...attributeAdd, Attribute: { ...attributeAdd.Attribute, deleted: true }, action: "soft-delete" });
    expect([message.action, message.attribute.deleted, message.event?.id]).toEqual(["soft-delete", true, 42]);
  });

  it("names the missing field and the topic", () => {
    const { uuid: _uuid, ...row } = attributeAdd.Attribute;
    expect(() => decodePayload("attribute", meta("misp_json_attribute"), { ...attributeAdd, Attribute: row, action: "add" })).toThrow(
      expect.objectContaining({ code: "ENRICHD_MESSAGE_INVALID", details: expect.objectContaining({ topic: "misp_json_attribute", field: "Attribute.uuid" }) }),
    );
    expect(() => decodePayload("attribute", meta("misp_json_attribute"), { Attribute: attributeAdd.Attribute, action: "add" })).toThrow(
      expect.objectContaining({ details: expect.objectContaining({ field: "Event" }) }),
    );
  });

  it("names a mistyped field with its bad value", () => {
    const payload = { ...attributeAdd, Attribute: { ...attributeAdd.Attribute, to_ids: "yes" }, action: "add" };
    expect(() => decodePayload("attribute", meta("misp_json_attribute"), payload)).toThrow(/Attribute\.to_ids must be .*got "yes"/);
  });
});

describe("decodePayload: actions", () => {
  it("turns spaces and underscores into hyphens", () => {
    expect(normaliseAction("attached to attribute")).toBe("attached-to-attribute");
    expect(normaliseAction("manual_publish")).toBe("manual-publish");
    expect(normaliseAction("add_from_connected_server")).toBe("add-from-connected-server");
    expect(normaliseAction("soft-delete")).toBe("soft-delete");
  });

  it("refuses an action the kind does not define, listing the permitted ones", () => {
    expect(() => decodePayload("attribute", meta("misp_json_attribute"), { ...attributeAdd, action: "publish" })).toThrow(
      expect.objectContaining({
        code: "ENRICHD_MESSAGE_INVALID",
        message: expect.stringContaining("one of add, edit, soft-delete, delete"),
        details: expect.objectContaining({ field: "action", value: '"publish"' }),
      }),
    );
  });

  it("refuses a missing action where MISP always sends one", () => {
    expect(() => decodePayload("tag", meta("misp_json_tag"), { Tag: tagRow })).toThrow(/action must be one of .*it is missing/);
  });
});

describe("decodePayload: tags", () => {
  it("decodes a detach from an event without locality", () => {
    const { local: _local, ...row } = tagRow;
    const { tag, action } = decodeAs("tag", "misp_json_tag", { Tag: row, action: "detached from event" });
    expect(action).toBe("detached-from-event");
    expect(tag).toMatchObject({ id: 3, eventId: 42 });
    expect(tag.local).toBeUndefined();
  });

  it("requires the attribute id on attribute attachments", () => {
    expect(() => decodePayload("tag", meta("misp_json_tag"), { Tag: tagRow, action: "detached from attribute" })).toThrow(
      expect.objectContaining({ details: expect.objectContaining({ field: "Tag.attribute_id" }) }),
    );
  });

  it.each(["add", "edit", "delete"])("decodes a tag definition %s without attachment ids", (action) => {
    const { event_id: _e, local: _l, ...row } = tagRow;
    const { tag } = decodeAs("tag", "misp_json_tag", { Tag: { ...row, local_only: true }, action });
    expect(tag).toEqual({ id: 3, name: "tlp:green", colour: "#339900", exportable: true, localOnly: true });
  });
});

describe("decodePayload: events", () => {
  const publish = fixtureJson("zmq-misp_json-publish.json") as { Event: Record<string, unknown> };
  const { Attribute: _a, Object: _o, Tag: _t, Org: _org, Orgc: _orgc, ...eventRow } = publish.Event;

  it("decodes the quickFetchEvent shape with sibling Orgc and EventTag[].Tag", () => {
    const message = decodeAs("event", "misp_json_event", {
      Event: eventRow,
      Orgc: { id: "1", uuid: "55f6ea5e-2c60-40e5-964f-47a8950d210f", name: "CIRCL" },
      EventTag: [{ id: "5", event_id: "42", tag_id: "3", local: false, relationship_type: null, Tag: { id: "3", name: "tlp:green", colour: "#339900", exportable: true } }],
      action: "edit",
    });
    expect(message.event).toMatchObject({ id: 42, orgcId: 1, orgcName: "CIRCL", published: true });
    expect(message.tags).toEqual([{ id: 3, name: "tlp:green", colour: "#339900", exportable: true, local: false }]);
    expect(message.eventRef).toBeUndefined();
  });

  it("decodes a delete that carries only the event row", () => {
    const message = decodeAs("event", "misp_json_event", { Event: eventRow, action: "delete" });
    expect([message.action, message.event?.uuid, message.tags]).toEqual(["delete", "7d9e3c4b-1f2a-4b8c-9e6d-5a4f3b2c1d0e", []]);
  });

  it.each([
    ["add_from_connected_server", "1234", "add-from-connected-server"],
    ["edit_from_connected_server", "7d9e3c4b-1f2a-4b8c-9e6d-5a4f3b2c1d0e", "edit-from-connected-server"],
  ])("decodes the pull variant (%s) whose Event is a scalar into eventRef", (action, ref, normal) => {
    const message = decodeAs("event", "misp_json_event", { Event: ref, Server: "2", action });
    expect([message.action, message.eventRef, message.event, message.tags]).toEqual([normal, ref, undefined, []]);
  });

  it("decodes a numeric pull reference as a string", () => {
    expect(decodeAs("event", "misp_json_event", { Event: 1234, Server: "2", action: "add_from_connected_server" }).eventRef).toBe("1234");
  });
});

describe("decodePayload: sightings and references", () => {
  const sighting = (fixtureJson("zmq-misp_json_sighting-add.json") as { Sighting: Record<string, unknown> }).Sighting;

  it.each([
    ["1", "false-positive"],
    ["2", "expiration"],
  ])("maps sighting type %s to %s", (type, expected) => {
    expect(decodeAs("sighting", "misp_json_sighting", { Sighting: { ...sighting, type }, action: "delete" }).sighting.type).toBe(expected);
  });

  it("refuses an unknown sighting type", () => {
    expect(() => decodePayload("sighting", meta("misp_json_sighting"), { Sighting: { ...sighting, type: "7" }, action: "add" })).toThrow(
      expect.objectContaining({ details: expect.objectContaining({ field: "Sighting.type" }) }),
    );
  });

  it("maps referenced_type 1 to an object target", () => {
    const reference = (fixtureJson("zmq-misp_json_object_reference-add.json") as { ObjectReference: Record<string, unknown> }).ObjectReference;
    const message = decodeAs("object-reference", "misp_json_object_reference", { ObjectReference: { ...reference, referenced_type: "1" }, action: "soft-delete" });
    expect([message.action, message.reference.referencedType]).toEqual(["soft-delete", "object"]);
  });
});

describe("decodePayload: topics kept raw", () => {
  it("supplies the actions MISP leaves out", () => {
    expect(decodeAs("organisation", "misp_json_organisation", { Organisation: { name: "ACME" } }).action).toBe("save");
    expect(decodeAs("conversation", "misp_json_conversation", { Thread: { title: "t" } }).action).toBe("thread");
    expect(decodeAs("conversation", "misp_json_conversation", { Post: { contents: "c" } }).action).toBe("post");
    expect(decodeAs("workflow", "misp_json_workflow", { "Enriching event": 42, "Attribute added": 2 }).action).toBe("push");
  });

  it("keeps a workflow's non-object push under raw.data", () => {
    const message = decodeAs("workflow", "misp_json_workflow", ["198.51.100.23", "203.0.113.9"]);
    expect(message.raw).toEqual({ data: ["198.51.100.23", "203.0.113.9"] });
  });

  it("takes the user, warninglist and audit actions as sent", () => {
    expect(decodeAs("user", "misp_json_user", { User: { id: "7" }, action: "login" }).action).toBe("login");
    expect(decodeAs("warninglist", "misp_json_warninglist", { Warninglist: { id: "1" }, action: "edit" }).action).toBe("edit");
    expect(decodeAs("audit", "misp_json_audit", { Log: { title: "x" }, action: "log" }).action).toBe("log");
  });

  it("refuses a conversation that is neither a thread nor a post", () => {
    expect(() => decodePayload("conversation", meta("misp_json_conversation"), { Message: {} })).toThrow(
      expect.objectContaining({ details: expect.objectContaining({ field: "Thread" }) }),
    );
  });

  it("reads the heartbeat of the json.dumps fallback and a fractional uptime", () => {
    const message = decodeAs("heartbeat", "misp_json_self", JSON.parse('{"status": "And believe me I am still alive.", "uptime": 30.7}'));
    expect([message.status, message.uptimeSeconds]).toEqual(["And believe me I am still alive.", 30]);
  });
});
