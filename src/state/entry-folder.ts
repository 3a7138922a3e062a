// A folder of work entries, one JSON file each: the spool (work waiting for a retry) and the dead
// letters (work that failed for good) share it. A file is written under a temporary name, fsynced,
// then renamed, so a reader (the daemon's re-drive, `misp-enrichd spool` beside it) sees a whole
// entry or none; moving an entry between the two folders is one rename. Ids sort in write order.

import { randomUUID } from "node:crypto";
import { mkdir, open, readdir, readFile, rename, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import type { Transport } from "../decode/types.js";
import { EnrichdError } from "../errors.js";
import { isRecord } from "../json.js";

/** A bus frame as stored: the payload in base64, exactly the bytes the bus delivered. */
export interface StoredFrame {
  readonly topic: string;
  readonly transport: Transport;
  readonly payload: string;
  readonly position?: string;
  /** Epoch ms of the frame's arrival on the bus (the end-to-end latency counts from it). */
  readonly receivedAt?: number;
}

export interface WorkEntry {
  readonly id: string;
  readonly subscriber: string;
  /** Which of the subscriber's `on(...)` routes the work belongs to. */
  readonly routeIndex: number;
  readonly frame: StoredFrame;
  readonly attempts: number;
  /** Why it is here: the last error's code and message. */
  readonly error: { readonly code: string; readonly message: string };
  /** Chain depth of the message (the echo of the daemon's own write at depth n - 1); absent: 0. */
  readonly depth?: number;
  /** When the entry was written into its folder (ISO 8601). */
  readonly spooledAt: string;
  /** Set when an operator re-drove a dead letter (`spool retry --dead`): its id. */
  readonly retriedFromDead?: string;
}

export type NewWorkEntry = Omit<WorkEntry, "id" | "spooledAt">;

export interface FolderUsage {
  readonly entries: number;
  readonly bytes: number;
}

export interface EntryFolder {
  readonly dir: string;
  /** Writes the entry durably; returns its size in bytes. */
  write(entry: WorkEntry): Promise<number>;
  /** Undefined when there is no such entry (or it is unreadable). */
  read(id: string): Promise<WorkEntry | undefined>;
  /** Every readable entry, oldest first. */
  list(): Promise<WorkEntry[]>;
  /** Entry ids, oldest first. */
  ids(): Promise<string[]>;
  /** True when the entry existed. */
  remove(id: string): Promise<boolean>;
  /** Entries and bytes on disk now. */
  usage(): Promise<FolderUsage>;
}

const SUFFIX = ".json";
/** Ids are generated here or typed by an operator: never a path. */
const ID = /^[0-9A-Za-z][0-9A-Za-z-]{0,80}$/;

let sequence = 0;

/** Sorts in write order: time, then a per-process sequence, then randomness against other processes. */
export function newEntryId(now: number = Date.now()): string {
  return `${String(now).padStart(14, "0")}-${String(sequence++ % 1e6).padStart(6, "0")}-${randomUUID().slice(0, 8)}`;
}

export function isEntryId(id: string): boolean {
  return ID.test(id);
}

export async function writeFileDurably(path: string, data: string): Promise<void> {
  const tmp = `${path}.${randomUUID()}.tmp`;
  const handle = await open(tmp, "w", 0o600);
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(tmp, path);
}

/** An entry as read from disk, checked field by field; undefined when it is not one. */
const TRANSPORTS: ReadonlySet<Transport> = new Set<Transport>(["zmq", "kafka", "replay", "backfill", "manual"]);

export function narrowWorkEntry(value: unknown): WorkEntry | undefined {
  if (!isRecord(value) || !isRecord(value.frame) || !isRecord(value.error)) return undefined;
  const { id, subscriber, routeIndex, attempts, spooledAt, frame, error } = value;
  if (typeof id !== "string" || typeof subscriber !== "string" || typeof routeIndex !== "number" || typeof attempts !== "number") return undefined;
  if (typeof spooledAt !== "string" || typeof frame.topic !== "string" || typeof frame.payload !== "string") return undefined;
  if (!TRANSPORTS.has(frame.transport as Transport)) return undefined;
  if (value.depth !== undefined && (typeof value.depth !== "number" || !Number.isSafeInteger(value.depth) || value.depth < 0)) return undefined;
  if (typeof error.code !== "string" || typeof error.message !== "string") return undefined;
  return value as unknown as WorkEntry;
}

export function openEntryFolder(dir: string): EntryFolder {
  const ready = mkdir(dir, { recursive: true, mode: 0o700 });
  // Reported by the first operation that needs the folder, not as an unhandled rejection at start-up.
  ready.catch(() => undefined);
  const fail = (what: string, error: unknown): EnrichdError =>
    new EnrichdError("ENRICHD_STATE_FAILED", `${what} failed in ${dir}: ${(error as Error).message}`, { cause: error, details: { dir } });
  const pathOf = (id: string): string => {
    if (!isEntryId(id)) throw new EnrichdError("ENRICHD_STATE_FAILED", `not an entry id: ${JSON.stringify(id.slice(0, 100))}`, { details: { dir } });
    return join(dir, `${id}${SUFFIX}`);
  };

  async function names(): Promise<string[]> {
    await ready;
    return (await readdir(dir)).filter((name) => name.endsWith(SUFFIX)).sort();
  }

  async function read(id: string): Promise<WorkEntry | undefined> {
    try {
      return narrowWorkEntry(JSON.parse(await readFile(pathOf(id), "utf8")));
    } catch {
      return undefined;
    }
  }

  return {
    dir,
    async write(entry) {
      const text = JSON.stringify(entry);
      try {
        await ready;
        await writeFileDurably(pathOf(entry.id), text);
      } catch (error) {
        throw fail(`writing entry ${entry.id}`, error);
      }
      return Buffer.byteLength(text);
    },
    read,
    async list() {
      const out: WorkEntry[] = [];
      for (const name of await names()) {
        // Unreadable entries stay on disk for an operator rather than being lost.
        const entry = await read(name.slice(0, -SUFFIX.length));
        if (entry) out.push(entry);
      }
      return out;
    },
    async ids() {
      return (await names()).map((name) => name.slice(0, -SUFFIX.length));
    },
    async remove(id) {
      try {
        await rm(pathOf(id));
        return true;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === "ENOENT") return false;
        throw fail(`removing entry ${id}`, error);
      }
    },
    async usage() {
      let entries = 0;
      let bytes = 0;
      for (const name of await names()) {
        try {
          bytes += (await stat(join(dir, name))).size;
          entries++;
        } catch {
          // Removed between readdir and stat: not there any more.
        }
      }
      return { entries, bytes };
    },
  };
}
