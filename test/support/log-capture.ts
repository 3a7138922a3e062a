// A pino destination that keeps every line, so tests can assert on what was logged.

import { Writable } from "node:stream";
import { createLogger, type Logger } from "../../src/log.js";

export interface LogCapture {
  readonly logger: Logger;
  readonly lines: () => Record<string, unknown>[];
  readonly text: () => string;
  /** Lines whose `msg` contains the text. */
  readonly find: (msg: string) => Record<string, unknown>[];
}

export function captureLogs(options: { level?: "debug" | "info" | "trace"; secrets?: readonly string[] } = {}): LogCapture {
  const chunks: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      chunks.push(chunk.toString());
      callback();
    },
  });
  const logger = createLogger({ level: options.level ?? "debug", secrets: options.secrets ?? [], destination });
  const text = (): string => chunks.join("");
  const lines = (): Record<string, unknown>[] =>
    text()
      .split("\n")
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  return { logger, text, lines, find: (msg) => lines().filter((l) => String(l.msg).includes(msg)) };
}
