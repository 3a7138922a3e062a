// The pino root logger. JSON lines on stdout for journald; secrets are removed twice: by key
// (log-redact.ts) and by value (every configured secret string is scrubbed from the serialised line).

import { pino, type Logger, type LevelWithSilent, type DestinationStream } from "pino";
import { REDACTED, TOP_LEVEL_REDACT_PATHS, redactNested } from "./log-redact.js";
import { isoTimeField } from "./log-time.js";

export type { Logger } from "pino";

export interface LoggerOptions {
  readonly level?: LevelWithSilent;
  /** Secret values to scrub from every line, whatever key they hide under. */
  readonly secrets?: readonly string[];
  /** Defaults to stdout. Tests pass a stream to read the lines back. */
  readonly destination?: DestinationStream;
  readonly base?: Record<string, unknown>;
}

/**
 * What is scrubbed for these secrets: each one and, when it differs, its JSON-escaped form (a secret
 * with quotes or backslashes appears escaped in a JSON line), longest first so that a form containing
 * another is scrubbed whole. Secrets too short to scrub safely are left out. Worked out once per list,
 * not per line.
 */
function scrubForms(secrets: readonly string[] | undefined): readonly string[] {
  const forms = new Set<string>();
  for (const secret of secrets ?? []) {
    if (secret.length < 4) continue;
    forms.add(secret);
    forms.add(JSON.stringify(secret).slice(1, -1));
  }
  return [...forms].sort((a, b) => b.length - a.length);
}

function scrubLine(line: string, forms: readonly string[]): string {
  let out = line;
  for (const form of forms) if (out.includes(form)) out = out.split(form).join(REDACTED);
  return out;
}

const scrubbers = new WeakMap<Logger, { list: readonly string[] }>();

export function createLogger(options: LoggerOptions = {}): Logger {
  const scrubber = { list: scrubForms(options.secrets) };
  const logger = pino(
    {
      level: options.level ?? "info",
      base: options.base ?? { name: "misp-enrichd" },
      timestamp: () => isoTimeField(),
      // Secret keys at the top level (pino), and one level down (log-redact.ts: every line, the base bindings here, a child's below).
      redact: { paths: [...TOP_LEVEL_REDACT_PATHS], censor: REDACTED },
      formatters: { level: (label) => ({ level: label }), log: redactNested, bindings: redactNested },
      hooks: {
        streamWrite: (line: string): string => (scrubber.list.length === 0 ? line : scrubLine(line, scrubber.list)),
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
  if (scrubber) scrubber.list = scrubForms(secrets);
}

/** The text with every secret (and its JSON-escaped form) replaced by [redacted]. */
export function scrubSecrets(line: string, secrets: readonly string[]): string {
  return scrubLine(line, scrubForms(secrets));
}
