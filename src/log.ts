// The pino root logger. JSON lines on stdout for journald; secrets are removed twice: by key
// (log-redact.ts) and by value (every configured secret string is scrubbed from the serialised line).

import { pino, type Logger, type LevelWithSilent, type DestinationStream } from "pino";
import { REDACTED, TOP_LEVEL_REDACT_PATHS, redactNested } from "./log-redact.js";

export type { Logger } from "pino";

export interface LoggerOptions {
  readonly level?: LevelWithSilent;
  /** Secret values to scrub from every line, whatever key they hide under. */
  readonly secrets?: readonly string[];
  /** Defaults to stdout. Tests pass a stream to read the lines back. */
  readonly destination?: DestinationStream;
  readonly base?: Record<string, unknown>;
}

/** Longest first, so a secret that contains another is scrubbed whole; too short to scrub safely: left out. */
function scrubList(secrets: readonly string[] | undefined): readonly string[] {
  return [...new Set(secrets ?? [])].filter((s) => s.length >= 4).sort((a, b) => b.length - a.length);
}

const scrubbers = new WeakMap<Logger, { list: readonly string[] }>();

export function createLogger(options: LoggerOptions = {}): Logger {
  const scrubber = { list: scrubList(options.secrets) };
  const logger = pino(
    {
      level: options.level ?? "info",
      base: options.base ?? { name: "misp-enrichd" },
      timestamp: pino.stdTimeFunctions.isoTime,
      // Secret keys at the top level (pino), and one level down (log-redact.ts: every line, the base bindings here, a child's below).
      redact: { paths: [...TOP_LEVEL_REDACT_PATHS], censor: REDACTED },
      formatters: { level: (label) => ({ level: label }), log: redactNested, bindings: redactNested },
      hooks: {
        streamWrite: (line: string): string => (scrubber.list.length === 0 ? line : scrubSecrets(line, scrubber.list)),
      },
    },
    options.destination ?? pino.destination({ dest: 1, sync: false }),
  );
  // pino hands a child's bindings to no formatter: censored on the way in. Every child (and its
  // children) inherits this from the root.
  const child = logger.child;
  logger.child = function (this: Logger, bindings, childOptions) {
    return child.call(this, redactNested(bindings), childOptions);
  } as Logger["child"];
  scrubbers.set(logger, scrubber);
  return logger;
}

/** Replaces the secret values a root logger scrubs (a reloaded config may bring a new key). */
export function setLoggerSecrets(logger: Logger, secrets: readonly string[]): void {
  const scrubber = scrubbers.get(logger);
  if (scrubber) scrubber.list = scrubList(secrets);
}

export function scrubSecrets(line: string, secrets: readonly string[]): string {
  let out = line;
  for (const secret of secrets) {
    if (out.includes(secret)) out = out.split(secret).join(REDACTED);
    // JSON-escaped form, for secrets with quotes or backslashes.
    const escaped = JSON.stringify(secret).slice(1, -1);
    if (escaped !== secret && out.includes(escaped)) out = out.split(escaped).join(REDACTED);
  }
  return out;
}
