// decodePayload: a parsed payload of a known kind becomes a typed MispMessage (src/decode/types.ts).
// Shapes follow pubsub.md §4 (ZeroMQ) and §8 (Kafka); both transports go through the same readers,
// which accept either layout where they differ.

import type { ActionsByKind, MessageKind, MessageOfKind, MispMessage, Transport } from "./types.js";
import { ACTIONS_BY_KIND } from "./types.js";
import { invalidField, isRecord, readRecord, type RecordReader } from "./scalars.js";
import { decodeAttribute, decodeObject, decodeReference, decodeSighting, decodeTag } from "./entities.js";
import { decodeEvent, decodePublish } from "./event.js";

export interface DecodeMeta {
  /** The topic exactly as it arrived (ZeroMQ or Kafka name). */
  readonly topic: string;
  readonly transport: Transport;
  readonly receivedAt: number;
  readonly position?: string;
}

/** The fields every message shares; each per-topic reader adds its own. */
export type MessageBase<K extends MessageKind> = Pick<
  MessageOfKind<K>,
  "kind" | "action" | "topic" | "transport" | "receivedAt" | "position" | "raw"
>;

/** Actions MISP does not send, supplied by kind (types.ts ActionsByKind). */
const IMPLIED_ACTIONS: Partial<Record<MessageKind, string>> = {
  publish: "publish",
  organisation: "save",
};

/** MISP's action words as kebab-case: "attached to attribute" → "attached-to-attribute". */
export function normaliseAction(action: string): string {
  return action.trim().replace(/[\s_]+/g, "-");
}

/**
 * Throws EnrichdError ENRICHD_MESSAGE_INVALID (details: topic, field) when a required field is
 * missing or mistyped, or the action is not one the kind defines.
 */
export function decodePayload(kind: MessageKind, meta: DecodeMeta, parsed: unknown): MispMessage {
  // A workflow pushes whatever its extraction path yields, often a JSON list: keep it under `data`.
  const payload = readRecord(kind === "workflow" && !isRecord(parsed) ? { data: parsed } : parsed, meta.topic, "");
  switch (kind) {
    case "attribute":
      return decodeAttribute(payload, base(kind, meta, payload));
    case "object":
      return decodeObject(payload, base(kind, meta, payload));
    case "object-reference":
      return decodeReference(payload, base(kind, meta, payload));
    case "tag":
      return decodeTag(payload, base(kind, meta, payload));
    case "event":
      return decodeEvent(payload, base(kind, meta, payload));
    case "publish":
      return decodePublish(payload, base(kind, meta, payload));
    case "sighting":
      return decodeSighting(payload, base(kind, meta, payload));
    case "heartbeat":
      return decodeHeartbeat(payload, base(kind, meta, payload));
    case "user":
    case "organisation":
    case "conversation":
    case "audit":
    case "warninglist":
    case "workflow":
    case "shadow-attribute":
      // Routed but not modelled field by field: handlers read `raw`.
      return base(kind, meta, payload) as MispMessage;
  }
}

function base<K extends MessageKind>(kind: K, meta: DecodeMeta, payload: RecordReader): MessageBase<K> {
  const fields = {
    kind,
    action: actionOf(kind, payload) as ActionsByKind[K],
    topic: meta.topic,
    transport: meta.transport,
    receivedAt: meta.receivedAt,
    raw: payload.value,
  };
  return (meta.position === undefined ? fields : { ...fields, position: meta.position }) as MessageBase<K>;
}

function actionOf(kind: MessageKind, payload: RecordReader): string {
  // These topics carry no action of their own; a key named `action` in them is data.
  if (kind === "heartbeat") return "beat";
  if (kind === "workflow") return "push";
  if (kind === "conversation") {
    if (payload.has("Post")) return "post";
    if (payload.has("Thread")) return "thread";
    throw invalidField(payload.topic, "Thread", undefined, "an object (or Post for a reply)");
  }
  const permitted: readonly string[] = ACTIONS_BY_KIND[kind];
  const raw = payload.value["action"];
  if (raw === undefined) {
    const implied = IMPLIED_ACTIONS[kind];
    if (implied !== undefined) return implied;
  }
  const action = typeof raw === "string" ? normaliseAction(raw) : undefined;
  if (action === undefined || !permitted.includes(action)) {
    throw invalidField(payload.topic, "action", raw, `one of ${permitted.join(", ")} (spaces and underscores as hyphens)`);
  }
  return action;
}

function decodeHeartbeat(payload: RecordReader, base: MessageBase<"heartbeat">): MessageOfKind<"heartbeat"> {
  const uptime = payload.value["uptime"];
  return {
    ...base,
    status: payload.str("status"),
    // mispzmq.py sends whole seconds; a float from another publisher is truncated, not refused.
    uptimeSeconds: typeof uptime === "number" && Number.isFinite(uptime) && uptime >= 0 ? Math.floor(uptime) : payload.int("uptime"),
  };
}
