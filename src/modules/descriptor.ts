// Narrows `GET /modules` into ModuleDescriptor (modules.md §2). The list mixes expansion, import,
// export and action modules whose `meta` shapes differ (config is a list, an object or absent;
// keys carry typos), so an odd entry is skipped with a debug line instead of failing the list, and
// odd parts of an entry read as "nothing declared".

import { z } from "zod";
import { EnrichdError } from "../errors.js";
import { describeKind } from "../json.js";
import type { Logger } from "../log.js";
import { expected, parseShape } from "../shape.js";
import type { ModuleDescriptor } from "./types.js";

const strings = (value: unknown): string[] => (Array.isArray(value) ? value.filter((v): v is string => typeof v === "string") : []);

const descriptor = z.object({
  name: z.string(expected("a module name")).min(1, expected("a module name")),
  type: z.string(expected("a module type")),
  mispattributes: z
    .object({
      // Its absence means legacy (modules.md §2).
      format: z.unknown().optional().transform((f) => (f === "misp_standard" ? "misp_standard" : "legacy")),
      input: z.unknown().optional().transform(strings),
    })
    .catch({ format: "legacy", input: [] }),
  meta: z
    .object({
      // Action modules carry an object here: those are not keys a query sends.
      config: z.unknown().optional().transform(strings),
      description: z.unknown().optional().transform((d) => (typeof d === "string" ? d : "")),
      "module-type": z.unknown().optional().transform((t) => (typeof t === "string" ? [t] : strings(t))),
    })
    .catch({ config: [], description: "", "module-type": [] }),
});

/** Throws ENRICHD_MODULE_RESPONSE_INVALID when the body is not a JSON array. */
export function parseModuleList(body: unknown, logger: Logger): ModuleDescriptor[] {
  if (!Array.isArray(body)) {
    throw new EnrichdError("ENRICHD_MODULE_RESPONSE_INVALID", "GET /modules did not answer a JSON array", {
      details: { received: describeKind(body) },
    });
  }
  const modules: ModuleDescriptor[] = [];
  const seen = new Set<string>();
  body.forEach((entry: unknown, index) => {
    const parsed = parseShape(descriptor, entry, [index]);
    if (!parsed.ok) {
      logger.debug({ index, reason: `${parsed.problem.reason} at ${parsed.problem.path}` }, "skipped an odd module descriptor");
      return;
    }
    const { name, type, mispattributes, meta } = parsed.value;
    if (seen.has(name)) {
      logger.debug({ index, module: name }, "skipped a duplicate module descriptor");
      return;
    }
    seen.add(name);
    modules.push(
      Object.freeze({
        name,
        type,
        format: mispattributes.format,
        inputTypes: Object.freeze(mispattributes.input),
        configKeys: Object.freeze(meta.config),
        description: meta.description,
        moduleTypes: Object.freeze(meta["module-type"]),
      }),
    );
  });
  return modules;
}
