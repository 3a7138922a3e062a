// The daemon's ledgers in `state.dir`, each a persistent set: the uuids it wrote (the echo guard's
// first mark), the references it added (MISP does not dedup them), and the attribute adds each
// subscriber handled (a redelivery skips the module query). In dry-run nothing is written, so
// nothing is remembered as written either: the ledgers stay in memory.

import { join } from "node:path";
import type { Config } from "../config/schema.js";
import { createPersistentSet, type PersistentSet } from "./persistent-set.js";

export const LEDGER_FILES = {
  own: "own-uuids.jsonl",
  references: "references.jsonl",
  handled: "handled.jsonl",
} as const;

const REFERENCES_TTL_SECONDS = 30 * 86_400;

export interface Ledgers {
  readonly own: PersistentSet;
  readonly references: PersistentSet;
  readonly handled: PersistentSet;
  close(): void;
}

export function openLedgers(config: Config): Ledgers {
  const open = (name: keyof typeof LEDGER_FILES, ttlSeconds: number): PersistentSet =>
    createPersistentSet({ ttlSeconds, batch: true, ...(config.dryRun ? {} : { file: join(config.state.dir, LEDGER_FILES[name]) }) });
  const own = open("own", config.pipeline.echoTtlSeconds);
  const references = open("references", REFERENCES_TTL_SECONDS);
  const handled = open("handled", config.pipeline.handledTtlSeconds);
  return {
    own,
    references,
    handled,
    close() {
      for (const set of [own, references, handled]) set.close();
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
