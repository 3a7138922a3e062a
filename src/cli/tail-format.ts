// How `tail` shows a message: one line a human can scan (time, topic, action, what it is about),
// the raw frame as one replayable `topic json` line, and the `--explain` verdicts under it.

import type { BusFrame, MessageKind, MispMessage, Tag } from "../decode/types.js";
import type { Router } from "../route/router.js";
import type { EchoGuard } from "../misp/echo-guard.js";

const TOPIC_WIDTH = 27;

/** Local wall-clock time with milliseconds: tail is read live, next to MISP's own logs. */
export function clock(ms: number): string {
  const d = new Date(ms);
  const p = (n: number, w = 2): string => String(n).padStart(w, "0");
  return `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(d.getMilliseconds(), 3)}`;
}

function cut(text: string, max: number): string {
  const flat = text.replace(/\s+/g, " ");
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

const quote = (text: string, max = 80): string => JSON.stringify(cut(text, max));

function tagList(tags: readonly Tag[]): string {
  if (tags.length === 0) return "";
  return ` tags ${tags.map((t) => (t.local ? `${t.name} (local)` : t.name)).join(", ")}`;
}

function eventPart(event: { readonly uuid: string; readonly info: string } | undefined): string {
  return event ? ` event ${event.uuid} ${quote(event.info, 60)}` : "";
}

/** A name-like field of the first record in a payload MISP sends unmodelled (user, audit, ...). */
function rawSummary(raw: Readonly<Record<string, unknown>>): string {
  for (const [key, value] of Object.entries(raw)) {
    if (typeof value !== "object" || value === null || Array.isArray(value)) continue;
    const row = value as Record<string, unknown>;
    for (const field of ["name", "email", "title", "model", "action", "id"]) {
      const v = row[field];
      if (typeof v === "string" || typeof v === "number") return `${key} ${field} ${quote(String(v), 60)}`;
    }
    return key;
  }
  return cut(JSON.stringify(raw), 100);
}

/** What the message is about, after time, topic and action. */
export function summarize(message: MispMessage): string {
  switch (message.kind) {
    case "attribute": {
      const { attribute: a, object } = message;
      const inObject = object ? ` in ${object.name} object ${object.uuid}` : a.objectId ? ` in object id ${a.objectId}` : "";
      return `${a.type} ${quote(a.value)} attribute ${a.uuid}${inObject}${eventPart(message.event)}${tagList(a.tags)}`;
    }
    case "object":
      return `object ${message.object.name} ${message.object.uuid} (event id ${message.object.eventId})`;
    case "object-reference": {
      const r = message.reference;
      return `reference ${r.sourceUuid} ${r.relationshipType} → ${r.referencedType} ${r.referencedUuid} (event id ${r.eventId})`;
    }
    case "tag": {
      const t = message.tag;
      const target = t.attributeId !== undefined ? ` attribute id ${t.attributeId}` : t.eventId !== undefined ? ` event id ${t.eventId}` : "";
      return `tag ${quote(t.name)}${t.localOnly ? " (local only)" : ""}${target ? ` on${target}` : ""}`;
    }
    case "event":
      return message.event ? `${eventPart(message.event).trim()}${tagList(message.tags)}` : `event ${message.eventRef ?? "?"} (pulled from a connected server)`;
    case "publish":
      return `${eventPart(message.event).trim()}, ${message.attributes.length} attributes${tagList(message.tags)}`;
    case "sighting": {
      const s = message.sighting;
      const what = s.attribute ? `${s.attribute.type} ${quote(s.attribute.value)} attribute ${s.attribute.uuid}` : `attribute id ${s.attributeId}`;
      return `${s.type} of ${what}${s.source ? ` source ${quote(s.source, 40)}` : ""}`;
    }
    case "heartbeat":
      return `${quote(message.status)} uptime ${message.uptimeSeconds} s`;
    default:
      return rawSummary(message.raw);
  }
}

export function messageLine(message: MispMessage): string {
  return `${clock(message.receivedAt)} ${message.topic.padEnd(TOPIC_WIDTH)} ${message.action} ${summarize(message)}`;
}

export function problemLine(frame: BusFrame, topic: string, problem: string): string {
  return `${clock(frame.receivedAt)} ${(topic || "(no topic)").padEnd(TOPIC_WIDTH)} ✘ ${problem}`;
}

/**
 * The frame as one `topic json` line for `replay`. Kafka delivers the topic beside a bare value;
 * ZeroMQ frames carry it in front already. A payload spread over several lines is re-serialised.
 */
export function rawLine(frame: BusFrame): string {
  const text = frame.payload.toString("utf8");
  const line = frame.transport === "kafka" ? `${frame.topic} ${text}` : text;
  if (!/[\r\n]/.test(line)) return line;
  const space = line.indexOf(" ");
  try {
    return `${line.slice(0, space)} ${JSON.stringify(JSON.parse(line.slice(space + 1)))}`;
  } catch {
    return line.replace(/[\r\n]+/g, " ");
  }
}

export interface Explainer {
  readonly router: Router;
  /** Kinds some subscriber queries: the daemon drops every other topic unread. */
  readonly wantedKinds: ReadonlySet<MessageKind>;
  readonly echoGuard: EchoGuard;
}

/** Which subscribers would act on the message and why the others skip it, one line each. */
export function explainLines(message: MispMessage, explainer: Explainer): string[] {
  if (message.kind === "heartbeat") return ["    · heartbeat: the daemon only notes that the bus is alive"];
  if (!explainer.wantedKinds.has(message.kind)) {
    return [`    · no subscriber queries "${message.kind}": the daemon does not subscribe to ${message.topic} and never reads it`];
  }
  const echo = explainer.echoGuard.check(message);
  const lines: string[] = [];
  if (echo !== null) lines.push(`    ⟲ echo of the daemon's own write (${echo.reason}): ignored before routing`);
  for (const verdict of explainer.router.explain(message)) {
    const route = `${verdict.subscriber} on[${verdict.index}]`;
    if (!verdict.matched) lines.push(`    ✘ ${route}: ${verdict.reason ?? "does not match"}`);
    else if (echo !== null) lines.push(`    ✘ ${route}: would match, but the message is an echo`);
    else lines.push(`    ✔ ${route}: would run`);
  }
  if (lines.length === 0) lines.push("    · no subscriber is enabled");
  return lines;
}
