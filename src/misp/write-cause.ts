// Who is writing: the subscriber or rule whose handler is running, and how deep in a chain its
// trigger was. The handler runner makes one per run; the context, the actions and the writer pass it
// with every write that changes someone else's data (attachTags, removeTag, editAttribute), so the
// guarded client can tell the echo guard whom to blame for the echo. (An AsyncLocalStorage did this
// without the parameter, but on Node 20 it runs a hook on every promise the process makes, about a
// tenth of the daemon's CPU per enrichment, measured in bench section 5.)

export interface WriteCause {
  /** The subscriber or rule name. */
  readonly by: string;
  /** 0 for a message from MISP's users; n + 1 for the echo of a write made at depth n. */
  readonly depth: number;
}
