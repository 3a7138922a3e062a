// `rules:` of the config → compiled rules, or every problem, each naming the rule and the key:
//   rules[1] (credit-card-alert).do[0].webhook.body: template syntax error: … (line 1, column 40)
// A pure function of the config and the environment (SIGHUP reloads recompile from scratch).

import type { Config } from "../config/schema.js";
import type { MessageKind } from "../decode/types.js";
import { checkFilterQuery } from "../route/filter-query.js";
import type { FilterQuery, Where } from "../route/types.js";
import { validateWhere } from "../route/where.js";
import { parseSteps } from "./parse-steps.js";
import { tagSyntaxProblem } from "./tag-syntax.js";
import { allSteps, type CompiledRule, type RuleSchedule, type Step } from "./types.js";

export interface CompileRulesOptions {
  /** Where `env.X` is read: the daemon's environment. */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Names already taken by subscribers (a rule is routed, logged and counted by its name). */
  readonly subscriberNames?: readonly string[];
  /** False for readers that never send (`tail --explain`): an `env.X` that is not set is no problem. */
  readonly requireEnv?: boolean;
}

export interface CompiledRules {
  readonly rules: readonly CompiledRule[];
  readonly problems: readonly string[];
}

type RuleConfig = Config["rules"][number];

/** Message kinds whose messages name an attribute (by uuid, or by id for tags and sightings). */
function namesAttribute(kind: MessageKind, action: string | undefined): boolean {
  if (kind === "attribute" || kind === "sighting") return true;
  return kind === "tag" && (action === undefined || action.endsWith("-attribute"));
}

/** … and an event. */
function namesEvent(kind: MessageKind, action: string | undefined): boolean {
  if (["attribute", "sighting", "event", "publish", "object", "object-reference"].includes(kind)) return true;
  return kind === "tag" && (action === undefined || action.endsWith("-attribute") || action.endsWith("-event"));
}

const UNIT_SECONDS = { s: 1, m: 60, h: 3_600, d: 86_400, w: 604_800 } as const;

export function durationSeconds(text: string): number {
  const m = /^(\d+)\s*([smhdw])$/.exec(text.trim());
  if (!m) throw new Error(`${JSON.stringify(text)} is not a duration such as 30m, 24h or 7d`);
  return Number(m[1]) * UNIT_SECONDS[m[2] as keyof typeof UNIT_SECONDS];
}

/** The names a step's templates and conditions read. */
function namesRead(step: Step): ReadonlySet<string> {
  if (step.kind === "webhook") return step.hook.names;
  if (step.kind === "if") return step.condition.roots;
  return new Set();
}

