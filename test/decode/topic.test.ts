import { describe, it, expect } from "vitest";
import { createTopicTable, DEFAULT_KAFKA_TOPICS } from "../../src/decode/topic.js";
import type { MessageKind } from "../../src/decode/types.js";

const kinds = (...list: MessageKind[]): ReadonlySet<MessageKind> => new Set(list);

describe("createTopicTable", () => {
  const table = createTopicTable({});

  it("maps every ZeroMQ topic of pubsub.md §3 to its kind", () => {
    expect(table.kindOf("misp_json")).toBe("publish");
    expect(table.kindOf("misp_json_event")).toBe("event");
    expect(table.kindOf("misp_json_attribute")).toBe("attribute");
    expect(table.kindOf("misp_json_object")).toBe("object");
    expect(table.kindOf("misp_json_object_reference")).toBe("object-reference");
    expect(table.kindOf("misp_json_tag")).toBe("tag");
    expect(table.kindOf("misp_json_sighting")).toBe("sighting");
    expect(table.kindOf("misp_json_user")).toBe("user");
    expect(table.kindOf("misp_json_organisation")).toBe("organisation");
    expect(table.kindOf("misp_json_conversation")).toBe("conversation");
    expect(table.kindOf("misp_json_audit")).toBe("audit");
    expect(table.kindOf("misp_json_warninglist")).toBe("warninglist");
    expect(table.kindOf("misp_json_workflow")).toBe("workflow");
    expect(table.kindOf("misp_json_self")).toBe("heartbeat");
  });

  it("maps MISP's default Kafka topics, shadow attributes included", () => {
    expect(table.kindOf("misp_event_publish")).toBe("publish");
    expect(table.kindOf("misp_attribute")).toBe("attribute");
    expect(table.kindOf("misp_shadow_attribute")).toBe("shadow-attribute");
    expect(table.kindOf("misp_object_reference")).toBe("object-reference");
    expect(Object.keys(DEFAULT_KAFKA_TOPICS)).toHaveLength(11);
  });

  it("matches topics exactly, never by prefix", () => {
    expect(table.kindOf("misp_json_object_ref")).toBeUndefined();
    expect(table.kindOf("misp_json_attributes")).toBeUndefined();
    expect(table.kindOf("misp_")).toBeUndefined();
    expect(table.kindOf("MISP_JSON")).toBeUndefined();
  });

  it("subscribes with a trailing space so object does not also receive object_reference", () => {
    expect(table.zmqSubscriptions(kinds("object"))).toEqual(["misp_json_object ", "misp_json_self "]);
    expect(table.zmqSubscriptions(kinds("publish", "attribute"))).toEqual([
      "misp_json ",
      "misp_json_attribute ",
      "misp_json_self ",
    ]);
  });

  it("always subscribes to the heartbeat and skips kinds ZeroMQ does not carry", () => {
    expect(table.zmqSubscriptions(kinds())).toEqual(["misp_json_self "]);
    expect(table.zmqSubscriptions(kinds("shadow-attribute"))).toEqual(["misp_json_self "]);
  });

  it("lists the Kafka topics of the kinds, leaving out the ZeroMQ-only ones", () => {
    expect(table.kafkaTopicsFor(kinds("attribute", "publish", "conversation", "heartbeat")).sort()).toEqual([
      "misp_attribute",
      "misp_event_publish",
    ]);
  });

  it("uses configured Kafka topic names instead of the defaults", () => {
    const custom = createTopicTable({ kafkaTopics: { attribute: "prod.misp.attributes" } });
    expect(custom.kindOf("prod.misp.attributes")).toBe("attribute");
    expect(custom.kindOf("misp_attribute")).toBeUndefined();
    expect(custom.kafkaTopicsFor(kinds("attribute"))).toEqual(["prod.misp.attributes"]);
  });

  it("refuses a Kafka mapping that would give one topic two kinds", () => {
    expect(() => createTopicTable({ kafkaTopics: { tag: "misp_attribute" } })).toThrow(
      expect.objectContaining({ code: "ENRICHD_CONFIG_INVALID", message: expect.stringContaining('topic "misp_attribute" already means') }),
    );
    expect(() => createTopicTable({ kafkaTopics: { event: "misp_json_attribute" } })).toThrow(/already means attribute/);
    expect(() => createTopicTable({ kafkaTopics: { attribute: "" } })).toThrow(/not a non-empty topic name/);
  });
});
