// What every verb shares: loading the config with its one-line failure, the logger, and writing to
// stdout without ignoring backpressure.

import { once } from "node:events";
import type { DestinationStream, LevelWithSilent } from "pino";
import pretty from "pino-pretty";
import { collectSecrets, loadConfig } from "../config/load.js";
import type { Config } from "../config/schema.js";
import { isEnrichdError } from "../errors.js";
import { createLogger, type Logger } from "../log.js";
import { compileRules, ruleSecrets } from "../rules/compile.js";

/** sysexits EX_CONFIG: systemd's RestartPreventExitStatus keeps a bad config from restart-looping. */
export const EXIT_CONFIG = 78;
/** A check failed, a peer was unreachable, or replayed work was dead-lettered. */
export const EXIT_FAILURE = 1;

export interface CommonOptions {
  readonly config?: string;
  readonly pretty?: boolean;
  readonly logLevel?: string;
}

/** Prints one clear line and exits; used for config and subscriber errors at start-up. */
export function fail(message: string, code = EXIT_CONFIG): never {
  process.stderr.write(`misp-enrichd: ${message}\n`);
  process.exit(code);
}

export function loadConfigOrExit(options: CommonOptions, overrides: Record<string, unknown> = {}, env?: NodeJS.ProcessEnv): Config {
  try {
    return loadConfig({ ...(options.config ? { path: options.config } : {}), overrides, ...(env ? { env } : {}) });
  } catch (error) {
    fail(isEnrichdError(error) ? error.message : String(error));
  }
}

/** Stands in for MISP's URL and key in verbs that never call MISP; never sent anywhere. */
export const UNUSED_MISP_URL = "http://misp-not-used.invalid";
const UNUSED_MISP_KEY = "(misp key not needed by this command)";

/**
 * The config for verbs that only read the bus or the module server (`tail`, `modules`): everything
 * validated as `run` validates it, except that MISP's URL and key may be missing. The environment
 * copy wins over the file, so neither the real key nor a key file is ever read.
 */
export function loadConfigWithoutMisp(options: CommonOptions, overrides: Record<string, unknown> = {}): Config {
  return loadConfigOrExit(options, overrides, { ...process.env, MISP_URL: UNUSED_MISP_URL, MISP_KEY: UNUSED_MISP_KEY, MISP_KEY_FILE: "" });
}

export function prettyStream(fd: 1 | 2 = 1): DestinationStream {
  const tty = fd === 1 ? process.stdout.isTTY : process.stderr.isTTY;
  return pretty({ colorize: tty, translateTime: "SYS:HH:MM:ss.l", ignore: "pid,hostname,name", destination: fd });
}

export interface LoggerPlacement {
  /** Verbs whose stdout is their output (tail, check, modules, replay) log to stderr. */
  readonly stderr?: boolean;
  /** When neither --log-level nor a non-default config level says otherwise. */
  readonly level?: LevelWithSilent;
}

export function loggerFor(config: Config, options: CommonOptions, placement: LoggerPlacement = {}): Logger {
  const fd = placement.stderr ? 2 : 1;
  const level = (options.logLevel ?? placement.level ?? config.log.level) as LevelWithSilent;
  return createLogger({
    level,
    // The environment values the rules' templates read (tokens in headers) are secrets too.
    secrets: [...collectSecrets(config), ...ruleSecrets(compileRules(config, { env: process.env }).rules)],
    ...(options.pretty ? { destination: prettyStream(fd) } : fd === 2 ? { destination: process.stderr } : {}),
  });
}

/** Writes to stdout and waits when the pipe is full, so `tail | less` cannot grow memory. */
export async function writeOut(text: string): Promise<void> {
  if (!process.stdout.write(text)) await once(process.stdout, "drain");
}

/** Exits once stdout and stderr are flushed (a pipe may still hold the last lines). */
export function exitAfterFlush(code: number): void {
  process.exitCode = code;
  let pending = 2;
  const done = (): void => {
    if (--pending === 0) process.exit(code);
  };
  process.stdout.write("", done);
  process.stderr.write("", done);
}