function compileRule(rule: RuleConfig, index: number, options: CompileRulesOptions, problems: string[]): CompiledRule | undefined {
  const at = `rules[${index}] (${rule.name})`;
  const before = problems.length;
  const queries = typeof rule.on === "string" ? [rule.on] : rule.on;
  const parsed = queries.flatMap((query, i) => {
    const result = checkFilterQuery(query);
    if (typeof result === "string") {
      problems.push(`${at}.on${queries.length > 1 ? `[${i}]` : ""}: ${result}`);
      return [];
    }
    return [result];
  });
  const kinds = new Set(parsed.map((q) => q.kind));
  if (kinds.has("heartbeat")) problems.push(`${at}.on: heartbeat messages carry nothing to act on`);
  problems.push(...validateWhere(rule.where, `${at}.where`, kinds));
  const tagPatterns = (rule.where?.tags ?? {}) as Record<string, unknown>;
  for (const [key, patterns] of Object.entries(tagPatterns)) {
    if (!Array.isArray(patterns)) continue;
    patterns.forEach((pattern, i) => {
      const problem = tagSyntaxProblem(pattern, { glob: true });
      if (problem) problems.push(`${at}.where.tags.${key}[${i}]: ${problem}`);
    });
  }
  const stepProblems: string[] = [];
  const steps = parseSteps(rule.do, "do", stepProblems);
  problems.push(...stepProblems.map((p) => `${at}.${p}`));

  // What the rule's messages can give its steps.
  const attribute = parsed.some((q) => namesAttribute(q.kind, q.action));
  const event = parsed.some((q) => namesEvent(q.kind, q.action));
  const flat = allSteps(steps);
  const reads = new Set(flat.flatMap((s) => [...namesRead(s)]));
  const needsAttribute = (s: Step): boolean => ["enrich", "set-distribution"].includes(s.kind) || ((s.kind === "add-tag" || s.kind === "remove-tag") && (s.on ?? "attribute") === "attribute" && attribute);
  // With a query unreadable, what its messages carry is unknown: say nothing more about it.
  const known = parsed.length === queries.length;
  for (const step of known ? flat : []) {
    const where = `${at}.${step.at}`;
    if (["enrich", "set-distribution"].includes(step.kind) && !attribute) problems.push(`${where}: ${step.kind} acts on an attribute, and the messages of ${queries.join(", ")} name none`);
    if ((step.kind === "add-tag" || step.kind === "remove-tag") && !attribute && !event) problems.push(`${where}: ${step.kind} needs an attribute or an event, and the messages of ${queries.join(", ")} name neither`);
    if ((step.kind === "add-tag" || step.kind === "remove-tag") && step.on === "event" && !event) problems.push(`${where}: the messages of ${queries.join(", ")} name no event`);
  }
  for (const [name, has] of [["Attribute", attribute], ["Event", event]] as const) {
    if (known && reads.has(name) && !has) problems.push(`${at}.do: reads ${name}, and the messages of ${queries.join(", ")} name none`);
  }
  if (known && rule.once && !attribute && !event) problems.push(`${at}.once: a rule acts once per attribute or event, and the messages of ${queries.join(", ")} name neither`);

  let schedule: RuleSchedule | undefined;
  if (rule.schedule) {
    if (known && !attribute) problems.push(`${at}.schedule: a scheduled run goes over attributes, and the messages of ${queries.join(", ")} name none`);
    schedule = { everySeconds: durationSeconds(rule.schedule.every), windowSeconds: durationSeconds(rule.schedule.window) };
  }

  const env: Record<string, string> = {};
  for (const step of flat) {
    if (step.kind !== "webhook") continue;
    for (const name of step.hook.envNames) {
      const value = options.env[name];
      if ((value === undefined || value === "") && options.requireEnv !== false) problems.push(`${at}.${step.at}.webhook: env.${name} is not set in the daemon's environment`);
      else if (value !== undefined) env[name] = value;
    }
  }
  if (options.subscriberNames?.includes(rule.name)) problems.push(`${at}.name: ${JSON.stringify(rule.name)} is the name of a subscriber too; rule names must differ from subscriber names`);
  if (problems.length > before) return undefined;
  return Object.freeze({
    name: rule.name,
    index,
    queries: queries as FilterQuery[],
    where: (rule.where ?? {}) as Where,
    steps,
    once: rule.once,
    ...(schedule ? { schedule } : {}),
    env: Object.freeze(env),
    needs: {
      attribute: reads.has("Attribute") || flat.some(needsAttribute) || (rule.once && attribute),
      event: reads.has("Event") || flat.some((s) => (s.kind === "add-tag" || s.kind === "remove-tag") && (s.on === "event" || !attribute)) || (rule.once && !attribute),
    },
  });
}

export function compileRules(config: Pick<Config, "rules">, options: CompileRulesOptions): CompiledRules {
  const problems: string[] = [];
  const rules = config.rules.flatMap((rule, i) => compileRule(rule, i, options, problems) ?? []);
  return { rules, problems };
}

/** Every `env.X` value the rules read: secrets for the logger to scrub. */
export function ruleSecrets(rules: readonly CompiledRule[]): string[] {
  return [...new Set(rules.flatMap((rule) => Object.values(rule.env)))];
}
