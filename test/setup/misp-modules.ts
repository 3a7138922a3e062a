// vitest globalSetup: one REAL misp-modules server (PyPI 3.1.0, from scripts/misp-modules/setup.sh)
// per run, with its two upstreams on loopback: an mmdb-server stand-in for mmdb_lookup's custom_API
// and an onion-lookup stand-in that our onion_lookup override reaches through ONION_LOOKUP_URL.
// Tests read the URLs with inject("mispModules"). MISP_ENRICHD_SKIP_REAL_MODULES=1 provides
// undefined instead, for quick local runs; CI never sets it.

import { readFileSync } from "node:fs";
import type { TestProject } from "vitest/node";
import { customModulesDir, geoipDatabasePath, setupVenv, startMmdbServer, startOnionLookupServer, startRealModules } from "@misp-enrichd/standins";

export interface MispModulesContext {
  /** The real server, http://127.0.0.1:PORT. */
  readonly url: string;
  /** The mmdb-server stand-in, for mmdb_lookup's config.custom_API. */
  readonly mmdbUrl: string;
  /** The onion-lookup stand-in the server's onion_lookup already uses. */
  readonly onionUrl: string;
  /** Absolute path of GeoLite2-City.mmdb, for geoip_city's config.local_geolite_db. */
  readonly geoliteCityPath: string;
  /** The venv, for tests that start a server of their own (restart, stop). */
  readonly venv: string;
}

declare module "vitest" {
  export interface ProvidedContext {
    mispModules: MispModulesContext | undefined;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  if (process.env["MISP_ENRICHD_SKIP_REAL_MODULES"] === "1") {
    project.provide("mispModules", undefined);
    return async () => {};
  }

  const started = performance.now();
  const cleanups: (() => Promise<void>)[] = [];
  const teardown = async (): Promise<void> => {
    // Every step runs even if one fails, latest first: the server stops before its upstreams.
    const errors: unknown[] = [];
    for (const step of cleanups.splice(0).reverse()) await step().catch((error: unknown) => errors.push(error));
    if (errors.length > 0) throw new AggregateError(errors, "misp-modules teardown failed");
  };

  try {
    // Cached: a fraction of a second. Cold: pip's progress shows on stderr while it installs.
    const venv = await setupVenv({ onProgress: (chunk) => process.stderr.write(chunk) });
    const mmdb = await startMmdbServer();
    cleanups.push(() => mmdb.close());
    const onion = await startOnionLookupServer();
    cleanups.push(() => onion.close());
    const server = await startRealModules({
      venv,
      customDir: customModulesDir(),
      env: { ONION_LOOKUP_URL: onion.url },
    });
    cleanups.push(() => server.stop());
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    console.log(`misp-modules ready on ${server.url} in ${seconds} s, RSS ${rssMiB(server.pid)}`);
    project.provide("mispModules", {
      url: server.url,
      mmdbUrl: mmdb.url,
      onionUrl: onion.url,
      geoliteCityPath: geoipDatabasePath("GeoLite2-City.mmdb"),
      venv,
    });
  } catch (error) {
    await teardown().catch(() => undefined);
    throw error;
  }
  return teardown;
}

function rssMiB(pid: number): string {
  try {
    const kib = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1];
    return kib === undefined ? "unknown" : `${Math.round(Number(kib) / 1024)} MiB`;
  } catch {
    return "unknown"; // no /proc: not Linux
  }
}
