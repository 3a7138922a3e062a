// `schedule: { every: 24h, window: 7d }` on a rule: the daemon re-runs it, every `every`, over the
// attributes changed in the last `window` (/attributes/restSearch, paged, of the rule's where.type),
// each one that satisfies the rule's where-object (tags tested on the attribute's own tags) handled
// as if it had just triggered the rule, through the same runner (retries, spool). A rule on
// attribute:add sweeps as `add` (the handled ledger skips what it did already: a catch-up); any
// other as `edit` (it acts again where its actions still change something; `once` still holds).
// The last run of each rule is kept in `schedule.json`, so a restart does not re-run them all.

import { mkdirSync, readFileSync } from "node:fs";
import { rename, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { attributeFrame } from "../bus/backfill.js";
import type { Decoder } from "../decode/decoder.js";
import type { BusFrame, MispMessage } from "../decode/types.js";
import { errorMessage } from "../errors.js";
import type { Logger } from "../log.js";
import type { Metrics } from "../metrics/metrics.js";
import type { MispClient } from "../misp/types.js";
import { compileWhere } from "../route/where.js";
import type { RegisteredHandler } from "../subscriber/types.js";
import type { CompiledRule } from "./types.js";

export interface RuleSchedulerOptions {
  readonly rules: readonly CompiledRule[];
  /** The rules' routes, by rule name. */
  readonly routes: ReadonlyMap<string, RegisteredHandler>;
  readonly misp: Pick<MispClient, "searchAttributes">;
  readonly decoder: Decoder;
  /** Hands one message to the runner through the pipeline's queue; resolves when it is done. */
  readonly submit: (handler: RegisteredHandler, message: MispMessage, frame: BusFrame) => Promise<unknown>;
  readonly logger: Logger;
  readonly metrics: Metrics;
  /** Epoch seconds; tests pass their own clock. */
  readonly now?: () => number;
  /** JSON file holding each rule's last run; undefined keeps them in memory. */
  readonly file?: string;
  readonly pageSize?: number;
}

export interface RuleScheduler {
  /** Runs every scheduled rule whose time has come; resolves with the attributes each one swept. */
  tick(signal?: AbortSignal): Promise<Record<string, number>>;
  /** How often `tick` is worth calling: the shortest `every`, at most a minute. */
  readonly tickMs: number;
}

export function createRuleScheduler(options: RuleSchedulerOptions): RuleScheduler {
  const log = options.logger.child({ component: "schedule" });
  const now = options.now ?? (() => Math.floor(Date.now() / 1000));
  const pageSize = options.pageSize ?? 200;
  const scheduled = options.rules.filter((rule) => rule.schedule !== undefined);
  const lastRun = new Map<string, number>();
  if (options.file) {
    try {
      const saved = JSON.parse(readFileSync(options.file, "utf8")) as Record<string, unknown>;
      for (const [name, at] of Object.entries(saved)) if (typeof at === "number") lastRun.set(name, at);
    } catch {
      // Never ran: every scheduled rule is due.
    }
  }

  async function persist(): Promise<void> {
    if (!options.file) return;
    mkdirSync(dirname(options.file), { recursive: true });
    const tmp = `${options.file}.tmp`;
    await writeFile(tmp, JSON.stringify(Object.fromEntries(lastRun)));
    await rename(tmp, options.file);
  }

  async function sweep(rule: CompiledRule, signal?: AbortSignal): Promise<number> {
    const { windowSeconds } = rule.schedule as NonNullable<CompiledRule["schedule"]>;
    const handler = options.routes.get(rule.name);
    if (!handler) return 0;
    const matches = compileWhere(rule.where);
    const action = rule.queries.some((q) => q === "attribute" || q === "attribute:add") ? "add" : "edit";
    const types = rule.where.type === undefined ? undefined : typeof rule.where.type === "string" ? [rule.where.type] : rule.where.type;
    const since = now() - windowSeconds;
    const dones: Promise<unknown>[] = [];
    let swept = 0;
    for (let page = 1; !signal?.aborted; page++) {
      const rows = await options.misp.searchAttributes({ timestamp: since, limit: pageSize, page, ...(types ? { type: types } : {}) }, signal);
      for (const { attribute, event } of rows) {
        if (attribute.deleted) continue;
        const frame = attributeFrame(attribute, event, "backfill", `schedule/${rule.name}`, action);
        const decoded = options.decoder.decodeFrame(frame);
        if (decoded.status !== "message" || matches(decoded.message) !== null) continue;
        swept++;
        dones.push(options.submit(handler, decoded.message, frame));
      }
      if (rows.length < pageSize) break;
    }
    await Promise.all(dones);
    return swept;
  }

  return {
    tickMs: Math.min(60_000, ...scheduled.map((r) => (r.schedule?.everySeconds ?? 60) * 1000)),
    async tick(signal) {
      const swept: Record<string, number> = {};
      for (const rule of scheduled) {
        const every = (rule.schedule as NonNullable<CompiledRule["schedule"]>).everySeconds;
        const last = lastRun.get(rule.name);
        const started = now();
        if (last !== undefined && started < last + every) continue;
        try {
          swept[rule.name] = await sweep(rule, signal);
          lastRun.set(rule.name, started);
          await persist();
          options.metrics.inc("misp_enrichd_schedule_runs_total", { rule: rule.name });
          log.info({ rule: rule.name, swept: swept[rule.name], windowSeconds: rule.schedule?.windowSeconds }, "scheduled rule run");
        } catch (error) {
          log.warn({ rule: rule.name, err: errorMessage(error) }, "scheduled rule run failed; it runs again at the next tick");
        }
      }
      return swept;
    },
  };
}
