// `misp-enrichd modules`: what the module server offers (name, format, input types) and which
// enabled subscribers use each module. Needs only the module server, never MISP.

import { errorMessage, isEnrichdError } from "../errors.js";
import { createMetrics } from "../metrics/metrics.js";
import { createModulesClientFromConfig } from "../modules/client-from-config.js";
import type { ModuleDescriptor } from "../modules/types.js";
import { loadConfiguredSubscribers } from "../subscriber/load.js";
import { EXIT_FAILURE, exitAfterFlush, fail, loadConfigWithoutMisp, loggerFor, writeOut, type CommonOptions } from "./common.js";
import { judgeNeeds, type NeedVerdict } from "../modules/needs.js";

export interface ModulesOptions extends CommonOptions {
  readonly json?: boolean;
  /** Only modules of this folder: expansion, import_mod, export_mod, action_mod. */
  readonly type?: string;
}

function usedBy(module: string, needs: readonly NeedVerdict[]): string[] {
  return needs.filter((n) => n.module === module).map((n) => (n.refused.length ? `${n.subscriber} (not ${n.refused.join(", ")})` : n.subscriber));
}

function table(modules: readonly ModuleDescriptor[], needs: readonly NeedVerdict[]): string {
  const rows = modules.map((m) => [m.name, m.type, m.format, usedBy(m.name, needs).join(", ") || "-", m.inputTypes.join(", ") || "-"]);
  const header = ["NAME", "TYPE", "FORMAT", "USED BY", "INPUT TYPES"];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  // Input types go last and unpadded: some modules take dozens, and a wrapped last column stays readable.
  const line = (cells: readonly string[]): string => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join("  ");
  return [line(header), ...rows.map(line)].join("\n") + "\n";
}

export async function modulesCommand(options: ModulesOptions): Promise<void> {
  const config = loadConfigWithoutMisp(options);
  const logger = loggerFor(config, options, { stderr: true, level: "warn" });
  let subscribers;
  try {
    subscribers = await loadConfiguredSubscribers(config);
  } catch (error) {
    fail(isEnrichdError(error) ? error.message : errorMessage(error));
  }
  const client = createModulesClientFromConfig(config, { logger, metrics: createMetrics(), concurrency: 1 });
  let offered: readonly ModuleDescriptor[];
  try {
    offered = await client.list(AbortSignal.timeout(config.modules.timeoutMs));
  } catch (error) {
    process.stderr.write(`misp-enrichd modules: ✘ module server ${config.modules.url} not usable: ${errorMessage(error)}\n`);
    process.stderr.write("  fix: start misp-modules (misp-modules -l 127.0.0.1) or set modules.url / MISP_MODULES_URL\n");
    exitAfterFlush(EXIT_FAILURE);
    return;
  } finally {
    await client.close();
  }
  const needs = judgeNeeds(subscribers, offered);
  const shown = [...offered].filter((m) => options.type === undefined || m.type === options.type).sort((a, b) => a.name.localeCompare(b.name));
  const missing = needs.filter((n) => !n.offered);
  if (options.json) {
    const modules = shown.map((m) => ({ name: m.name, type: m.type, format: m.format, inputTypes: m.inputTypes, usedBy: usedBy(m.name, needs) }));
    await writeOut(JSON.stringify({ url: config.modules.url, modules, needs }) + "\n");
  } else {
    await writeOut(`module server ${config.modules.url}: ${offered.length} modules${options.type ? `, ${shown.length} of type ${options.type}` : ""}\n\n`);
    await writeOut(table(shown, needs));
    for (const need of missing) await writeOut(`✘ subscriber ${need.subscriber} needs module ${need.module}, which this server does not offer\n`);
  }
  exitAfterFlush(0);
}
