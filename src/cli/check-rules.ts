// `check`'s lines about the rules: each compile problem (the config is invalid), then the loop
// analysis over rules and subscribers (rules/loops.ts): one line per loop, `loop: a → b → a`.

import type { Config } from "../config/schema.js";
import { compileRules } from "../rules/compile.js";
import { ruleLoopNodes, subscriberLoopNode, unsafeLoops } from "../rules/loops.js";
import type { CompiledRule } from "../rules/types.js";
import type { LoadedSubscriber } from "../subscriber/load.js";
import { failed, ok, warned, type CheckLine } from "./check-line.js";

export interface RuleCheck {
  readonly lines: readonly CheckLine[];
  /** Undefined when a rule is invalid (the configuration is). */
  readonly rules?: readonly CompiledRule[];
}

export function checkRules(config: Config, subscribers: readonly LoadedSubscriber[], env: Readonly<Record<string, string | undefined>> = process.env): RuleCheck {
  const { rules, problems } = compileRules(config, { env, subscriberNames: subscribers.map((s) => s.name) });
  if (problems.length > 0) return { lines: problems.map((p) => failed("rules", p)) };
  const globalTags = config.misp.tagLocality !== "local";
  const nodes = [...subscribers.map((s) => subscriberLoopNode(s, globalTags)), ...ruleLoopNodes(rules, globalTags)];
  const lines: CheckLine[] = [];
  for (const loop of unsafeLoops(nodes)) {
    lines.push(failed("loop", loop.join(" → "), "make every rule of the loop `once: true`, or change what one of them writes or listens to"));
  }
  for (const s of subscribers.filter((s) => s.effects === undefined)) {
    lines.push(warned("loops", `subscriber ${s.name} declares no effects: the loop analysis cannot see what it writes`, "add `effects` to its defineSubscriber"));
  }
  if (rules.length > 0 && lines.every((l) => l.verdict !== "fail")) lines.unshift(ok("rules", `${rules.length} rule${rules.length === 1 ? "" : "s"} valid; no loop among ${nodes.length} rules and subscribers`));
  return { lines, rules };
}
