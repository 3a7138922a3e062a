// `modules.config` judged against what each module declares in `GET /modules` (`meta.config`,
// modules.md §2). A module reads only its declared keys: a mistyped one (`custom_api` for
// `custom_API`) is silently ignored and the module falls back to its default, for mmdb_lookup the
// public ip.circl.lu. Shared by `check` (a failure) and `run` (an error line at start-up).

import { nearestName } from "../config/nearest.js";
import type { ModuleDescriptor } from "./types.js";

export interface ModuleConfigProblem {
  readonly module: string;
  /** The undeclared key; absent when the server offers no module of that name. */
  readonly key?: string;
  readonly message: string;
}

export function judgeModuleConfig(
  moduleConfig: Readonly<Record<string, Readonly<Record<string, unknown>>>>,
  offered: readonly ModuleDescriptor[],
): ModuleConfigProblem[] {
  const byName = new Map(offered.map((m) => [m.name, m]));
  return Object.entries(moduleConfig).flatMap(([module, settings]): ModuleConfigProblem[] => {
    const descriptor = byName.get(module);
    if (descriptor === undefined) {
      const near = nearestName(module, [...byName.keys()]);
      return [{ module, message: `modules.config.${module}: the module server offers no module ${module}${near ? `; did you mean ${near}?` : ""}` }];
    }
    const declared = descriptor.configKeys;
    return Object.keys(settings)
      .filter((key) => !declared.includes(key))
      .map((key) => {
        const near = nearestName(key, declared);
        const declares = declared.length > 0 ? `${module} declares ${declared.join(", ")}` : `${module} declares no config keys`;
        return { module, key, message: `modules.config.${module}.${key} is not a config key of ${module}${near ? `; did you mean ${near}?` : ""} (${declares})` };
      });
  });
}
