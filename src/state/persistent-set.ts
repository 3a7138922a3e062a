// A set of strings with a time to live, kept in memory and appended to a JSONL file so that it
// survives restarts: the daemon's ledgers (state/ledgers.ts). One `{"v": value, "e": expiry ms}` per
// line; this file is the only reader and writer of that format. Bounded twice: entries expire, and
// beyond `maxEntries` the oldest are forgotten early; the file is rewritten with the live entries
// once the appends since the last rewrite outnumber them, so it stays within about twice the set.
// Each file has one writer process; `peers` are the files of other processes sharing the state
// folder (the daemon and `enrich`), read and followed as they grow or are compacted (renamed over),
// never written: nothing either writes can be lost by the other (what a peer appended is seen from the
// next turn of the event loop on). A write that fails while running
// (a full disk) never fails the caller: the value is kept in memory, `onWriteState` is told, and the
// lines not written are forgotten at the next start — a ledger only saves work, the deterministic
// uuids keep a repeat harmless.

import { closeSync, fstatSync, mkdirSync, openSync, readFileSync, readSync, renameSync, rmSync, statSync, writeSync } from "node:fs";
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
  /** Files other processes write (the same format): their entries count as members, looked up when missing here. */
  readonly peers?: readonly string[];
  /** Beyond this many entries the oldest are forgotten before they expire (default: no limit). */
  readonly maxEntries?: number;
  /**
   * Appends the lines added during one turn of the event loop in one write, on the next turn
   * (setImmediate) and on close(), instead of one write per add: the daemon's ledgers take three adds
   * per enrichment. A crash loses at most that turn's lines, which only costs a repeat of work the
   * deterministic uuids make harmless.
   */
  readonly batch?: boolean;
  readonly now?: () => number;
  /** Adds after which the file is compacted (then: once adds outnumber live entries); tests lower it. */
  readonly compactAfter?: number;
  /** Called with the error when writing the file starts failing, and with undefined once it works again. */
  readonly onWriteState?: (failure: unknown) => void;
}

/** A compaction's lines are laid out in a buffer of this size, written each time it fills. */
const COMPACTION_BUFFER_BYTES = 64 * 1024;

/** Adds after which a set is compacted however small it is (then: once adds outnumber live entries). */
const COMPACT_AFTER = 10_000;

/** Where a peer file was read up to: a new inode or a shorter file means it was compacted. */
interface PeerCursor {
  readonly file: string;
  ino?: number;
  offset: number;
  /** A line the writer had not finished when it was read. */
  tail: string;
}

