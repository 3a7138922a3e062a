// Work that can never succeed by itself (a 4xx from MISP, a module error, a bad message a handler
// rejected), kept in `<state>/dead-letters/` with the reason and the frame, one file per letter in the
// spool's format (entry-folder.ts), so that `misp-enrichd spool list --dead` shows it and
// `spool retry --dead ID` hands it back to the spool after a fix with one rename.
//
// Bounded by `state.deadLetters.maxEntries` and `maxBytes`: beyond them the oldest letters are
// removed, each named in a warn line and counted in misp_enrichd_dead_letters_evicted_total. A
// dead letter waits for a person, and a flood of them must not fill the disk the spool needs.

import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import type { Logger } from "../log.js";
import type { Metrics } from "../metrics/metrics.js";
import { newEntryId, openEntryFolder, type EntryFolder, type NewWorkEntry, type WorkEntry } from "./entry-folder.js";

export type DeadLetter = NewWorkEntry;

export interface DeadLetterBox {
  put(letter: DeadLetter): Promise<WorkEntry>;
  readonly dir: string;
}

export interface DeadLetterOptions {
  readonly dir: string;
  readonly maxEntries?: number;
  readonly maxBytes?: number;
  readonly logger?: Logger;
  readonly metrics?: Metrics;
}

/** Where letters lived before the folder: one JSON line each. Imported once, then removed. */
export const LEGACY_DEAD_LETTER_FILE = "dead-letter.jsonl";

export function createDeadLetterBox(options: DeadLetterOptions): DeadLetterBox {
  const folder = openEntryFolder(options.dir);
  const maxEntries = options.maxEntries ?? Number.POSITIVE_INFINITY;
  const maxBytes = options.maxBytes ?? Number.POSITIVE_INFINITY;
  // Counted once, then kept; only an operator removes letters behind our back, which makes the count
  // too high, never too low: before evicting anything the folder is counted again.
  let counted: Promise<{ entries: number; bytes: number }> | undefined;
  // One letter at a time: eviction walks the folder, and two at once would both evict for one slot.
  let queue: Promise<unknown> = Promise.resolve();

  async function put(letter: DeadLetter): Promise<WorkEntry> {
    const usage = await (counted ??= folder.usage().then((u) => ({ ...u })));
    const entry: WorkEntry = { ...letter, id: newEntryId(), spooledAt: new Date().toISOString() };
    const size = await folder.write(entry);
    usage.entries++;
    usage.bytes += size;
    if (usage.entries > maxEntries || usage.bytes > maxBytes) Object.assign(usage, await evictBeyondBounds(folder));
    options.metrics?.set("misp_enrichd_dead_letters", usage.entries);
    return entry;
  }

  async function evictBeyondBounds(f: EntryFolder): Promise<{ entries: number; bytes: number }> {
    let { entries, bytes } = await f.usage();
    for (const id of await f.ids()) {
      if (entries <= maxEntries && bytes <= maxBytes) break;
      const letter = await f.read(id);
      if (!(await f.remove(id))) continue;
      entries--;
      bytes -= letter ? Buffer.byteLength(JSON.stringify(letter)) : 0;
      options.metrics?.inc("misp_enrichd_dead_letters_evicted_total");
      options.logger?.warn(
        { deadLetterId: id, subscriber: letter?.subscriber, code: letter?.error.code, maxEntries, maxBytes },
        "dead letters over their bound: the oldest was removed",
      );
    }
    return { entries, bytes };
  }

  return {
    dir: options.dir,
    put(letter) {
      const next = queue.then(() => put(letter));
      queue = next.catch(() => undefined);
      return next;
    },
  };
}

/**
 * Moves the letters of a `dead-letter.jsonl` left by an older version into the folder, then removes
 * the file. Returns how many were imported. An older letter names no route: it is filed under the
 * subscriber's first one (index 0), which every shipped subscriber has only.
 */
export async function importLegacyDeadLetters(stateDir: string, box: DeadLetterBox): Promise<number> {
  const file = join(stateDir, LEGACY_DEAD_LETTER_FILE);
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch {
    return 0;
  }
  let imported = 0;
  for (const line of text.split("\n")) {
    let old: Record<string, unknown>;
    try {
      old = JSON.parse(line) as Record<string, unknown>;
    } catch {
      continue;
    }
    if (typeof old.subscriber !== "string" || typeof old.topic !== "string" || typeof old.payload !== "string") continue;
    // A ZeroMQ frame starts with its topic; a Kafka record is the bare JSON.
    const transport = Buffer.from(old.payload, "base64").toString("latin1", 0, old.topic.length + 1) === `${old.topic} ` ? "zmq" : "kafka";
    await box.put({
      subscriber: old.subscriber,
      routeIndex: 0,
      frame: { topic: old.topic, transport, payload: old.payload, ...(typeof old.position === "string" ? { position: old.position } : {}) },
      attempts: 0,
      error: { code: typeof old.code === "string" ? old.code : "ENRICHD_HANDLER_FAILED", message: typeof old.message === "string" ? old.message : "" },
    });
    imported++;
  }
  rmSync(file, { force: true });
  return imported;
}
