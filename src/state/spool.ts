// The on-disk retry spool (`<state>/spool/`): work that failed with a retriable error, or met an
// open circuit breaker, waits here for the re-drive, one file per entry (entry-folder.ts). An entry
// is removed only once its handler succeeded or failed for good.
//
// Bounded by `state.spool.maxEntries` and `maxBytes`. When the next entry does not fit, `put` waits
// for room (the re-drive removing entries, or an operator's `misp-enrichd spool drop`) instead of
// failing: the handler holds its slot in the pipeline, the pipeline fills up to maxPending and stops
// accepting frames, and the bus feels it (Kafka pauses its partitions; ZeroMQ's socket buffers up to
// its high-water mark, then MISP's publisher drops frames for us and the gap backfill fetches them
// later). Nothing is dropped to make room. A disk that is full (ENOSPC, EDQUOT) is met the same
// way: `put` waits and writes again, so the work stays held instead of failing for want of a disk.
// A `put` whose signal aborts (shutdown) while it waits throws ENRICHD_SPOOL_FULL, and the runner
// keeps the work as a dead letter instead.

import { setTimeout as wait } from "node:timers/promises";
import { EnrichdError } from "../errors.js";
import type { Logger } from "../log.js";
import type { Metrics } from "../metrics/metrics.js";
import { newEntryId, openEntryFolder, type EntryFolder, type FolderUsage, type NewWorkEntry, type WorkEntry } from "./entry-folder.js";

export type SpoolEntry = WorkEntry;

export interface SpoolLimits {
  readonly maxEntries: number;
  readonly maxBytes: number;
}

export interface SpoolOptions extends Partial<SpoolLimits> {
  readonly dir: string;
  readonly logger?: Logger;
  readonly metrics?: Metrics;
  /** How often a `put` waiting for room counts the folder again (an operator may have dropped entries). */
  readonly roomCheckMs?: number;
  /**
   * Called after a `put` that had to wait for room wrote its entry: room was made (by a re-drive
   * whose peer is back, or an operator), so the work held meanwhile is worth re-driving now.
   */
  readonly onHeldWorkParked?: () => void;
  /** The folder the entries live in; tests pass one that fails. Default: `dir` on disk. */
  readonly folder?: EntryFolder;
}

export interface SpoolUsage extends FolderUsage {
  readonly full: boolean;
}

export interface Spool {
  readonly dir: string;
  /** Writes the entry; waits while the spool is full, throws ENRICHD_SPOOL_FULL if `signal` aborts meanwhile. */
  put(entry: NewWorkEntry, options?: { readonly signal?: AbortSignal }): Promise<SpoolEntry>;
  list(): Promise<SpoolEntry[]>;
  remove(id: string): Promise<void>;
  count(): Promise<number>;
  /** Entries and bytes as last counted; `full` from a `put` that found no room until the spool is below 90 % of its bounds. */
  usage(): SpoolUsage;
  /** Counts the folder again (`misp-enrichd spool` may have changed it beside the daemon). */
  refresh(): Promise<SpoolUsage>;
}

