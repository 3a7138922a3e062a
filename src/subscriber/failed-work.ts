// Where a handler's failed work goes once the runner gives up on it: a retriable failure into the
// spool (re-driven later), a permanent one into the dead letters. If the spool cannot take it (a
// full spool when the daemon stops, a disk error), the work becomes a dead letter that says so,
// which `misp-enrichd spool retry --dead` hands back later: failed work is always kept somewhere.

import type { BusFrame } from "../decode/types.js";
import { errorCode, errorMessage, isEnrichdError } from "../errors.js";
import type { Logger } from "../log.js";
import type { DeadLetterBox } from "../state/dead-letter.js";
import type { NewWorkEntry, StoredFrame } from "../state/entry-folder.js";
import type { Spool } from "../state/spool.js";

export type KeptAs = "spooled" | "dead-lettered" | "lost";

export interface FailedWork {
  readonly subscriber: string;
  readonly routeIndex: number;
  readonly frame: BusFrame;
  readonly attempts: number;
  readonly error: unknown;
  /** Retriable: spool it; otherwise dead-letter it. */
  readonly retriable: boolean;
  /** Chain depth of the message (0: from MISP's users), kept so a re-drive runs it at the same depth. */
  readonly depth?: number;
}

export interface FailedWorkKeeper {
  keep(work: FailedWork, log: Logger): Promise<KeptAs>;
}

export function storedFrame(frame: BusFrame): StoredFrame {
  return {
    topic: frame.topic,
    transport: frame.transport,
    payload: frame.payload.toString("base64"),
    ...(frame.position ? { position: frame.position } : {}),
    receivedAt: frame.receivedAt,
  };
}

export function createFailedWorkKeeper(options: { readonly spool: Spool; readonly deadLetters: DeadLetterBox; readonly shutdown: AbortSignal }): FailedWorkKeeper {
  return {
    async keep(work, log) {
      const code = errorCode(work.error);
      const message = errorMessage(work.error);
      const entry: NewWorkEntry = {
        subscriber: work.subscriber,
        routeIndex: work.routeIndex,
        frame: storedFrame(work.frame),
        attempts: work.attempts,
        error: { code, message },
        ...(work.depth ? { depth: work.depth } : {}),
      };
      let letter = entry;
      if (work.retriable) {
        try {
          const spooled = await options.spool.put(entry, { signal: options.shutdown });
          const fields = { code, err: message, attempts: work.attempts, spoolId: spooled.id };
          if (code === "ENRICHD_CIRCUIT_OPEN") log.info(fields, "peer's circuit breaker open: work parked in the spool");
          else log.warn(fields, "handler failed; work kept in the spool for a later retry");
          return "spooled";
        } catch (spoolError) {
          log.error({ code, err: message, spoolErr: errorMessage(spoolError) }, "handler failed and the spool could not keep it; kept as a dead letter");
          letter = { ...entry, error: { code: errorCode(spoolError), message: `${errorMessage(spoolError)}; the work had failed with ${code}: ${message}` } };
        }
      } else {
        const details = isEnrichdError(work.error) ? work.error.details : undefined;
        log.error({ code, err: message, ...(details ? { details } : {}) }, "handler failed permanently");
      }
      try {
        const kept = await options.deadLetters.put(letter);
        log.debug({ deadLetterId: kept.id }, "dead letter written");
        return "dead-lettered";
      } catch (error) {
        log.error({ err: errorMessage(error), dir: options.deadLetters.dir, code, payload: entry.frame.payload }, "dead letter could not be written; the work is only in this log line");
        return "lost";
      }
    },
  };
}
