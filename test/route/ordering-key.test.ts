import { describe, expect, it } from "vitest";
import { decodePayload } from "../../src/decode/decode.js";
import type { MessageKind, MispMessage } from "../../src/decode/types.js";
import { orderingKey } from "../../src/route/ordering-key.js";
import { fixtureJson } from "../decode/helpers.js";

const META = { topic: "t", transport: "zmq", receivedAt: 0 } as const;

function decoded(kind: MessageKind, file: string, edit: (payload: Record<string, Record<string, unknown>>) => void = () => undefined): MispMessage {
  const payload = structuredClone(fixtureJson(file)) as Record<string, Record<string, unknown>>;
  edit(payload);
  return decodePayload(kind, META, payload);
}

// The corpus: attribute 1337 of event 42 (add), its tag attach and its sighting; attribute 1342 of
// the same event (edit); a tag attached to event 42.
const add1337 = decoded("attribute", "zmq-misp_json_attribute-add.json");
const tag1337 = decoded("tag", "zmq-misp_json_tag-attached_to_attribute.json");
const sighting1337 = decoded("sighting", "zmq-misp_json_sighting-add.json");
const edit1342 = decoded("attribute", "zmq-misp_json_attribute-edit.json");
const eventTag = decoded("tag", "zmq-misp_json_tag-attached_to_event.json");
const delete1337 = decoded("attribute", "zmq-misp_json_attribute-add.json", (p) => {
  p.Attribute = { ...p.Attribute };
  p.action = "delete" as never;
  delete p.Event;
});

describe("orderingKey, attribute scope (the default)", () => {
  it("gives an attribute's add, its tag attach (named by attribute_id), its sighting and its deletion one key", () => {
    const key = orderingKey(add1337);
    expect(key).toBe("attribute:1337");
    expect(orderingKey(tag1337)).toBe(key);
    expect(orderingKey(sighting1337)).toBe(key);
    expect(orderingKey(delete1337)).toBe(key);
  });

  it("gives two attributes of one event different keys, so they run concurrently", () => {
    expect(add1337.kind === "attribute" && edit1342.kind === "attribute" && add1337.attribute.eventId === edit1342.attribute.eventId).toBe(true);
    expect(orderingKey(edit1342)).not.toBe(orderingKey(add1337));
  });

  it("keys a tag attached to an event by its event", () => {
    expect(orderingKey(eventTag)).toBe("event:42");
  });

  it("keys an object reference with its source object", () => {
    const object = decoded("object", "zmq-misp_json_object-add.json");
    const reference = decoded("object-reference", "zmq-misp_json_object_reference-add.json");
    expect(object.kind === "object" && reference.kind === "object-reference" && reference.reference.objectId === object.object.id).toBe(true);
    expect(orderingKey(reference)).toBe(orderingKey(object));
  });
});

describe("orderingKey, event scope (opt-in)", () => {
  it("gives every message of one event one key, whatever attribute it names", () => {
    const keys = [add1337, tag1337, sighting1337, edit1342, eventTag, delete1337].map((m) => orderingKey(m, "event"));
    expect(new Set(keys)).toEqual(new Set(["event:42"]));
  });

  it("keeps two events apart", () => {
    const other = decoded("attribute", "zmq-misp_json_attribute-add.json", (p) => {
      p.Attribute = { ...p.Attribute, event_id: "43" };
      p.Event = { ...p.Event, id: "43" };
    });
    expect(orderingKey(other, "event")).toBe("event:43");
  });
});