export function createSpool(options: SpoolOptions): Spool {
  const folder: EntryFolder = options.folder ?? openEntryFolder(options.dir);
  const maxEntries = options.maxEntries ?? Number.POSITIVE_INFINITY;
  const maxBytes = options.maxBytes ?? Number.POSITIVE_INFINITY;
  const roomCheckMs = options.roomCheckMs ?? 1_000;
  const { metrics } = options;
  let entries = 0;
  let bytes = 0;
  let waiting = 0;
  // Reserved by puts whose file is not written yet: a recount from disk must not give their room away.
  let writing = { entries: 0, bytes: 0 };
  let full = false;
  let diskFull = false;
  let wake = new AbortController();
  // Counted once at start; every change made here keeps the count, refresh() catches the others.
  const counted = folder.usage().then(
    (u) => void publish(u.entries, u.bytes),
    () => undefined,
  );

  function publish(nextEntries: number, nextBytes: number): void {
    entries = Math.max(0, nextEntries);
    bytes = Math.max(0, nextBytes);
    metrics?.set("misp_enrichd_spool_entries", entries);
    metrics?.set("misp_enrichd_spool_bytes", bytes);
  }

  function markFull(next: boolean, size: number): void {
    if (next === full) return;
    full = next;
    metrics?.set("misp_enrichd_spool_full", next ? 1 : 0);
    if (next) {
      options.logger?.warn(
        { dir: options.dir, entries, bytes, maxEntries, maxBytes, entryBytes: size },
        "spool full: new work is held in the pipeline until the re-drive makes room; the bus is slowed (Kafka pauses, ZeroMQ buffers then drops, and the gap backfill recovers)",
      );
    } else {
      options.logger?.info({ dir: options.dir, entries, bytes }, "spool has room again");
    }
  }

  const fits = (size: number): boolean => entries + 1 <= maxEntries && bytes + size <= maxBytes;
  // "Room again" only below 90 % of both bounds, so a spool hovering at its bound logs once, not per entry.
  const roomy = (): boolean => waiting === 0 && entries <= maxEntries * 0.9 && bytes <= maxBytes * 0.9;

  async function refresh(): Promise<SpoolUsage> {
    const u = await folder.usage();
    publish(u.entries + writing.entries, u.bytes + writing.bytes);
    if (full && roomy()) markFull(false, 0);
    return { entries, bytes, full };
  }

  return {
    dir: options.dir,
    async put(partial, { signal } = {}) {
      await counted;
      let held = false;
      const entry: SpoolEntry = { ...partial, id: newEntryId(), spooledAt: new Date().toISOString() };
      const size = Buffer.byteLength(JSON.stringify(entry));
      if (size > maxBytes) {
        throw new EnrichdError("ENRICHD_SPOOL_FULL", `a spool entry of ${size} bytes can never fit state.spool.maxBytes (${maxBytes})`, { details: { size, maxBytes } });
      }
      if (!fits(size)) {
        held = true;
        waiting++;
        try {
          while (!fits(size)) {
            markFull(true, size);
            if (signal?.aborted) {
              throw new EnrichdError("ENRICHD_SPOOL_FULL", `the spool was full (${entries} entries, ${bytes} bytes) when the daemon stopped`, {
                details: { entries, bytes, maxEntries, maxBytes },
              });
            }
            const stop = AbortSignal.any([wake.signal, ...(signal ? [signal] : [])]);
            await wait(roomCheckMs, undefined, { signal: stop }).catch(() => undefined);
            if (!fits(size)) await refresh();
          }
        } finally {
          waiting--;
        }
      }
      // Reserved before the write, so that concurrent puts never overshoot the bound together.
      publish(entries + 1, bytes + size);
      writing = { entries: writing.entries + 1, bytes: writing.bytes + size };
      try {
        // A full disk holds the work like a full spool: written again until there is room.
        for (;;) {
          try {
            await folder.write(entry);
            break;
          } catch (error) {
            if (!isDiskFull(error) || signal?.aborted) throw error;
            held = true;
            if (!diskFull) {
              diskFull = true;
              options.logger?.error(
                { dir: options.dir, err: (error as Error).message },
                "state disk full: the spool cannot write; work is held in the pipeline and written as soon as there is room",
              );
            }
            await wait(roomCheckMs, undefined, signal ? { signal } : {}).catch(() => undefined);
          }
        }
        if (diskFull) {
          diskFull = false;
          options.logger?.info({ dir: options.dir }, "state disk has room again: the spool writes");
        }
      } catch (error) {
        publish(entries - 1, bytes - size);
        throw error;
      } finally {
        writing = { entries: writing.entries - 1, bytes: writing.bytes - size };
      }
      if (held) options.onHeldWorkParked?.();
      return entry;
    },
    list: () => folder.list(),
    async remove(id) {
      const entry = await folder.read(id);
      if (!(await folder.remove(id))) return;
      publish(entries - 1, bytes - (entry ? Buffer.byteLength(JSON.stringify(entry)) : 0));
      if (full && roomy()) markFull(false, 0);
      // Whoever waits for room looks again now.
      wake.abort();
      wake = new AbortController();
    },
    async count() {
      return (await folder.ids()).length;
    },
    usage: () => ({ entries, bytes, full }),
    refresh,
  };
}

/** ENOSPC or EDQUOT, on the error or its cause (the entry folder wraps what the file system threw). */
function isDiskFull(error: unknown): boolean {
  for (let e: unknown = error; e instanceof Error; e = e.cause) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENOSPC" || code === "EDQUOT") return true;
  }
  return false;
}
