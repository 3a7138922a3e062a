// The hot path from bytes to a typed message. It never throws: every frame becomes a message, a
// drop or an error outcome the pipeline counts and logs. Cheap checks come first, and a frame on
// a topic no subscriber wants is dropped before its JSON is parsed.

import { EnrichdError, isEnrichdError } from "../errors.js";
import type { BusFrame, MessageKind, MispMessage } from "./types.js";
import { decodePayload } from "./decode.js";
import { frameTopic, splitFrame } from "./frame.js";
import type { Prefilter } from "./prefilter.js";
import { isRecord } from "./scalars.js";
import type { TopicTable } from "./topic.js";

export type DecodeOutcome =
  | { readonly status: "message"; readonly message: MispMessage }
  | {
      readonly status: "dropped";
      /** no-route: the prefilter saw that no route can match it (prefilter.ts). */
      readonly reason: "unwanted-topic" | "too-large" | "no-route";
      readonly topic: string;
      readonly kind?: MessageKind;
    }
  | { readonly status: "error"; readonly error: EnrichdError; readonly topic: string };

export interface DecoderOptions {
  readonly table: TopicTable;
  /** Kinds some route wants (Router.kinds). The heartbeat is always wanted. */
  readonly wanted: ReadonlySet<MessageKind>;
  readonly maxFrameBytes: number;
  /** Drops frames of wanted kinds that no route can match, before parsing them. */
  readonly prefilter?: Prefilter;
}

export interface Decoder {
  decodeFrame(frame: BusFrame): DecodeOutcome;
}

const PREVIEW_CHARS = 200;

export function createDecoder(options: DecoderOptions): Decoder {
  const { table, maxFrameBytes, prefilter } = options;
  const wanted = new Set<MessageKind>(options.wanted).add("heartbeat");

  function decodeFrame(frame: BusFrame): DecodeOutcome {
    // Kafka delivers the topic beside a bare JSON value; ZeroMQ (and replays of it) put both in one frame.
    const bare = frame.transport === "kafka";
    if (frame.payload.length > maxFrameBytes) {
      const topic = bare ? frame.topic : (frameTopic(frame.payload) ?? frame.topic);
      return dropped("too-large", topic, table.kindOf(topic));
    }
    const split = bare ? { topic: frame.topic, json: frame.payload } : splitFrame(frame.payload);
    if (split === null) {
      return failure("ENRICHD_FRAME_MALFORMED", "frame has no topic separator (a space)", frame.topic, frame.payload);
    }
    const { topic, json } = split;
    const kind = table.kindOf(topic);
    if (kind === undefined) {
      return failure("ENRICHD_TOPIC_UNKNOWN", `frame arrived on unknown topic "${topic}"`, topic, json);
    }
    if (!wanted.has(kind)) return dropped("unwanted-topic", topic, kind);
    if (prefilter?.(kind, json)) return dropped("no-route", topic, kind);

    let parsed: unknown;
    try {
      parsed = JSON.parse(json.toString("utf8"));
    } catch (cause) {
      return failure("ENRICHD_FRAME_MALFORMED", `payload on ${topic} is not JSON`, topic, json, cause);
    }
    // Workflow pushes may be any JSON value (pubsub.md §4.13); every other topic sends an object.
    if (!isRecord(parsed) && kind !== "workflow") {
      return failure("ENRICHD_FRAME_MALFORMED", `payload on ${topic} is not a JSON object`, topic, json);
    }
    try {
      const meta = { topic, transport: frame.transport, receivedAt: frame.receivedAt, position: frame.position };
      return { status: "message", message: decodePayload(kind, meta, parsed) };
    } catch (error) {
      if (isEnrichdError(error)) return { status: "error", error, topic };
      // A reader bug, not bad input: still an outcome, with the cause kept for the log.
      return failure("ENRICHD_MESSAGE_INVALID", `payload on ${topic} could not be decoded`, topic, json, error);
    }
  }

  return { decodeFrame };
}

function dropped(reason: "unwanted-topic" | "too-large" | "no-route", topic: string, kind: MessageKind | undefined): DecodeOutcome {
  return kind === undefined ? { status: "dropped", reason, topic } : { status: "dropped", reason, topic, kind };
}

function failure(
  code: "ENRICHD_FRAME_MALFORMED" | "ENRICHD_TOPIC_UNKNOWN" | "ENRICHD_MESSAGE_INVALID",
  message: string,
  topic: string,
  bytes: Buffer,
  cause?: unknown,
): DecodeOutcome {
  // Decoding only a bounded head keeps a huge bad frame from costing a full string copy.
  const preview = bytes.toString("utf8", 0, PREVIEW_CHARS * 4).slice(0, PREVIEW_CHARS);
  const error = new EnrichdError(code, message, { cause, details: { topic, preview } });
  return { status: "error", error, topic };
}
