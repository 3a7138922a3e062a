// `misp-enrichd check`: validates the config, then reaches each peer as `run` would and prints one
// line per check with ✔/✘/⚠ and what to fix. Writes nothing anywhere. Exit 0 when nothing failed
// (warnings allowed), 1 when a check failed, 78 when the config or a subscriber is invalid.

import { existsSync } from "node:fs";
import { loadConfig, DEFAULT_CONFIG_PATH } from "../config/load.js";
import type { Config } from "../config/schema.js";
import { errorMessage, isEnrichdError } from "../errors.js";
import type { Logger } from "../log.js";
import { createMetrics, type Metrics } from "../metrics/metrics.js";
import { createMispClientFromConfig } from "../misp/client-from-config.js";
import type { MispClient } from "../misp/types.js";
import { createModulesClientFromConfig } from "../modules/client-from-config.js";
import { loadConfiguredSubscribers, type LoadedSubscriber } from "../subscriber/load.js";
import { failed, formatLine, ok, warned, type CheckLine } from "./check-line.js";
import { checkMisp } from "./check-misp.js";
import { checkBus, checkModules, checkStateDir } from "./check-peers.js";
import { checkRules } from "./check-rules.js";
import { ruleModuleUsers } from "../rules/modules.js";
import type { CompiledRule } from "../rules/types.js";
import { EXIT_CONFIG, EXIT_FAILURE, exitAfterFlush, fail, loggerFor, writeOut, type CommonOptions } from "./common.js";

export interface CheckOptions extends CommonOptions {
  /** Seconds to wait for a frame on the bus. */
  readonly busTimeout?: string;
}

function problemsOf(error: unknown): string[] {
  if (isEnrichdError(error) && Array.isArray(error.details.problems)) return error.details.problems.map(String);
  return [isEnrichdError(error) ? error.message : errorMessage(error)];
}

function busTimeoutMs(value: string | undefined): number {
  if (value === undefined) return 15_000;
  const seconds = Number(value.replace(/s$/, ""));
  if (!Number.isFinite(seconds) || seconds <= 0) fail(`--bus-timeout ${value}: must be a positive number of seconds`);
  return Math.round(seconds * 1000);
}

async function print(lines: readonly CheckLine[], all: CheckLine[]): Promise<void> {
  all.push(...lines);
  for (const line of lines) await writeOut(`${formatLine(line)}\n`);
}

function configLine(options: CheckOptions, config: Config, subscribers: readonly LoadedSubscriber[]): CheckLine {
  const path = options.config ?? DEFAULT_CONFIG_PATH;
  const source = options.config || existsSync(path) ? path : "no file, environment only";
  const names = subscribers.map((s) => s.name).join(", ") || "none";
  if (config.dryRun) return warned("config", `valid (${source}); subscribers ${names}; dryRun is on`, "the daemon will write nothing to MISP until dryRun is false");
  return ok("config", `valid (${source}); subscribers ${names}`);
}

async function mispLines(config: Config, logger: Logger, metrics: Metrics): Promise<CheckLine[]> {
  let misp: MispClient;
  try {
    // Never in dry-run: the host-organisation probe must reach MISP (it writes nothing, see check-misp.ts).
    misp = createMispClientFromConfig(config, { logger, metrics, purpose: "check", dryRun: false }).client;
  } catch (error) {
    return [failed("misp", errorMessage(error), "point misp.caFile (MISP_CA_FILE) at a readable PEM file")];
  }
  try {
    return await checkMisp(config, misp, AbortSignal.timeout(config.misp.timeoutMs * 4));
  } finally {
    await misp.close();
  }
}

export async function checkCommand(options: CheckOptions): Promise<void> {
  const timeoutMs = busTimeoutMs(options.busTimeout);
  const all: CheckLine[] = [];
  let config: Config;
  try {
    config = loadConfig({ ...(options.config ? { path: options.config } : {}) });
  } catch (error) {
    await print(problemsOf(error).map((p) => failed("config", p)), all);
    await writeOut("peers not checked: fix the configuration first\n");
    exitAfterFlush(EXIT_CONFIG);
    return;
  }
  const logger = loggerFor(config, options, { stderr: true, level: "error" });
  // The bus needs the longest wait: start it first, print it last.
  const bus = checkBus(config, timeoutMs, logger);

  let subscribers: LoadedSubscriber[] = [];
  let subscribersValid = true;
  let rules: readonly CompiledRule[] = [];
  try {
    subscribers = await loadConfiguredSubscribers(config);
    await print([configLine(options, config, subscribers)], all);
  } catch (error) {
    subscribersValid = false;
    await print(problemsOf(error).map((p) => failed("subscribers", p)), all);
  }
  if (subscribersValid) {
    const ruleCheck = checkRules(config, subscribers);
    await print(ruleCheck.lines, all);
    // An invalid rule is an invalid configuration (exit 78, as `run` would); a loop is a failed check.
    if (ruleCheck.rules === undefined) subscribersValid = false;
    else rules = ruleCheck.rules;
  }

  const metrics = createMetrics();
  const modules = createModulesClientFromConfig(config, { logger, metrics, concurrency: 1 });
  try {
    await print(await mispLines(config, logger, metrics), all);
    if (subscribersValid) await print(await checkModules(config, modules, [...subscribers, ...ruleModuleUsers(rules)], AbortSignal.timeout(config.modules.timeoutMs)), all);
    await print([checkStateDir(config)], all);
    await print([await bus], all);
  } finally {
    await modules.close();
  }

  const failures = all.filter((l) => l.verdict === "fail");
  const warnings = all.filter((l) => l.verdict === "warn").length;
  const tail = warnings ? `, ${warnings} warning${warnings === 1 ? "" : "s"}` : "";
  if (failures.length === 0) {
    await writeOut(`all checks passed${tail}\n`);
    exitAfterFlush(0);
    return;
  }
  await writeOut(`${failures.length} check${failures.length === 1 ? "" : "s"} failed (${[...new Set(failures.map((l) => l.subject))].join(", ")})${tail}\n`);
  exitAfterFlush(subscribersValid ? EXIT_FAILURE : EXIT_CONFIG);
}
