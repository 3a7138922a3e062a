// How big each state file grows per million enrichments, measured: N ip attributes enriched for
// real (createDaemon, the MISP and module stand-ins in this process), then the bytes and entries
// of every file in the state folder divided by N; a spool entry and a dead letter of the same work;
// and the heap one ledger entry costs. Run: `npm run build && node --expose-gc dist/bench/state-growth.js [N]`.
// README's "State files" table is these figures. Not part of `npm run bench`.

import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { startMispStandin, startModulesStandin } from "@misp-enrichd/standins";
import { createPersistentSet } from "../src/state/persistent-set.js";
import { BENCH_KEY, startBenchApp } from "./daemon-stack.js";

const N = Number(process.argv[2] ?? "2000");
const MILLION = 1_000_000;

function bytesOf(dir: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    const st = statSync(path);
    out[name] = st.isDirectory() ? readdirSync(path).reduce((sum, f) => sum + statSync(join(path, f)).size, 0) : st.size;
  }
  return out;
}

function heapPerEntry(entries: number): number {
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  const before = process.memoryUsage().heapUsed;
  const set = createPersistentSet({ ttlSeconds: 86_400 });
  for (let i = 0; i < entries; i++) set.add(`${crypto.randomUUID()}|${i}`);
  gc?.();
  const after = process.memoryUsage().heapUsed;
  if (set.size !== entries) throw new Error("set lost entries");
  return (after - before) / entries;
}

const mib = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;

async function main(): Promise<void> {
  const misp = await startMispStandin({ key: BENCH_KEY });
  const modules = await startModulesStandin();
  const app = await startBenchApp({ mispUrl: misp.url, modulesUrl: modules.url, overrides: { "log.level": "warn" } });
  const { daemon } = app;
  const dones: Promise<void>[] = [];
  let event = misp.seedEvent();
  const started = Date.now();
  for (let i = 0; i < N; i++) {
    if (i % 50 === 49) event = misp.seedEvent();
    const value = `${11 + (i % 200)}.${(i >> 8) % 256}.${i % 256}.${1 + (i % 250)}`;
    const source = misp.seedAttribute(event.uuid, { type: "ip-dst", value });
    const payload = Buffer.from(`${source.message.topic} ${JSON.stringify(source.message.payload)}`);
    const { done } = await daemon.pipeline.accept({ topic: source.message.topic, payload, transport: "zmq", receivedAt: Date.now() });
    dones.push(done);
  }
  await Promise.all(dones);
  const seconds = (Date.now() - started) / 1000;
  const stateDir = daemon.config.state.dir;
  const written = daemon.metrics.get("misp_enrichd_handler_runs_total", { subscriber: "geolocation", outcome: "done" });
  // One spool entry and one dead letter of the same kind of work.
  const sample = Buffer.from(`misp_json_attribute ${JSON.stringify(misp.seedAttribute(event.uuid, { type: "ip-dst", value: "8.8.8.8" }).message.payload)}`);
  const entry = { subscriber: "geolocation", routeIndex: 0, frame: { topic: "misp_json_attribute", transport: "zmq" as const, payload: sample.toString("base64"), receivedAt: Date.now() }, attempts: 5, error: { code: "ENRICHD_MISP_UNAVAILABLE", message: "MISP answered 503 to POST /objects/add/0c4f1e5a-2b3d-4c5e-8f90-1a2b3c4d5e6f/cd6f2238-ba55-4888-82c4-104e6e1acf21: <html><body><h1>503</h1></body></html>" } };
  await daemon.pipeline.spool.put(entry);
  await daemon.pipeline.deadLetters.put({ ...entry, error: { code: "ENRICHD_MODULE_ERROR", message: "mmdb_lookup answered {\"error\": \"...\"}" } });
  const sizes = bytesOf(stateDir);
  const ledgers = { "own-uuids.jsonl": "own", "references.jsonl": "references", "handled.jsonl": "handled" } as const;
  const entries = Object.fromEntries(Object.entries(ledgers).map(([file, ledger]) => [file, daemon.metrics.get("misp_enrichd_ledger_entries", { ledger })]));
  await daemon.metrics.renderPrometheus(); // refreshes the ledger gauges
  for (const [file, ledger] of Object.entries(ledgers)) entries[file] = daemon.metrics.get("misp_enrichd_ledger_entries", { ledger });
  const perEntryHeap = heapPerEntry(200_000);
  process.stdout.write(`state growth: ${written} of ${N} enrichments written in ${seconds.toFixed(1)} s (geolocation, MISP and module stand-ins)\n\n`);
  process.stdout.write("file                 bytes/enrichment  entries/enrichment  per 1,000,000 enrichments (live)\n");
  for (const [file, bytes] of Object.entries(sizes).sort()) {
    if (file === "config.yaml") continue;
    const perWork = file === "spool" || file === "dead-letters" ? `${bytes} per entry` : (bytes / written).toFixed(1);
    const perEntries = entries[file] === undefined ? "" : (Number(entries[file]) / written).toFixed(2);
    const perMillion = file === "spool" || file === "dead-letters" ? mib(bytes * MILLION) + " if a million waited" : mib((bytes / written) * MILLION);
    process.stdout.write(`${file.padEnd(20)} ${String(perWork).padStart(16)}  ${perEntries.padStart(18)}  ${perMillion}\n`);
  }
  process.stdout.write(`\nheap per ledger entry: ${perEntryHeap.toFixed(0)} bytes (${mib(perEntryHeap * MILLION)} per million entries)\n`);
  await app.close();
  await Promise.allSettled([misp.close(), modules.close()]);
}

await main();
