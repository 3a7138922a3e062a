#!/usr/bin/env node
// Starts the REAL misp-modules server (the venv scripts/misp-modules/setup.sh builds) with its two upstreams
// as local stand-ins, exactly as the test suite does (test/setup/misp-modules.ts), and stays up until killed.
// For runs of the real daemon against a real MISP by hand. Needs `npm run build` first. From the repo root:
//
//   node scripts/real-misp/modules-up.mjs            # optional: MODULES_PORT=NNNN to pin the server's port
//
// ONIONS_FILE=<json> adds onion-lookup records ({"<onion>": {id, first_seen, last_seen, languages, titles, tags,
// ports?}}) to the stand-in's default set, e.g. a 16-character onion whose record names a 56-character `id`, so
// that onion_lookup returns a v3 address for a source MISP 2.5.1 accepts.
//
// Prints one JSON line {modules, mmdb, onion, geoliteCity, venv, pid} once everything answers, then
// "stopped" after SIGTERM/SIGINT. Everything listens on 127.0.0.1 only.

import { readFileSync } from "node:fs";
import { customModulesDir, DEFAULT_ONIONS, findVenv, geoipDatabasePath, setupVenv, startMmdbServer, startOnionLookupServer, startRealModules } from "@misp-enrichd/standins";

const cleanups = [];
async function stopAll() {
  for (const step of cleanups.splice(0).reverse()) await step().catch((e) => console.error("stop:", e?.message ?? e));
}

try {
  // The cached venv when it is current; otherwise setup.sh (uses pip's cache; fails without it offline).
  const venv = findVenv() ?? (await setupVenv({ onProgress: (chunk) => process.stderr.write(chunk) }));
  const mmdb = await startMmdbServer();
  cleanups.push(() => mmdb.close());
  const extra = process.env.ONIONS_FILE ? JSON.parse(readFileSync(process.env.ONIONS_FILE, "utf8")) : {};
  const onion = await startOnionLookupServer({ onions: { ...DEFAULT_ONIONS, ...extra } });
  cleanups.push(() => onion.close());
  const port = process.env.MODULES_PORT ? Number(process.env.MODULES_PORT) : undefined;
  const server = await startRealModules({ venv, customDir: customModulesDir(), env: { ONION_LOOKUP_URL: onion.url }, port });
  cleanups.push(() => server.stop());
  console.log(
    JSON.stringify({
      modules: server.url,
      mmdb: mmdb.url,
      onion: onion.url,
      geoliteCity: geoipDatabasePath("GeoLite2-City.mmdb"),
      venv,
      pid: server.pid,
    }),
  );
  // Upstream traffic, so a run can show which lookups the module server really made.
  let seenMmdb = 0;
  let seenOnion = 0;
  setInterval(() => {
    for (; seenMmdb < mmdb.requests.length; seenMmdb++) console.log(`${new Date().toISOString()} mmdb-standin GET ${mmdb.requests[seenMmdb]}`);
    for (; seenOnion < onion.requests.length; seenOnion++) console.log(`${new Date().toISOString()} onion-standin GET ${onion.requests[seenOnion]}`);
  }, 200);
} catch (error) {
  console.error(error?.message ?? error);
  await stopAll();
  process.exit(1);
}

for (const signal of ["SIGTERM", "SIGINT"]) {
  process.once(signal, () => {
    void stopAll().then(() => {
      console.log("stopped");
      process.exit(0);
    });
  });
}
