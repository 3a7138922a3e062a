// The modules the rules' `enrich` steps query, as the start-up module check and `check` read what
// subscribers declare: with the types of the rule's `where.type` (none named: any type).

import type { ModuleUser } from "../modules/needs.js";
import { allSteps, type CompiledRule } from "./types.js";

export function ruleModuleUsers(rules: readonly CompiledRule[]): ModuleUser[] {
  return rules.flatMap((rule) => {
    const types = rule.where.type === undefined ? [] : typeof rule.where.type === "string" ? [rule.where.type] : [...rule.where.type];
    const modules = [...new Set(allSteps(rule.steps).flatMap((s) => (s.kind === "enrich" ? [s.setting.module] : [])))];
    return modules.length === 0 ? [] : [{ name: rule.name, modules: modules.map((module) => ({ module, types })) }];
  });
}
