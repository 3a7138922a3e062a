// `once: true`: a rule acts at most once per attribute (or per event, for event triggers), across
// restarts and a lost state folder. Two records, written after the rule acted:
// - a marker tag `<misp.commentPrefix>:rule="<name>"` on the attribute or event in MISP itself, local
//   with a key of MISP's host organisation (never synchronised, no `edit`); with another key it
//   follows misp.tagLocality (auto: global, which partners see); when MISP refuses even that (the
//   key's organisation did not create the event), only the ledger remembers, and the log says so;
// - `once.jsonl` in the state folder, which also covers the moments before the marker's read.
// The marker's echo triggers nothing: it is the daemon's bookkeeping (write cause null).

import type { ActionDeps } from "../actions/types.js";
import { errorMessage } from "../errors.js";
import type { Logger } from "../log.js";
import type { Tag } from "../decode/types.js";
import type { PersistentSet } from "../state/persistent-set.js";

export interface OnceTarget {
  readonly kind: "attribute" | "event";
  readonly id: number;
  readonly uuid: string;
  readonly tags: readonly Tag[];
}

export interface OnceMarks {
  readonly markerFor: (rule: string) => string;
  /** Whether the rule acted on the target already (its marker is on it, or the ledger says so). */
  done(rule: string, target: OnceTarget): boolean;
  /** Records that the rule acted: the ledger, then the marker tag. */
  mark(rule: string, target: OnceTarget, run: { signal: AbortSignal; log: Logger }): Promise<void>;
}

export function createOnceMarks(options: { readonly ledger: PersistentSet; readonly commentPrefix: string; readonly deps: Pick<ActionDeps, "misp" | "reads" | "tagLocal"> }): OnceMarks {
  const markerFor = (rule: string): string => `${options.commentPrefix}:rule="${rule}"`;
  return {
    markerFor,
    done(rule, target) {
      const marker = markerFor(rule).toLowerCase();
      return options.ledger.has(`${rule}|${target.uuid.toLowerCase()}`) || target.tags.some((t) => t.name.toLowerCase() === marker);
    },
    async mark(rule, target, { signal, log }) {
      options.ledger.add(`${rule}|${target.uuid.toLowerCase()}`);
      const marker = markerFor(rule);
      try {
        // The daemon's bookkeeping: its echo triggers nothing (cause null).
        await options.deps.misp.attachTags(target.uuid, [marker], options.deps.tagLocal(), signal, null);
        options.deps.reads.forget(target);
      } catch (error) {
        log.warn({ marker, target: target.kind, targetUuid: target.uuid, err: errorMessage(error) }, "once marker not attached in MISP: only the state folder remembers that the rule acted");
      }
    },
  };
}
