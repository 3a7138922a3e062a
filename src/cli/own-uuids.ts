// The uuids the daemon recorded as its own writes, read without touching the file (the daemon may
// be running and owns it), so `tail --explain` can give the echo guard's verdict as the daemon would.

import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { PersistentSet } from "../state/persistent-set.js";

export interface OwnUuids {
  readonly set: PersistentSet;
  /** Why the file could not be read; undefined when it was (or simply does not exist yet). */
  readonly unreadable?: string;
}

/** `<state.dir>/own-uuids.jsonl`, one `{"v": uuid, "e": expiry ms}` per line; expired entries left out. */
export function readOwnUuids(stateDir: string, now = Date.now()): OwnUuids {
  const values = new Set<string>();
  let unreadable: string | undefined;
  try {
    for (const line of readFileSync(join(stateDir, "own-uuids.jsonl"), "utf8").split("\n")) {
      try {
        const entry: unknown = JSON.parse(line);
        if (typeof entry !== "object" || entry === null) continue;
        const { v, e } = entry as { v?: unknown; e?: unknown };
        if (typeof v === "string" && typeof e === "number" && e > now) values.add(v);
      } catch {
        // blank or torn line
      }
    }
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== "ENOENT") unreadable = `${code ?? "error"}: ${(error as Error).message}`;
  }
  // Read-only: what the daemon adds later is not seen, nothing is ever written.
  const set: PersistentSet = { has: (value) => values.has(value), add: () => undefined,
    addAll: () => undefined,
    close: () => undefined, size: values.size };
  return unreadable === undefined ? { set } : { set, unreadable };
}
