// Topic names ⇄ message kinds, for both transports. Matching is exact: ZeroMQ subscriptions are
// byte prefixes, so `misp_json_object` would also receive `misp_json_object_reference`
// (pubsub.md §2.1). Subscriptions therefore carry a trailing space, and kindOf never prefix-matches.

import { EnrichdError } from "../errors.js";
import { MESSAGE_KINDS, type MessageKind } from "./types.js";

/** ZeroMQ topics as mispzmq.py publishes them (pubsub.md §3). */
export const ZMQ_TOPICS: Readonly<Record<string, MessageKind>> = Object.freeze({
  misp_json: "publish",
  misp_json_event: "event",
  misp_json_attribute: "attribute",
  misp_json_object: "object",
  misp_json_object_reference: "object-reference",
  misp_json_tag: "tag",
  misp_json_sighting: "sighting",
  misp_json_user: "user",
  misp_json_organisation: "organisation",
  misp_json_conversation: "conversation",
  misp_json_audit: "audit",
  misp_json_warninglist: "warninglist",
  misp_json_workflow: "workflow",
  misp_json_self: "heartbeat",
});

export const HEARTBEAT_TOPIC = "misp_json_self";

/** MISP's default `Plugin.Kafka_<name>_notifications_topic` values (pubsub.md §8). */
export const DEFAULT_KAFKA_TOPICS: Readonly<Partial<Record<MessageKind, string>>> = Object.freeze({
  event: "misp_event",
  publish: "misp_event_publish",
  object: "misp_object",
  "object-reference": "misp_object_reference",
  attribute: "misp_attribute",
  "shadow-attribute": "misp_shadow_attribute",
  tag: "misp_tag",
  sighting: "misp_sighting",
  user: "misp_user",
  organisation: "misp_organisation",
  audit: "misp_audit",
});

export interface TopicTableOptions {
  /** Overrides of DEFAULT_KAFKA_TOPICS, kind by kind. */
  readonly kafkaTopics?: Partial<Record<MessageKind, string>>;
}

export interface TopicTable {
  /** The kind of an exact topic name (ZeroMQ or Kafka); undefined for any other string. */
  kindOf(topic: string): MessageKind | undefined;
  /** ZeroMQ byte-prefix subscriptions, each with its trailing space; the heartbeat is always in. */
  zmqSubscriptions(kinds: ReadonlySet<MessageKind>): string[];
  /** Kafka topics to consume for the kinds (kinds Kafka does not carry are left out). */
  kafkaTopicsFor(kinds: ReadonlySet<MessageKind>): string[];
}

const KINDS: ReadonlySet<string> = new Set(MESSAGE_KINDS);

export function createTopicTable(options: TopicTableOptions = {}): TopicTable {
  const kafka = resolveKafkaTopics(options.kafkaTopics ?? {});
  const kinds = new Map<string, MessageKind>(Object.entries(ZMQ_TOPICS));
  for (const [kind, topic] of kafka) kinds.set(topic, kind);
  const zmqByKind = new Map<MessageKind, string>();
  for (const [topic, kind] of Object.entries(ZMQ_TOPICS)) zmqByKind.set(kind, topic);

  return {
    kindOf: (topic) => kinds.get(topic),
    zmqSubscriptions(wanted) {
      const prefixes: string[] = [];
      for (const [kind, topic] of zmqByKind) {
        if (kind === "heartbeat" || wanted.has(kind)) prefixes.push(`${topic} `);
      }
      return prefixes;
    },
    kafkaTopicsFor(wanted) {
      const topics: string[] = [];
      for (const [kind, topic] of kafka) if (wanted.has(kind)) topics.push(topic);
      return topics;
    },
  };
}

/** Defaults merged with overrides; rejects names that would make a topic mean two kinds. */
function resolveKafkaTopics(overrides: Partial<Record<MessageKind, string>>): Map<MessageKind, string> {
  const problems: string[] = [];
  const merged = new Map<MessageKind, string>();
  for (const [kind, topic] of Object.entries({ ...DEFAULT_KAFKA_TOPICS, ...overrides })) {
    if (!KINDS.has(kind) || kind === "heartbeat") {
      problems.push(`kafkaTopics.${kind}: not a kind Kafka carries`);
    } else if (typeof topic !== "string" || topic.length === 0) {
      problems.push(`kafkaTopics.${kind}: ${JSON.stringify(topic)} is not a non-empty topic name`);
    } else {
      merged.set(kind as MessageKind, topic);
    }
  }
  // One topic per kind: kinds are read from the topic, not guessed from the payload.
  const owner = new Map<string, MessageKind>();
  for (const [kind, topic] of merged) {
    const zmqKind = ZMQ_TOPICS[topic];
    const other = owner.get(topic) ?? (zmqKind !== undefined && zmqKind !== kind ? zmqKind : undefined);
    if (other !== undefined) problems.push(`kafkaTopics.${kind}: topic "${topic}" already means ${other}`);
    owner.set(topic, kind);
  }
  if (problems.length > 0) {
    throw new EnrichdError("ENRICHD_CONFIG_INVALID", `invalid Kafka topic mapping:\n  ${problems.join("\n  ")}`, {
      details: { problems },
    });
  }
  return merged;
}
