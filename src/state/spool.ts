// The on-disk retry spool: work that failed with a retriable error after its in-process retries
// is written here (one file per entry, written then renamed, fsynced) and re-driven later. An
// entry is removed only once its handler has succeeded or failed for good.

import { randomUUID } from "node:crypto";
import { mkdir, open, readdir, readFile, rename, rm } from "node:fs/promises";
import { join } from "node:path";
import type { Transport } from "../decode/types.js";
import { EnrichdError } from "../errors.js";

export interface SpoolEntry {
  readonly id: string;
  readonly subscriber: string;
  readonly routeIndex: number;
  readonly frame: { readonly topic: string; readonly transport: Transport; readonly payload: string; readonly position?: string };
  readonly attempts: number;
  readonly error: { readonly code: string; readonly message: string };
  /** Chain depth of the message (the echo of the daemon's own write at depth n - 1); absent: 0. */
  readonly depth?: number;
  readonly spooledAt: string;
}

export interface Spool {
  put(entry: Omit<SpoolEntry, "id" | "spooledAt">): Promise<SpoolEntry>;
  list(): Promise<SpoolEntry[]>;
  remove(id: string): Promise<void>;
  count(): Promise<number>;
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

// Entry ids sort in write order: time, then a per-process sequence.
let sequence = 0;

export function createSpool(options: { readonly dir: string }): Spool {
  const ready = mkdir(options.dir, { recursive: true, mode: 0o700 });
  // Reported by the first write that needs the folder, not as an unhandled rejection at start-up.
  ready.catch(() => undefined);
  const fail = (what: string, error: unknown): EnrichdError =>
    new EnrichdError("ENRICHD_STATE_FAILED", `spool ${what} failed in ${options.dir}: ${(error as Error).message}`, { cause: error });

  async function entries(): Promise<string[]> {
    await ready;
    return (await readdir(options.dir)).filter((name) => name.endsWith(".json")).sort();
  }

  return {
    async put(partial) {
      const entry: SpoolEntry = { ...partial, id: `${String(Date.now()).padStart(14, "0")}-${String(sequence++ % 1e6).padStart(6, "0")}-${randomUUID().slice(0, 8)}`, spooledAt: new Date().toISOString() };
      try {
        await ready;
        await writeFileDurably(join(options.dir, `${entry.id}.json`), JSON.stringify(entry));
      } catch (error) {
        throw fail("write", error);
      }
      return entry;
    },
    async list() {
      const out: SpoolEntry[] = [];
      for (const name of await entries()) {
        try {
          out.push(JSON.parse(await readFile(join(options.dir, name), "utf8")) as SpoolEntry);
        } catch {
          // Unreadable entry: leave it for an operator rather than lose it.
        }
      }
      return out;
    },
    async remove(id) {
      try {
        await rm(join(options.dir, `${id}.json`), { force: true });
      } catch (error) {
        throw fail("remove", error);
      }
    },
    async count() {
      return (await entries()).length;
    },
  };
}
