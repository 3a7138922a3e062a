// `check`'s other lines: the module server, each enabled subscriber's module and `modules.config`'s
// keys, the bus (a frame within a bound), and the state directory.

import { accessSync, constants, statSync } from "node:fs";
import { dirname } from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import type { Bus } from "../bus/types.js";
import type { Config } from "../config/schema.js";
import { MESSAGE_KINDS } from "../decode/types.js";
import { errorMessage } from "../errors.js";
import type { Logger } from "../log.js";
import { createMetrics } from "../metrics/metrics.js";
import { judgeCapacity } from "../modules/capacity.js";
import { judgeModuleConfig } from "../modules/declared-config.js";
import type { ModulesClient } from "../modules/types.js";
import type { LoadedSubscriber } from "../subscriber/load.js";
import { failed, ok, warned, type CheckLine } from "./check-line.js";
import { createLookingBus } from "./looking-bus.js";
import { judgeNeeds, type ModuleUser } from "../modules/needs.js";

export async function checkModules(config: Config, client: ModulesClient, subscribers: readonly ModuleUser[], signal: AbortSignal): Promise<CheckLine[]> {
  let offered;
  try {
    offered = await client.list(signal);
  } catch (error) {
    return [failed("modules", `${config.modules.url} not usable: ${errorMessage(error)}`, "start misp-modules (misp-modules -l 127.0.0.1) or set modules.url (MISP_MODULES_URL)")];
  }
  const lines: CheckLine[] = [ok("modules", `${config.modules.url} offers ${offered.length} modules`)];
  const capacity = judgeCapacity(config.modules.url, config.modules.concurrency, client.serverHeader());
  if (capacity) lines.push(warned("modules concurrency", capacity.text, capacity.fix));
  const needs = judgeNeeds(subscribers, offered);
  for (const need of needs) {
    const subject = `subscriber ${need.subscriber}`;
    if (need.problem === undefined) {
      lines.push(ok(subject, `module ${need.module} accepts ${need.types.join(", ")}`));
    } else {
      const option = `subscribers.settings.${need.subscriber}.options`;
      const fix = need.offered
        ? `narrow ${option}.types to what the module takes, or choose another module in ${option}.module`
        : `install or enable ${need.module} in misp-modules, choose another module in ${option}.module, or disable the subscriber`;
      lines.push(failed(subject, need.problem, fix));
    }
  }
  if (needs.length === 0) lines.push(ok("modules", "no enabled subscriber queries a module"));
  const configured = Object.keys(config.modules.config);
  const problems = judgeModuleConfig(config.modules.config, offered);
  for (const problem of problems) {
    const fix =
      problem.key === undefined
        ? "use the module's name as `misp-enrichd modules` lists it, or remove the entry"
        : `rename or remove the key in modules.config.${problem.module}: the module never reads it and falls back to its default`;
    lines.push(failed("modules config", problem.message, fix));
  }
  if (configured.length > 0 && problems.length === 0) lines.push(ok("modules config", `every key of ${configured.join(", ")} is one the module declares`));
  return lines;
}

