// A set of strings with a time to live, kept in memory and appended to a JSONL file so that it
// survives restarts: the daemon's ledgers (state/ledgers.ts). One `{"v": value, "e": expiry ms}` per
// line; this file is the only reader and writer of that format.

import { closeSync, mkdirSync, openSync, readFileSync, renameSync, writeFileSync, writeSync } from "node:fs";
import { dirname } from "node:path";
import { EnrichdError } from "../errors.js";

export interface PersistentSet {
  has(value: string): boolean;
  add(value: string): void;
  /** One write for several values (a write-back records all its uuids at once). */
  addAll(values: readonly string[]): void;
  readonly size: number;
  /** Closes the file; the set stays readable. */
  close(): void;
}

export interface PersistentSetOptions {
  /** JSONL file; undefined keeps the set in memory only (tests, dry-run). */
  readonly file?: string;
  readonly ttlSeconds: number;
  /**
   * Reads the file as it is now and never writes it (a reader beside the daemon that owns it, such
   * as `tail --explain`): later adds stay in memory, a missing file is an empty set.
   */
  readonly readOnly?: boolean;
  /**
   * Appends the lines added during one turn of the event loop in one write, on the next turn
   * (setImmediate) and on close(), instead of one write per add: the daemon's ledgers take three adds
   * per enrichment. A crash loses at most that turn's lines, which only costs a repeat of work the
   * deterministic uuids make harmless.
   */
  readonly batch?: boolean;
  readonly now?: () => number;
}

/** Adds after which a set is compacted however small it is (then: once adds outnumber live entries). */
const COMPACT_AFTER = 10_000;

export function createPersistentSet(options: PersistentSetOptions): PersistentSet {
  const now = options.now ?? Date.now;
  const entries = new Map<string, number>();
  const ttlMs = options.ttlSeconds * 1000;
  let addsSinceCompaction = 0;
  // Entries kept by the last compaction: the next one comes once the adds since outnumber them.
  let keptAtCompaction = 0;
  // Kept open: an append per write-back is on the hot path, an open/close each time costs 3-4×.
  let fd: number | undefined;
  const file = options.readOnly ? undefined : options.file;
  // Lines added but not yet written (batch mode), and whether a write is scheduled.
  let unwritten = "";
  let scheduled = false;

  if (options.file) {
    try {
      if (file) mkdirSync(dirname(file), { recursive: true });
      readEntries(options.file, now(), entries);
      compact();
    } catch (error) {
      throw new EnrichdError("ENRICHD_STATE_FAILED", `cannot use state file ${options.file}: ${(error as Error).message}`, {
        cause: error,
      });
    }
  }

  function flush(): void {
    scheduled = false;
    if (unwritten === "") return;
    const lines = unwritten;
    unwritten = "";
    if (fd !== undefined) writeSync(fd, lines);
  }

  /** Drops expired entries, then rewrites the file with the live ones (unwritten lines included). */
  function compact(): void {
    unwritten = "";
    const t = now();
    for (const [value, expiry] of entries) if (expiry <= t) entries.delete(value);
    addsSinceCompaction = 0;
    keptAtCompaction = entries.size;
    if (!file) return;
    if (fd !== undefined) closeSync(fd);
    fd = undefined;
    const tmp = `${file}.tmp`;
    writeFileSync(tmp, [...entries].map(([v, e]) => JSON.stringify({ v, e })).join("\n") + (entries.size ? "\n" : ""));
    renameSync(tmp, file);
    fd = openSync(file, "a", 0o600);
  }

  function addAll(values: readonly string[]): void {
    if (values.length === 0) return;
    const expiry = now() + ttlMs;
    let lines = "";
    for (const value of values) {
      entries.set(value, expiry);
      lines += `{"v":${JSON.stringify(value)},"e":${expiry}}\n`;
    }
    if (options.batch) {
      unwritten += lines;
      if (!scheduled && fd !== undefined) {
        scheduled = true;
        setImmediate(flush);
      }
    } else if (fd !== undefined) {
      writeSync(fd, lines);
    }
    addsSinceCompaction += values.length;
    // Keep the file (and the map, which only compaction prunes) proportional to the live set.
    if (addsSinceCompaction > COMPACT_AFTER && addsSinceCompaction > keptAtCompaction) compact();
  }

  return {
    has(value) {
      const expiry = entries.get(value);
      if (expiry === undefined) return false;
      if (expiry <= now()) {
        entries.delete(value);
        return false;
      }
      return true;
    },
    add(value) {
      addAll([value]);
    },
    addAll,
    close() {
      flush();
      if (fd !== undefined) closeSync(fd);
      fd = undefined;
    },
    get size() {
      return entries.size;
    },
  };
}

/** Adds the file's unexpired entries to `into`; a missing file adds none, a torn line is skipped. */
function readEntries(file: string, now: number, into: Map<string, number>): void {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return;
    throw error;
  }
  for (const line of text.split("\n")) {
    if (!line) continue;
    try {
      const { v, e } = JSON.parse(line) as { v: unknown; e: unknown };
      if (typeof v === "string" && typeof e === "number" && e > now) into.set(v, e);
    } catch {
      // A torn last line after a crash: skip it, the rest is intact.
    }
  }
}
