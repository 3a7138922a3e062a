// Shared by test/misp and test/standin: a stand-in and a client per test, both closed when it ends.

import { onTestFinished } from "vitest";
import { startMispStandin, type MispStandin, type MispStandinOptions } from "@misp-enrichd/standins";
import { createMispClient, type MispClientOptions } from "../../src/misp/client.js";
import type { MispClient } from "../../src/misp/types.js";
import { createMetrics, type Metrics } from "../../src/metrics/metrics.js";
import type { ModuleResult, ResultObject } from "../../src/modules/types.js";
import { captureLogs, type LogCapture } from "../support/log-capture.js";

export const KEY = "Zq8wPp3kE7yL2nV6bR1tX9cM4hJ5gF0dS8aQ2wE3";

export async function standin(options: Partial<MispStandinOptions> = {}): Promise<MispStandin> {
  const misp = await startMispStandin({ key: KEY, ...options });
  onTestFinished(() => misp.close());
  return misp;
}

export interface ClientKit {
  readonly client: MispClient;
  readonly logs: LogCapture;
  readonly metrics: Metrics;
}

export function client(url: string, options: Partial<MispClientOptions> = {}): ClientKit {
  const logs = captureLogs({ level: "debug" });
  const metrics = createMetrics();
  const c = createMispClient({ url, key: KEY, logger: logs.logger, metrics, requestIdPrefix: "t", timeoutMs: 5_000, ...options });
  onTestFinished(() => c.close());
  return { client: c, logs, metrics };
}

/** A call as the stand-in recorded it, reduced to "METHOD path". */
export const line = (c: { method: string; path: string }): string => `${c.method} ${c.path}`;

export const GEO_TEMPLATE = "cd6f2238-ba55-4888-82c4-104e6e1acf21";
export const TOR_HS_TEMPLATE = "cbac07d6-fbe9-43b8-8d91-d515812ce330";
export const ASN_TEMPLATE = "4ec55cc6-9e49-4c64-b794-03c25c1a6587";
export const V3_ONION = "vugqd7hwj3rgope5bi7cj2vvsahm5l3agevcgnfxv2rbjlb42ueqaaid.onion";
export const V2_ONION = "expyuzz4wqqyqhjn.onion";

/** mmdb_lookup's geolocation object (modules.md §4a), referencing the input as the module does. */
export function geolocationObject(sourceUuid: string, country = "Luxembourg"): ResultObject {
  return {
    name: "geolocation",
    metaCategory: "misc",
    description: "An object to describe a geographic location.",
    templateUuid: GEO_TEMPLATE,
    templateVersion: "8",
    moduleUuid: crypto.randomUUID(),
    attributes: [
      { objectRelation: "country", type: "text", value: country, category: "Other", toIds: false, disableCorrelation: false, tags: [] },
      { objectRelation: "countrycode", type: "text", value: "LU", category: "Other", toIds: false, tags: [] },
      { objectRelation: "latitude", type: "float", value: "49.6116", category: "Other", toIds: false, tags: [] },
      { objectRelation: "longitude", type: "float", value: "6.1319", category: "Other", toIds: false, tags: [] },
    ],
    references: [{ referencedUuid: sourceUuid, relationshipType: "related-to" }],
  };
}

/** onion_lookup's tor-hiddenservice object (modules.md §4c). */
export function hiddenServiceObject(sourceUuid: string, onion = V3_ONION): ResultObject {
  return {
    name: "tor-hiddenservice",
    metaCategory: "misc",
    description: "Tor hidden service (onion service) object.",
    templateUuid: TOR_HS_TEMPLATE,
    templateVersion: "2",
    moduleUuid: crypto.randomUUID(),
    attributes: [
      { objectRelation: "address", type: "onion-address", value: onion, category: "Network activity", toIds: true, tags: ["dark-web:topic=\"legitimate\""] },
      { objectRelation: "first-seen", type: "datetime", value: "2023-03-22T00:00:00", category: "Other", toIds: false, disableCorrelation: true, tags: [] },
      { objectRelation: "title", type: "text", value: "Example hidden service", category: "Other", toIds: false, tags: [] },
    ],
    references: [{ referencedUuid: sourceUuid, relationshipType: "expanded-from" }],
  };
}

export function result(objects: readonly ResultObject[], extra: Partial<ModuleResult> = {}): ModuleResult {
  return { module: "mmdb_lookup", format: "misp_standard", objects, attributes: [], sourceTags: [], ...extra };
}
