// Which module each subscriber needs, judged against the server's `/modules` list: shared by the
// daemon's start-up check (an error line per problem), `check` (one ✔/✘ line per need) and
// `modules` (the "used by" column).

import type { ModuleDescriptor } from "./types.js";

/** What a subscriber declares it queries (`defineSubscriber({ modules })`). */
export interface ModuleUser {
  readonly name: string;
  readonly modules: readonly { readonly module: string; readonly types: readonly string[] }[];
}

export interface NeedVerdict {
  readonly subscriber: string;
  readonly module: string;
  readonly types: readonly string[];
  /** Types the subscriber sends that the module does not take (all of them when it is missing). */
  readonly refused: readonly string[];
  readonly offered: boolean;
  /** Absent when the module is offered and takes every type. */
  readonly problem?: string;
}

export function judgeNeeds(subscribers: readonly ModuleUser[], offered: readonly ModuleDescriptor[]): NeedVerdict[] {
  const byName = new Map(offered.map((m) => [m.name, m]));
  return subscribers.flatMap((sub) =>
    sub.modules.map((need): NeedVerdict => {
      const base = { subscriber: sub.name, module: need.module, types: need.types };
      const module = byName.get(need.module);
      if (module === undefined) {
        return { ...base, refused: need.types, offered: false, problem: `module ${need.module} is not offered by the module server` };
      }
      const refused = need.types.filter((t) => !module.inputTypes.includes(t));
      if (refused.length === 0) return { ...base, refused, offered: true };
      return { ...base, refused, offered: true, problem: `module ${need.module} does not accept ${refused.join(", ")} (it takes ${module.inputTypes.join(", ") || "no type"})` };
    }),
  );
}
