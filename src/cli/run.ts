// `misp-enrichd run`: the daemon. Starts the pipeline, checks its peers without failing on them
// (they may come up later), and stops cleanly on SIGTERM: intake first, then drain or spool.
// SIGHUP is logged and ignored: there is no reload, and its default action would end the daemon
// without a drain, a log line or a restart (systemd sees a clean exit).

import { createDaemon } from "../daemon.js";
import { errorMessage, isEnrichdError } from "../errors.js";
import { startMetricsServer, type MetricsServer } from "../metrics/server.js";
import { VERSION } from "../version.js";
import { fail, loadConfigOrExit, loggerFor, type CommonOptions } from "./common.js";

export interface RunOptions extends CommonOptions {
  readonly dryRun?: boolean;
}

export async function runCommand(options: RunOptions): Promise<void> {
  const config = loadConfigOrExit(options, options.dryRun ? { dryRun: true } : {});
  const logger = loggerFor(config, options);
  process.on("SIGHUP", () => logger.warn({ signal: "SIGHUP" }, "SIGHUP ignored: misp-enrichd does not reload; restart it to apply a new configuration"));
  let daemon;
  try {
    daemon = await createDaemon({ config, logger });
  } catch (error) {
    fail(isEnrichdError(error) ? error.message : errorMessage(error));
  }
  const { pipeline } = daemon;
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
    }, 2 * config.pipeline.drainTimeoutMs + 10_000);
    hard.unref();
    void daemon
      .close()
      .then(() => metricsServer?.close())
      .then(() => {
        logger.info("stopped");
        logger.flush();
      });
  };
  process.on("SIGTERM", () => stop("SIGTERM"));
  process.on("SIGINT", () => stop("SIGINT"));

  const bus = daemon.createBus();
  logger.info(
    {
      version: VERSION,
      bus: bus.describe,
      misp: config.misp.url,
      modules: config.modules.url,
      stateDir: config.state.dir,
      dryRun: config.dryRun,
      subscribers: daemon.subscribers.map((s) => ({ name: s.name, routes: s.handlers.map((h) => ({ queries: h.queries, where: h.where })) })),
      rules: daemon.rules.map((r) => ({ name: r.name, on: r.queries, once: r.once, ...(r.schedule ? { schedule: r.schedule } : {}) })),
      topics: [...pipeline.wantedKinds],
    },
    "misp-enrichd starting",
  );

  metricsServer = config.metrics.listen ? await startMetricsServer(config.metrics.listen, daemon.metrics, logger) : undefined;

  // Peers are checked, not required: MISP or the module server may start after us.
  void daemon.checkModules(AbortSignal.timeout(config.modules.timeoutMs)).catch(() => undefined);
  void daemon.misp
    .getVersion()
    .then((v) => logger.info({ mispVersion: v.version }, "misp reachable"))
    .catch((error) => logger.warn({ err: errorMessage(error), misp: config.misp.url }, "misp not reachable at start-up; writes will be retried"));
  try {
    await daemon.run(bus);
  } catch (error) {
    logger.error({ err: errorMessage(error), code: isEnrichdError(error) ? error.code : undefined }, "bus failed");
    await daemon.close().catch(() => undefined);
    process.exitCode = 1;
    return;
  }
  await daemon.close();
}
