// Who is writing: the subscriber or rule whose handler is running, and how deep in a chain its
// trigger was. The handler runner sets it around each handler (AsyncLocalStorage), so every write
// that handler makes (through the writer, the actions or the raw client) tells the echo guard whom
// to blame for the echo, without threading it through every signature.

import { AsyncLocalStorage } from "node:async_hooks";

export interface WriteCause {
  /** The subscriber or rule name. */
  readonly by: string;
  /** 0 for a message from MISP's users; n + 1 for the echo of a write made at depth n. */
  readonly depth: number;
}

/**
 * `null`: the daemon's own bookkeeping (once markers), whose echo triggers nothing. Undefined
 * (outside any handler): treated the same way.
 */
const storage = new AsyncLocalStorage<WriteCause | null>();

export function withWriteCause<T>(cause: WriteCause | null, fn: () => T): T {
  return storage.run(cause, fn);
}

export function currentWriteCause(): WriteCause | null {
  return storage.getStore() ?? null;
}
