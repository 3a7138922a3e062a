// `misp-enrichd run`: the daemon (service.ts). Checks its peers without failing on them (they may
// come up later), reloads the configuration on SIGHUP (validated first: a bad one is refused in one
// line and the running configuration stays), and stops cleanly on SIGTERM: intake first, then drain
// or spool. The metrics endpoint (/metrics, /healthz, /readyz) lives across reloads.

import { collectSecrets, loadConfig } from "../config/load.js";
import type { Config } from "../config/schema.js";
import type { Daemon } from "../daemon.js";
import { errorMessage, isEnrichdError } from "../errors.js";
import { setLoggerSecrets, type Logger } from "../log.js";
import { createMetrics } from "../metrics/metrics.js";
import { startMetricsServer, type MetricsServer } from "../metrics/server.js";
import { createService } from "../service.js";
import { VERSION } from "../version.js";
import { fail, loadConfigOrExit, loggerFor, type CommonOptions } from "./common.js";

export interface RunOptions extends CommonOptions {
  readonly dryRun?: boolean;
}

function startupLine(logger: Logger, daemon: Daemon, describeBus: string): void {
  const { config } = daemon;
  logger.info(
    {
      version: VERSION,
      node: process.version,
      // V8 options change the daemon's CPU and memory (the unit sets a larger young generation).
      ...(process.env.NODE_OPTIONS ? { nodeOptions: process.env.NODE_OPTIONS } : {}),
      bus: describeBus,
      misp: config.misp.url,
      modules: config.modules.url,
      stateDir: config.state.dir,
      dryRun: config.dryRun,
      subscribers: daemon.subscribers.map((s) => ({ name: s.name, routes: s.handlers.map((h) => ({ queries: h.queries, where: h.where })) })),
      rules: daemon.rules.map((r) => ({ name: r.name, on: r.queries, once: r.once, ...(r.schedule ? { schedule: r.schedule } : {}) })),
      topics: [...daemon.pipeline.wantedKinds],
    },
    "misp-enrichd starting",
  );
  // Peers are checked, not required: MISP or the module server may start after us.
  void daemon.checkModules(AbortSignal.timeout(config.modules.timeoutMs)).catch(() => undefined);
  void daemon.misp
    .getVersion()
    .then((v) => logger.info({ mispVersion: v.version }, "misp reachable"))
    .catch((error) => logger.warn({ err: errorMessage(error), misp: config.misp.url }, "misp not reachable at start-up; writes will be retried"));
}

export async function runCommand(options: RunOptions): Promise<void> {
  const overrides = options.dryRun ? { dryRun: true } : {};
  const config = loadConfigOrExit(options, overrides);
  const logger = loggerFor(config, options);
  const metrics = createMetrics();
  metrics.collectProcessMetrics();
  let started = false;
  const service = createService({
    config,
    // The same file and flags as at start-up, read again; a problem is thrown and logged, never an exit.
    reloadConfig: () => loadConfig({ ...(options.config ? { path: options.config } : {}), overrides }),
    logger,
    metrics,
    applyToLogger: (next: Config) => {
      if (options.logLevel === undefined) logger.level = next.log.level;
      setLoggerSecrets(logger, collectSecrets(next));
    },
    onStart: (daemon, describeBus) => {
      started = true;
      startupLine(logger, daemon, describeBus);
    },
  });

  let metricsServer: MetricsServer | undefined;
  // Installed before the start-up line: a SIGTERM right after it still drains.
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) {
      logger.warn({ signal }, "second signal: exiting now");
      process.exit(1);
    }
    stopping = true;
    logger.info({ signal }, "stopping: no new messages, draining in-flight work");
    // The bus drains (Kafka: up to drainTimeoutMs), then the pipeline does: both fit, with room.
    const hard = setTimeout(() => {
      logger.error("shutdown took too long: exiting");
      process.exit(1);
    }, 2 * (service.current()?.config ?? config).pipeline.drainTimeoutMs + 10_000);
    hard.unref();
    void service
      .stop()
      .then(() => metricsServer?.close())
      .then(() => {
        logger.info("stopped");
        logger.flush();
      });
  };
  process.on("SIGTERM", () => stop("SIGTERM"));
  process.on("SIGINT", () => stop("SIGINT"));
  process.on("SIGHUP", () => {
    if (!stopping) void service.reload().catch((error: unknown) => logger.error({ err: errorMessage(error) }, "configuration reload failed"));
  });

  // The endpoint's address is read once: a reload that changes metrics.listen takes effect at the next start.
  metricsServer = config.metrics.listen ? await startMetricsServer(config.metrics.listen, metrics, logger, service.probes) : undefined;
  try {
    await service.run();
  } catch (error) {
    if (!started) {
      // A subscriber file or the state folder that cannot be used: one line, exit 78, as for the config.
      await metricsServer?.close();
      fail(isEnrichdError(error) ? error.message : errorMessage(error));
    }
    logger.error({ err: errorMessage(error), code: isEnrichdError(error) ? error.code : undefined }, "bus failed");
    await service.stop().catch(() => undefined);
    await metricsServer?.close();
    process.exitCode = 1;
  }
}