export function createPersistentSet(options: PersistentSetOptions): PersistentSet {
  const now = options.now ?? Date.now;
  const entries = new Map<string, number>();
  const ttlMs = options.ttlSeconds * 1000;
  const maxEntries = options.maxEntries ?? Number.POSITIVE_INFINITY;
  let addsSinceCompaction = 0;
  // Entries kept by the last compaction: the next one comes once the adds since outnumber them.
  let keptAtCompaction = 0;
  // Kept open: an append per write-back is on the hot path, an open/close each time costs 3-4×.
  let fd: number | undefined;
  const file = options.readOnly ? undefined : options.file;
  const compactAfter = options.compactAfter ?? COMPACT_AFTER;
  const peerEntries = new Map<string, number>();
  const peers: PeerCursor[] = (options.peers ?? []).map((peer) => ({ file: peer, offset: 0, tail: "" }));
  // Lines added but not yet written (batch mode), and whether a write is scheduled.
  let unwritten = "";
  let scheduled = false;
  let failing = false;
  const failed = (error: unknown): void => {
    if (!failing) options.onWriteState?.(error);
    failing = true;
  };
  const worked = (): void => {
    if (failing) options.onWriteState?.(undefined);
    failing = false;
  };

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

  /** Forgets the oldest entries beyond maxEntries. */
  function trim(): void {
    if (entries.size <= maxEntries) return;
    for (const value of entries.keys()) {
      entries.delete(value);
      if (entries.size <= maxEntries) break;
    }
  }

  function flush(): void {
    scheduled = false;
    if (unwritten === "") return;
    const lines = unwritten;
    unwritten = "";
    append(lines);
  }

  /** Appends to the file; a failure (a full disk) is reported through onWriteState, never thrown. */
  function append(lines: string): void {
    if (fd === undefined) return;
    try {
      // After a failure the file may end in a torn line: start on a new one (the readers skip the torn one).
      writeAll(fd, Buffer.from(failing ? `\n${lines}` : lines));
      worked();
    } catch (error) {
      failed(error);
    }
  }

  /** Drops expired entries, then rewrites the file with the live ones, unwritten lines included (or keeps the old file if it cannot). */
  function compact(): void {
    unwritten = "";
    const t = now();
    for (const [value, expiry] of entries) if (expiry <= t) entries.delete(value);
    trim();
    addsSinceCompaction = 0;
    keptAtCompaction = entries.size;
    if (!file) return;
    const tmp = `${file}.tmp`;
    // Laid out in one buffer, written each time it fills: no string per line or per chunk of lines (a
    // busy daemon's own-uuid ledger compacts about one line per line it adds, eight per enrichment).
    try {
      const out = openSync(tmp, "w", 0o600);
      try {
        const buffer = Buffer.allocUnsafe(COMPACTION_BUFFER_BYTES);
        let used = 0;
        let endOf = NaN;
        let end = "";
        entries.forEach((expiry, value) => {
          if (expiry !== endOf) end = lineEnd((endOf = expiry)); // an addAll's values share their expiry
          // A value JSON must escape is written as its whole line; another in pieces, without a string.
          const text = NEEDS_ESCAPE.test(value) ? line(value, expiry) : undefined;
          // The line's bytes at most: exact for an escaped line, else 3 per UTF-16 unit of the value.
          const most = text === undefined ? 3 * value.length + end.length + 7 : Buffer.byteLength(text);
          if (used + most > buffer.length) {
            writeAll(out, buffer.subarray(0, used));
            used = 0;
          }
          if (most > buffer.length) return writeAll(out, Buffer.from(text ?? line(value, expiry)));
          if (text !== undefined) {
            used += buffer.write(text, used);
          } else {
            used += buffer.write('{"v":"', used, "latin1");
            used += buffer.write(value, used);
            used += buffer.write('"', used, "latin1");
            used += buffer.write(end, used, "latin1");
          }
        });
        if (used > 0) writeAll(out, buffer.subarray(0, used));
      } finally {
        closeSync(out);
      }
    } catch (error) {
      rmSync(tmp, { force: true });
      failed(error);
      fd ??= openSync(file, "a", 0o600);
      return;
    }
    if (fd !== undefined) closeSync(fd);
    renameSync(tmp, file);
    fd = openSync(file, "a", 0o600);
    worked();
  }

  function addAll(values: readonly string[]): void {
    if (values.length === 0) return;
    const expiry = now() + ttlMs;
    const end = lineEnd(expiry);
    let lines = "";
    for (const value of values) {
      // The Map's order must stay the order of expiry (the oldest go first below): a value it held
      // already is moved to the end. Set first, as a new value (the usual case) needs no other look-up.
      const size = entries.size;
      entries.set(value, expiry);
      if (entries.size === size) {
        entries.delete(value);
        entries.set(value, expiry);
      }
      lines += lineStart(value) + end;
    }
    trim();
    if (options.batch) {
      unwritten += lines;
      if (!scheduled && fd !== undefined) {
        scheduled = true;
        setImmediate(flush);
      }
    } else {
      append(lines);
    }
    addsSinceCompaction += values.length;
    // Keep the file (and the map, which only compaction prunes) proportional to the live set.
    if (addsSinceCompaction > compactAfter && addsSinceCompaction > keptAtCompaction) compact();
  }

  /** Reads what the peers appended since last time (all of a peer that was compacted). */
  function followPeers(): void {
    for (const peer of peers) {
      let stat: { size: number; ino: number } | undefined;
      try {
        // Looked at on every miss: a peer never written (no `enrich` ran) must not cost a thrown error.
        stat = statSync(peer.file, { throwIfNoEntry: false });
      } catch {
        continue; // unreadable: as if not written yet
      }
      if (stat === undefined) continue; // not written yet
      const { size, ino } = stat;
      if (ino !== peer.ino || size < peer.offset) {
        // Compacted (or new): read it whole again, and let what expired meanwhile go.
        Object.assign(peer, { ino, offset: 0, tail: "" });
        const t = now();
        for (const [value, expiry] of peerEntries) if (expiry <= t) peerEntries.delete(value);
      }
      if (size === peer.offset) continue;
      let fd: number;
      try {
        fd = openSync(peer.file, "r");
      } catch {
        continue;
      }
      try {
        // The inode just read: if the writer renamed a compacted file over it since, the next look re-reads.
        if (fstatSync(fd).ino !== ino) continue;
        const chunk = Buffer.alloc(size - peer.offset);
        const read = readSync(fd, chunk, 0, chunk.length, peer.offset);
        peer.offset += read;
        const lines = (peer.tail + chunk.subarray(0, read).toString("utf8")).split("\n");
        peer.tail = lines.pop() ?? "";
        parseLines(lines, now(), peerEntries);
      } finally {
        closeSync(fd);
      }
    }
  }

  // The peers are looked at (a stat each) at most once per turn of the event loop: the misses of one
  // turn (every new attribute misses twice) share the look, and what a peer appends meanwhile is
  // seen from the next turn on.
  let peersLookedAt = false;
  const lookAgain = (): void => {
    peersLookedAt = false;
  };

  function peerHas(value: string): boolean {
    if (peers.length === 0) return false;
    const live = (): boolean => (peerEntries.get(value) ?? 0) > now();
    if (live()) return true;
    if (peersLookedAt) return false;
    peersLookedAt = true;
    setImmediate(lookAgain).unref();
    followPeers();
    return live();
  }

  return {
    has(value) {
      const expiry = entries.get(value);
      if (expiry !== undefined && expiry <= now()) entries.delete(value);
      if (expiry !== undefined && expiry > now()) return true;
      return peerHas(value);
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

/** A short write (a disk filling up) is followed by another, which then fails with the real errno (ENOSPC). */
function writeAll(fd: number, buffer: Buffer): void {
  for (let done = 0; done < buffer.length; ) {
    const written = writeSync(fd, buffer, done);
    if (written === 0) throw new Error(`write made no progress after ${done} of ${buffer.length} bytes`);
    done += written;
  }
}

/** One entry as its JSONL line: `{"v": value, "e": expiry ms}`. */
function line(value: string, expiry: number): string {
  return lineStart(value) + lineEnd(expiry);
}

/** Characters JSON.stringify would escape in a string (a lone surrogate included). */
const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;

/** `{"v":<value as JSON>`; a uuid or key with nothing to escape is quoted as it is (what JSON.stringify gives). */
function lineStart(value: string): string {
  return NEEDS_ESCAPE.test(value) ? `{"v":${JSON.stringify(value)}` : `{"v":"${value}"`;
}

/** `,"e":<expiry>}` and the newline: the same for every value of one addAll. */
function lineEnd(expiry: number): string {
  return `,"e":${expiry}}\n`;
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
  parseLines(text.split("\n"), now, into);
}

function parseLines(lines: readonly string[], now: number, into: Map<string, number>): void {
  for (const line of lines) {
    if (!line) continue;
    try {
      const { v, e } = JSON.parse(line) as { v: unknown; e: unknown };
      if (typeof v === "string" && typeof e === "number" && e > now) {
        // Deleted first so that the Map's order stays the order of expiry (trim() forgets the oldest first).
        const expiry = Math.max(e, into.get(v) ?? 0);
        into.delete(v);
        into.set(v, expiry);
      }
    } catch {
      // A torn last line after a crash: skip it, the rest is intact.
    }
  }
}
