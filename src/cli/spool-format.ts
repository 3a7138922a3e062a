// How `misp-enrichd spool` shows an entry: one line with its id, age, subscriber, reason and the
// input it is about (the frame decoded as `tail` shows it), or the whole entry with its payload.

import type { Config } from "../config/schema.js";
import { createDecoder } from "../decode/decoder.js";
import { MESSAGE_KINDS, type BusFrame } from "../decode/types.js";
import { topicTableFor } from "../route/routing.js";
import type { WorkEntry } from "../state/entry-folder.js";
import { summarize } from "./tail-format.js";

export interface EntryView {
  /** What the frame is about (`ip-dst "8.8.8.8" attribute … event …`), or why it does not decode. */
  readonly summary: string;
  /** The action and topic, e.g. `misp_json_attribute add`. */
  readonly what: string;
}

/** Decodes an entry's frame as the daemon would, with every kind wanted. */
export function describeEntry(config: Config): (entry: WorkEntry) => EntryView {
  const decoder = createDecoder({ table: topicTableFor(config), wanted: new Set(MESSAGE_KINDS), maxFrameBytes: config.bus.maxFrameBytes });
  return (entry) => {
    const frame: BusFrame = {
      topic: entry.frame.topic,
      transport: entry.frame.transport,
      payload: Buffer.from(entry.frame.payload, "base64"),
      receivedAt: entry.frame.receivedAt ?? 0,
    };
    const outcome = decoder.decodeFrame(frame);
    if (outcome.status === "message") return { summary: summarize(outcome.message), what: `${outcome.message.topic} ${outcome.message.action}` };
    if (outcome.status === "error") return { summary: `(does not decode: ${outcome.error.message})`, what: entry.frame.topic };
    return { summary: `(dropped unread: ${outcome.reason})`, what: entry.frame.topic };
  };
}

function age(iso: string, now: number): string {
  const seconds = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (seconds < 120) return `${seconds}s`;
  if (seconds < 7200) return `${Math.round(seconds / 60)}m`;
  if (seconds < 172_800) return `${Math.round(seconds / 3600)}h`;
  return `${Math.round(seconds / 86_400)}d`;
}

const cut = (text: string, max: number): string => (text.length > max ? `${text.slice(0, max - 1)}…` : text);

export function entryLine(entry: WorkEntry, view: EntryView, now: number = Date.now()): string {
  const redriven = entry.retriedFromDead ? " (from the dead letters)" : "";
  return `${entry.id}  ${age(entry.spooledAt, now).padStart(4)}  ${entry.subscriber}  ${entry.error.code} after ${entry.attempts} attempt${entry.attempts === 1 ? "" : "s"}${redriven}  ${view.what} ${view.summary}  — ${cut(entry.error.message.replace(/\s+/g, " "), 160)}`;
}

/** The whole entry as JSON, its payload shown decoded (`input`) beside the stored base64. */
export function entryDetail(entry: WorkEntry, view: EntryView): string {
  const bytes = Buffer.from(entry.frame.payload, "base64").toString("utf8");
  const json = entry.frame.transport === "kafka" ? bytes : bytes.slice(bytes.indexOf(" ") + 1);
  let input: unknown;
  try {
    input = JSON.parse(json);
  } catch {
    input = bytes;
  }
  return JSON.stringify({ ...entry, about: `${view.what} ${view.summary}`, input }, null, 2);
}
