// The demo's logger: every line kept in memory (the report is built from what the daemon logged),
// and passed on to stderr only when asked (`--log-level`, `--pretty`).

import { Writable } from "node:stream";
import type { DestinationStream, LevelWithSilent } from "pino";
import { createLogger, type Logger } from "misp-enrichd/internal";

export interface LogTap {
  readonly logger: Logger;
  /** Parsed lines in order. */
  lines(): readonly Readonly<Record<string, unknown>>[];
  /** Lines whose `msg` is exactly this, and whose fields hold every given value. */
  find(msg: string, fields?: Readonly<Record<string, unknown>>): readonly Readonly<Record<string, unknown>>[];
}

export interface LogTapOptions {
  readonly secrets: readonly string[];
  /** Where to pass lines on, and from which level. */
  readonly forward?: { readonly to: DestinationStream; readonly level: LevelWithSilent };
}

const ORDER: readonly string[] = ["trace", "debug", "info", "warn", "error", "fatal"];

export function createLogTap(options: LogTapOptions): LogTap {
  const kept: Record<string, unknown>[] = [];
  const forward = options.forward;
  const from = forward ? ORDER.indexOf(forward.level) : -1;
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      for (const text of chunk.toString("utf8").split("\n")) {
        if (!text) continue;
        let line: Record<string, unknown>;
        try {
          line = JSON.parse(text) as Record<string, unknown>;
        } catch {
          continue;
        }
        kept.push(line);
        if (forward && from >= 0 && ORDER.indexOf(String(line.level)) >= from) forward.to.write(`${text}\n`);
      }
      callback();
    },
  });
  // Debug: the report needs "handler done" lines; the forward filter keeps stderr to the asked level.
  const logger = createLogger({ level: forward && from >= 0 && from < 1 ? forward.level : "debug", secrets: options.secrets, destination: sink });
  return {
    logger,
    lines: () => kept,
    find: (msg, fields = {}) => kept.filter((l) => l.msg === msg && Object.entries(fields).every(([k, v]) => l[k] === v)),
  };
}
