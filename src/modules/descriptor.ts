// Narrows `GET /modules` into ModuleDescriptor (modules.md §2). The list mixes expansion, import,
// export and action modules whose `meta` shapes differ (config is a list, an object or absent;
// keys carry typos), so an odd entry is skipped with a debug line instead of failing the list.

import { EnrichdError } from "../errors.js";
import type { Logger } from "../log.js";
import { describeKind, isRecord } from "../json.js";
import type { ModuleDescriptor } from "./types.js";

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
    const descriptor = parseDescriptor(entry);
    if (typeof descriptor === "string") {
      logger.debug({ index, reason: descriptor }, "skipped an odd module descriptor");
      return;
    }
    if (seen.has(descriptor.name)) {
      logger.debug({ index, module: descriptor.name }, "skipped a duplicate module descriptor");
      return;
    }
    seen.add(descriptor.name);
    modules.push(Object.freeze(descriptor));
  });
  return modules;
}

/** A descriptor, or the reason the entry was skipped. */
function parseDescriptor(entry: unknown): ModuleDescriptor | string {
  if (!isRecord(entry)) return `entry is ${describeKind(entry)}, not an object`;
  const { name, type } = entry;
  if (typeof name !== "string" || name === "") return "entry has no name";
  if (typeof type !== "string") return `module ${name} has no type`;
  const attributes = isRecord(entry.mispattributes) ? entry.mispattributes : {};
  const meta = isRecord(entry.meta) ? entry.meta : {};
  return {
    name,
    type,
    // The absence of `format` means legacy (modules.md §2).
    format: attributes.format === "misp_standard" ? "misp_standard" : "legacy",
    inputTypes: Object.freeze(strings(attributes.input)),
    // Action modules carry an object here: those are not keys a query sends.
    configKeys: Object.freeze(Array.isArray(meta.config) ? strings(meta.config) : []),
    description: typeof meta.description === "string" ? meta.description : "",
    moduleTypes: Object.freeze(typeof meta["module-type"] === "string" ? [meta["module-type"]] : strings(meta["module-type"])),
  };
}

function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === "string") : [];
}
