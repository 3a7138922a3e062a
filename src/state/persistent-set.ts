// A set of strings with a time to live, kept in memory and appended to a JSONL file so that it
// survives restarts. Used for the uuids the daemon wrote (echo guard) and the references it added.

import { appendFileSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { EnrichdError } from "../errors.js";

export interface PersistentSet {
  has(value: string): boolean;
  add(value: string): void;
  readonly size: number;
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
    const t = now();
    for (const [value, expiry] of entries) if (expiry <= t) entries.delete(value);
    const tmp = `${options.file}.tmp`;
    writeFileSync(tmp, [...entries].map(([v, e]) => JSON.stringify({ v, e })).join("\n") + (entries.size ? "\n" : ""));
    renameSync(tmp, options.file);
    addsSinceCompaction = 0;
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
      const expiry = now() + ttlMs;
      entries.set(value, expiry);
      if (!options.file) return;
      appendFileSync(options.file, JSON.stringify({ v: value, e: expiry }) + "\n");
      // Keep the file proportional to the live set.
      if (++addsSinceCompaction > 10_000 && addsSinceCompaction > entries.size) compact();
    },
    get size() {
      return entries.size;
    },
  };
}
