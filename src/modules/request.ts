// The `/query` body in the module's own format (modules.md §3a, §3b), built the way MISP builds it.

import type { Attribute } from "../decode/types.js";
import type { ModuleFormat } from "./types.js";

export type ConfigLayer = Readonly<Record<string, unknown>> | undefined;

/**
 * Every declared key with `null` where unset, then each layer over it. Always an object, `{}` at
 * least: mmdb_lookup reads `request["config"]` unguarded and crashes without it.
 */
export function buildModuleConfig(configKeys: readonly string[], ...layers: readonly ConfigLayer[]): Record<string, unknown> {
  const config: Record<string, unknown> = {};
  for (const key of configKeys) config[key] = null;
  for (const layer of layers) {
    if (layer === undefined) continue;
    for (const [key, value] of Object.entries(layer)) if (value !== undefined) config[key] = value;
  }
  return config;
}

/**
 * The `timeout` the server enforces, in whole seconds, kept below the client's own timeout so the
 * server answers `{"error":"Timeout."}` before the client gives up (modules.md §1, §8).
 */
export function serverTimeoutSeconds(clientTimeoutMs: number): number {
  return Math.max(1, Math.floor(clientTimeoutMs / 1000) - 2);
}

export interface QueryBodyInput {
  readonly module: string;
  readonly format: ModuleFormat;
  readonly attribute: Attribute;
  readonly config: Readonly<Record<string, unknown>>;
  readonly timeoutSeconds: number;
  readonly eventId?: number;
}

export function buildQueryBody(input: QueryBodyInput): Record<string, unknown> {
  const { attribute } = input;
  // MISP sends ids as strings; modules that read event_id expect that.
  const eventId = input.eventId !== undefined ? String(input.eventId) : undefined;
  if (input.format === "legacy") {
    // Legacy modules find their input under a key named after the attribute type.
    return withoutUndefined({
      module: input.module,
      [attribute.type]: attribute.value,
      attribute_uuid: attribute.uuid,
      event_id: eventId,
      config: input.config,
      timeout: input.timeoutSeconds,
    });
  }
  return withoutUndefined({
    module: input.module,
    attribute: withoutUndefined({
      uuid: attribute.uuid,
      type: attribute.type,
      value: attribute.value,
      category: attribute.category,
      to_ids: attribute.toIds,
      disable_correlation: attribute.disableCorrelation,
      comment: attribute.comment,
      first_seen: attribute.firstSeen ?? undefined,
      last_seen: attribute.lastSeen ?? undefined,
    }),
    event_id: eventId,
    config: input.config,
    timeout: input.timeoutSeconds,
  });
}

function withoutUndefined(record: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key in record) if (record[key] !== undefined) out[key] = record[key];
  return out;
}
