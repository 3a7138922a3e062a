// What every verb shares: loading the config with its one-line failure, and the logger.

import { createRequire } from "node:module";
import type { DestinationStream, LevelWithSilent } from "pino";
import pretty from "pino-pretty";
import { collectSecrets, loadConfig } from "../config/load.js";
import type { Config } from "../config/schema.js";
import { isEnrichdError } from "../errors.js";
import { createLogger, type Logger } from "../log.js";

/** sysexits EX_CONFIG: systemd's RestartPreventExitStatus keeps a bad config from restart-looping. */
export const EXIT_CONFIG = 78;

export const VERSION: string = (createRequire(import.meta.url)("../../../package.json") as { version: string }).version;

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

export function loadConfigOrExit(options: CommonOptions, overrides: Record<string, unknown> = {}): Config {
  try {
    return loadConfig({ ...(options.config ? { path: options.config } : {}), overrides });
  } catch (error) {
    fail(isEnrichdError(error) ? error.message : String(error));
  }
}

export function prettyStream(): DestinationStream {
  return pretty({ colorize: process.stdout.isTTY, translateTime: "SYS:HH:MM:ss.l", ignore: "pid,hostname,name" });
}

export function loggerFor(config: Config, options: CommonOptions): Logger {
  return createLogger({
    level: (options.logLevel ?? config.log.level) as LevelWithSilent,
    secrets: collectSecrets(config),
    ...(options.pretty ? { destination: prettyStream() } : {}),
  });
}
