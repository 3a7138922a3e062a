// A set of strings with a time to live, kept in memory and appended to a JSONL file so that it
// survives restarts. Used for the uuids the daemon wrote (echo guard) and the references it added.

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
  readonly now?: () => number;
}

export function createPersistentSet(options: PersistentSetOptions): PersistentSet {
  const now = options.now ?? Date.now;
  const entries = new Map<string, number>();
  const ttlMs = options.ttlSeconds * 1000;
  let addsSinceCompaction = 0;
  // Kept open: an append per write-back is on the hot path, an open/close each time costs 3-4×.
  let fd: number | undefined;

  if (options.file) {
    try {
      mkdirSync(dirname(options.file), { recursive: true });
      let text = "";
      try {
        text = readFileSync(options.file, "utf8");
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
      }
      const t = now();
      for (const line of text.split("\n")) {
        if (!line) continue;
        try {
          const { v, e } = JSON.parse(line) as { v: unknown; e: unknown };
          if (typeof v === "string" && typeof e === "number" && e > t) entries.set(v, e);
        } catch {
          // A torn last line after a crash: skip it, the rest is intact.
        }
      }
      compact();
    } catch (error) {
      throw new EnrichdError("ENRICHD_STATE_FAILED", `cannot use state file ${options.file}: ${(error as Error).message}`, {
        cause: error,
      });
    }
  }

  function compact(): void {
    if (!options.file) return;
    if (fd !== undefined) closeSync(fd);
    fd = undefined;
    const t = now();
    for (const [value, expiry] of entries) if (expiry <= t) entries.delete(value);
    const tmp = `${options.file}.tmp`;
    writeFileSync(tmp, [...entries].map(([v, e]) => JSON.stringify({ v, e })).join("\n") + (entries.size ? "\n" : ""));
    renameSync(tmp, options.file);
    fd = openSync(options.file, "a", 0o600);
    addsSinceCompaction = 0;
  }

  function addAll(values: readonly string[]): void {
    if (values.length === 0) return;
    const expiry = now() + ttlMs;
    let lines = "";
    for (const value of values) {
      entries.set(value, expiry);
      lines += JSON.stringify({ v: value, e: expiry }) + "\n";
    }
    if (fd === undefined) return;
    writeSync(fd, lines);
    addsSinceCompaction += values.length;
    // Keep the file proportional to the live set.
    if (addsSinceCompaction > 10_000 && addsSinceCompaction > entries.size) compact();
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
      if (fd !== undefined) closeSync(fd);
      fd = undefined;
    },
    get size() {
      return entries.size;
    },
  };
}
