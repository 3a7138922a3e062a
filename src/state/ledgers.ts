// The daemon's ledgers in `state.dir`, each a persistent set: the uuids it wrote (the echo guard's
// first mark), the references it added (MISP does not dedup them), the attribute adds each
// subscriber handled (a redelivery skips the module query), and what each `once` rule acted on. In dry-run nothing is written, so
// nothing is remembered as written either: the ledgers stay in memory.

import { join } from "node:path";
import type { Config } from "../config/schema.js";
import { errorMessage } from "../errors.js";
import type { Logger } from "../log.js";
import { createPersistentSet, type PersistentSet } from "./persistent-set.js";

export const LEDGER_FILES = {
  own: "own-uuids.jsonl",
  references: "references.jsonl",
  handled: "handled.jsonl",
  once: "once.jsonl",
} as const;

const REFERENCES_TTL_SECONDS = 30 * 86_400;
/** A once rule's record; its marker tag in MISP outlives it. */
const ONCE_TTL_SECONDS = 365 * 86_400;

export interface Ledgers {
  readonly own: PersistentSet;
  readonly references: PersistentSet;
  readonly handled: PersistentSet;
  /** `<rule>|<uuid>` of the attributes and events a `once` rule acted on. */
  readonly once: PersistentSet;
  close(): void;
}

/**
 * Who writes the ledgers: the daemon its own files, `misp-enrichd enrich` (beside a running daemon,
 * on the same state folder) `<name>.manual.jsonl`; each reads the other's as a peer.
 */
export type LedgerWriter = "daemon" | "manual";

const fileOf = (name: keyof typeof LEDGER_FILES, writer: LedgerWriter): string => (writer === "daemon" ? LEDGER_FILES[name] : LEDGER_FILES[name].replace(/\.jsonl$/, ".manual.jsonl"));

/**
 * A ledger that cannot be written (a full disk) does not stop its writer: one error line when it
 * starts failing, one info line when it works again; meanwhile its new entries live in memory only.
 */
export function openLedgers(config: Config, logger: Logger, writer: LedgerWriter = "daemon"): Ledgers {
  const other: LedgerWriter = writer === "daemon" ? "manual" : "daemon";
  const open = (name: keyof typeof LEDGER_FILES, ttlSeconds: number): PersistentSet => {
    const file = join(config.state.dir, fileOf(name, writer));
    const onWriteState = (failure: unknown): void => {
      if (failure === undefined) logger.info({ file }, "state file writable again");
      else logger.error({ file, err: errorMessage(failure) }, "state file not writable (is the state folder's disk full?); its new entries are kept in memory until it is");
    };
    return createPersistentSet({
      ttlSeconds,
      maxEntries: config.state.ledgerMaxEntries,
      batch: true,
      // A dry run writes nothing, and still knows what both writers recorded.
      ...(config.dryRun
        ? { peers: [join(config.state.dir, fileOf(name, "daemon")), join(config.state.dir, fileOf(name, "manual"))] }
        : { file, peers: [join(config.state.dir, fileOf(name, other))], onWriteState }),
    });
  };
  const own = open("own", config.pipeline.echoTtlSeconds);
  const references = open("references", REFERENCES_TTL_SECONDS);
  const handled = open("handled", config.pipeline.handledTtlSeconds);
  const once = open("once", ONCE_TTL_SECONDS);
  return {
    own,
    references,
    handled,
    once,
    close() {
      for (const set of [own, references, handled, once]) set.close();
    },
  };
}

/**
 * The own-uuids ledger as the daemon left it, for a reader beside it (`tail --explain`): read once,
 * never written. Throws ENRICHD_STATE_FAILED when the file exists but cannot be read.
 */
export function readOwnUuids(config: Config): PersistentSet {
  return createPersistentSet({ file: join(config.state.dir, LEDGER_FILES.own), ttlSeconds: config.pipeline.echoTtlSeconds, readOnly: true });
}
