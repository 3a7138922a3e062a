// The running service behind `misp-enrichd run`: one daemon at a time on its bus, swapped for a new
// one on reload (SIGHUP). A reload reads and validates the new config and compiles it (subscribers,
// routes: compileConfig) while the old daemon keeps running; a config that fails there is refused
// in one log line and changes nothing. A good one swaps in: the old daemon drains as on SIGTERM
// (in-flight work finishes or goes to the spool; Kafka commits what finished and hands the rest to
// the next consumer of the group), then the new daemon starts on the same state folder, re-drives
// the spool and backfills what ZeroMQ published during the swap. The metrics and their endpoint
// live across reloads. Reload is generic: whatever a config compiles to, the new daemon is built
// from it exactly as at start-up.

import { compileConfig, createDaemon, type CompiledConfig, type Daemon } from "./daemon.js";
import type { Config } from "./config/schema.js";
import { errorMessage, isEnrichdError } from "./errors.js";
import type { Logger } from "./log.js";
import type { Metrics } from "./metrics/metrics.js";
import type { Probes } from "./metrics/server.js";

export interface ServiceOptions {
  readonly config: Config;
  /** Reads and validates the config again (throws ENRICHD_CONFIG_INVALID); for reloads. */
  readonly reloadConfig: () => Config;
  readonly logger: Logger;
  readonly metrics: Metrics;
  /** Applies what the root logger takes from a config (level, secrets to scrub). */
  readonly applyToLogger?: (config: Config) => void;
  /** Called with each daemon once its bus is created, before it runs (the start-up line, peer checks). */
  readonly onStart?: (daemon: Daemon, describeBus: string) => void;
}

export interface Service {
  /** Runs until `stop()`, or until a bus fails for good (rejects then). */
  run(): Promise<void>;
  /** Validates, then swaps; resolves to whether the new config was applied. Serialised with `stop()`. */
  reload(): Promise<boolean>;
  /** Idempotent. */
  stop(): Promise<void>;
  current(): Daemon | undefined;
  readonly probes: Probes;
}

/** Dotted keys whose values differ (values are never shown: they may be secrets). */
export function changedKeys(before: unknown, after: unknown, prefix = ""): string[] {
  if (before === after) return [];
  const isMap = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === "object" && !Array.isArray(v);
  if (!isMap(before) || !isMap(after)) return JSON.stringify(before) === JSON.stringify(after) ? [] : [prefix || "(config)"];
  const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
  return keys.flatMap((k) => changedKeys(before[k], after[k], prefix ? `${prefix}.${k}` : k));
}

export function createService(options: ServiceOptions): Service {
  const { logger, metrics } = options;
  let daemon: Daemon | undefined;
  let compiledNow: CompiledConfig | undefined;
  let running: Promise<void> | undefined;
  let stopping: Promise<void> | undefined;
  // One start, reload or stop at a time, in the order asked.
  let queue: Promise<unknown> = Promise.resolve();
  let settle!: { resolve: () => void; reject: (error: unknown) => void };
  const finished = new Promise<void>((resolve, reject) => (settle = { resolve, reject }));
  finished.catch(() => undefined); // observed by run(); never an unhandled rejection

  async function start(compiled: CompiledConfig): Promise<void> {
    const next = await createDaemon({ config: compiled.config, logger, metrics, compiled });
    const bus = next.createBus();
    daemon = next;
    compiledNow = compiled;
    options.onStart?.(next, bus.describe);
    running = next.run(bus).catch((error: unknown) => {
      // A bus that failed for good ends the service; one closed by a reload or a stop does not.
      if (daemon === next && stopping === undefined) settle.reject(error);
    });
  }

  async function swap(): Promise<boolean> {
    const old = daemon;
    const previous = compiledNow;
    if (!old || !previous || stopping) return false;
    logger.info({ signal: "SIGHUP" }, "reloading the configuration");
    let compiled: CompiledConfig;
    try {
      compiled = await compileConfig(options.reloadConfig());
    } catch (error) {
      metrics.inc("misp_enrichd_config_reloads_total", { outcome: "refused" });
      logger.error({ code: isEnrichdError(error) ? error.code : undefined }, `configuration reload refused, the running configuration stays: ${errorMessage(error)}`);
      return false;
    }
    const changed = changedKeys(old.config, compiled.config);
    daemon = undefined;
    await old.close();
    await running;
    options.applyToLogger?.(compiled.config);
    try {
      await start(compiled);
    } catch (error) {
      // It compiled, yet could not start (a CA file gone, the state folder unusable): back to the old one.
      logger.error({ err: errorMessage(error) }, "the reloaded configuration could not start; going back to the previous one");
      options.applyToLogger?.(previous.config);
      await start(previous);
      metrics.inc("misp_enrichd_config_reloads_total", { outcome: "refused" });
      return false;
    }
    metrics.inc("misp_enrichd_config_reloads_total", { outcome: "applied" });
    logger.info({ changed }, "configuration reloaded");
    return true;
  }

  const serial = <T>(task: () => Promise<T>): Promise<T> => {
    const next = queue.then(task, task);
    queue = next.catch(() => undefined);
    return next;
  };

  return {
    async run() {
      await serial(async () => start(await compileConfig(options.config)));
      return finished;
    },
    reload: () => serial(swap),
    stop() {
      stopping ??= serial(async () => {
        await daemon?.close();
        await running;
      }).then(() => settle.resolve());
      return stopping;
    },
    current: () => daemon,
    probes: {
      health: () => daemon?.health() ?? { ok: false, reasons: ["starting or reloading"] },
      readiness: () => daemon?.readiness() ?? { ok: false, reasons: ["starting or reloading"] },
    },
  };
}
