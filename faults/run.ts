// `npm run faults`: every scenario of the fault suite in order, against the built daemon and real
// peers on 127.0.0.1, with the sizes; one row per scenario, then the notes and any problem.
// Figures, not pass/fail timings: the exit code is 1 only when an effect was lost or doubled, a
// scenario's own promise broke, or a scenario could not run.
//
//   npm run faults                      build, then the whole suite (about 15 minutes)
//   node dist/faults/run.js --reduced   the test suite's sizes (about 3 minutes)
//   node dist/faults/run.js --only 1,3b only these scenarios
//   FAULTS_KAFKA_BROKERS=host:port      a broker of yours instead of one started for the run

import { mkdtempSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { startKafkaBroker, type KafkaBroker } from "@misp-enrichd/standins";
import { environment } from "../bench/environment.js";
import { formatTable, type ScenarioRow } from "./report.js";
import { FULL, REDUCED } from "./sizes.js";
import { SCENARIOS } from "./suite.js";

const { values } = parseArgs({ options: { reduced: { type: "boolean", default: false }, only: { type: "string" } } });
const only = values.only?.split(",").map((id) => id.trim());
const selected = SCENARIOS.filter((s) => only === undefined || only.includes(s.id));
const sizes = values.reduced ? REDUCED : FULL;
const started = performance.now();
const elapsed = (): string => `${((performance.now() - started) / 1000).toFixed(0)} s`;
const load = (): string => loadavg().map((n) => n.toFixed(2)).join(" ");

const env = environment();
console.log(`misp-enrichd fault suite (npm run faults${values.reduced ? " --reduced" : ""})`);
console.log(`node ${env.node} · ${env.os} · ${env.cpu}, ${env.cores} cores · ${Math.round(env.memory / 2 ** 20)} MiB RAM`);
console.log(`load average at start ${load()} (1, 5, 15 min) · commit ${env.commit} · ${env.startedAt}\n`);

const runDir = mkdtempSync(join(tmpdir(), "misp-enrichd-faults-"));
let broker: KafkaBroker | undefined;
let kafkaBrokers = process.env["FAULTS_KAFKA_BROKERS"] || undefined;
const rows: ScenarioRow[] = [];
const failures: string[] = [];
try {
  if (kafkaBrokers === undefined && selected.some((s) => s.kafka)) {
    broker = await startKafkaBroker();
    kafkaBrokers = broker.brokers;
    process.stderr.write(`[${elapsed()}] kafka ${broker.version} ready on ${broker.brokers}\n`);
  }
  for (const scenario of selected) {
    const progress = (text: string): void => void process.stderr.write(`[${elapsed()}] ${scenario.id}: ${text}\n`);
    progress(`starting (load ${load()})`);
    try {
      const row = await scenario.run(sizes, { runDir, kafkaBrokers, progress });
      rows.push(row);
      progress(`sent ${row.sent}, written ${row.written}/${row.expected}, lost ${row.lost}, duplicated ${row.duplicated}`);
    } catch (error) {
      failures.push(`${scenario.id} did not complete: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
      progress(`did not complete: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
} finally {
  await broker?.destroy();
}

console.log(formatTable(rows));
for (const failure of failures) console.log(`\n${failure}`);
console.log(`\nload average at end ${load()} · wall time ${elapsed()}`);
const failed = failures.length > 0 || rows.some((r) => r.problems.length > 0);
if (failed) console.log(`daemon logs and state kept in ${runDir}`);
else rmSync(runDir, { recursive: true, force: true });
process.exitCode = failed ? 1 : 0;