/** ZeroMQ: MISP publishes `misp_json_self` after 10 s of silence, so a live bus shows a frame within ~10 s. */
export async function checkBus(config: Config, timeoutMs: number, logger: Logger): Promise<CheckLine> {
  let bus: Bus;
  try {
    bus = createLookingBus(config, "check", logger, createMetrics()).bus;
  } catch (error) {
    return failed("bus", errorMessage(error), busFix(config));
  }
  const stop = new AbortController();
  const started = Date.now();
  let first: string | undefined;
  let failure: unknown;
  const running = bus
    .run(new Set(MESSAGE_KINDS), async (frame) => {
      first ??= frame.topic;
      stop.abort();
      return { done: Promise.resolve() };
    }, stop.signal)
    .catch((error: unknown) => {
      failure = error;
      stop.abort();
    });
  // Kafka: a joined group is all a quiet bus can show (MISP sends no heartbeat there), so stop at the join.
  const joined = setInterval(() => {
    if (config.bus.type === "kafka" && bus.status().connected) stop.abort();
  }, 100);
  await delay(timeoutMs, undefined, { signal: stop.signal }).catch(() => undefined);
  clearInterval(joined);
  const { connected } = bus.status();
  const waitedMs = Date.now() - started;
  stop.abort();
  // kafkajs may still be retrying a dead broker: the verdict is known, do not wait for its give-up.
  await Promise.race([Promise.all([bus.close().catch(() => undefined), running]), delay(2_000, undefined, { ref: false })]);

  const where = bus.describe;
  const seconds = `${(timeoutMs / 1000).toFixed(timeoutMs < 1000 ? 1 : 0)} s`;
  if (first !== undefined) {
    const what = first === "misp_json_self" ? "a heartbeat (misp_json_self)" : `a ${first} message`;
    return ok("bus", `${where}: ${what} after ${(waitedMs / 1000).toFixed(1)} s`);
  }
  if (failure !== undefined) return failed("bus", `${where}: ${errorMessage(failure)}`, busFix(config));
  if (config.bus.type === "kafka") {
    // MISP sends no heartbeat on Kafka: a joined group is as much as a quiet bus can show.
    return connected
      ? ok("bus", `${where}: consumer group joined after ${(waitedMs / 1000).toFixed(1)} s (MISP sends no heartbeat on Kafka)`)
      : failed("bus", `${where}: no broker connection and no consumer group within ${seconds}`, busFix(config));
  }
  return connected
    ? failed("bus", `${where}: connected, but no message and no heartbeat within ${seconds}`, `${timeoutMs > 10_000 ? "" : "the timeout is not longer than MISP's 10 s heartbeat interval: try --bus-timeout 15; otherwise "}MISP sends misp_json_self every 10 s when idle: check that its ZeroMQ publisher runs (Server settings → Plugin.ZeroMQ_enable, Diagnostics → ZeroMQ) and the PLAIN credentials (bus.zmq.username/password)`)
    : failed("bus", `${where}: nothing answered within ${seconds}`, busFix(config));
}

function busFix(config: Config): string {
  return config.bus.type === "kafka"
    ? "check bus.kafka.brokers (MISP_KAFKA_BROKERS), TLS/SASL settings, and that the brokers are up"
    : "check bus.zmq.url (MISP_ZMQ_URL) against MISP's Plugin.ZeroMQ_host/ZeroMQ_port, and that MISP's ZeroMQ publisher runs";
}

/**
 * The state directory as `run` needs it: writable, or creatable below its nearest existing folder.
 * `run` exits 78 otherwise, so this is a failure; run `check` as the service user to judge its rights.
 */
export function checkStateDir(config: Config): CheckLine {
  const dir = config.state.dir;
  const fix = "create it for the service user (sudo install -d -m 0700 -o misp-enrichd -g misp-enrichd " + dir + "; systemd's StateDirectory= also does when the service starts) and run check as that user";
  let existing = dir;
  while (!exists(existing) && dirname(existing) !== existing) existing = dirname(existing);
  if (!isDirectory(existing)) return failed("state", `${dir} cannot be created: ${existing} is not a folder`, "set state.dir (STATE_DIRECTORY) to a folder path");
  if (existing !== dir) {
    return writable(existing)
      ? ok("state", `${dir} does not exist yet; the daemon will create it`)
      : failed("state", `${dir} does not exist and this user cannot create it in ${existing}`, fix);
  }
  return writable(dir) ? ok("state", `${dir} is writable`) : failed("state", `${dir} is not writable by this user`, fix);
}

function exists(path: string): boolean {
  try {
    statSync(path);
    return true;
  } catch {
    return false;
  }
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

function writable(dir: string): boolean {
  try {
    accessSync(dir, constants.W_OK | constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
