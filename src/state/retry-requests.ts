// `misp-enrichd spool retry` beside a running daemon: the command never runs handlers itself, it
// leaves a request file in the spool folder (`<id>.retry`, written then renamed like an entry) and
// the daemon, which watches the folder, re-drives the spool at once, the requested entries first.
// With no daemon running, the request waits for the next start, which re-drives the spool anyway.

import { existsSync, mkdirSync, watch, type FSWatcher } from "node:fs";
import { readdir, readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { isRecord } from "../json.js";
import { isEntryId, newEntryId, writeFileDurably } from "./entry-folder.js";

const SUFFIX = ".retry";

export interface RetryRequest {
  /** Entry ids to re-drive first, in the order asked. */
  readonly ids: readonly string[];
}

/** Writes a request; returns its file, which the daemon removes once it took the request. */
export async function requestRetry(spoolDir: string, ids: readonly string[]): Promise<string> {
  const file = join(spoolDir, `${newEntryId()}${SUFFIX}`);
  await writeFileDurably(file, JSON.stringify({ ids }));
  return file;
}

/** Reads and removes every pending request; the ids of all of them, oldest request first, once each. */
export async function takeRetryRequests(spoolDir: string): Promise<RetryRequest> {
  let names: string[];
  try {
    names = (await readdir(spoolDir)).filter((name) => name.endsWith(SUFFIX)).sort();
  } catch {
    return { ids: [] };
  }
  const ids = new Set<string>();
  for (const name of names) {
    const file = join(spoolDir, name);
    try {
      const request: unknown = JSON.parse(await readFile(file, "utf8"));
      if (isRecord(request) && Array.isArray(request.ids)) {
        for (const id of request.ids) if (typeof id === "string" && isEntryId(id)) ids.add(id);
      }
    } catch {
      // A request that cannot be read asks for nothing in particular: a re-drive happens anyway.
    }
    await rm(file, { force: true });
  }
  return { ids: [...ids] };
}

/**
 * Calls `onRequest` when a request file appears in the folder (inotify through fs.watch). Returns
 * the function that stops watching. Where the file system cannot be watched, requests wait for the
 * periodic re-drive (`pipeline.spoolRetryMs`).
 */
export function watchRetryRequests(spoolDir: string, onRequest: () => void): () => void {
  let watcher: FSWatcher | undefined;
  try {
    // The spool creates its folder asynchronously: it may not be there yet.
    mkdirSync(spoolDir, { recursive: true, mode: 0o700 });
    watcher = watch(spoolDir, { persistent: false }, (_event, name) => {
      // A request appearing, not one the re-drive just took away.
      if (name === null || (String(name).endsWith(SUFFIX) && existsSync(join(spoolDir, String(name))))) onRequest();
    });
    watcher.on("error", () => watcher?.close());
  } catch {
    return () => undefined;
  }
  return () => watcher?.close();
}
