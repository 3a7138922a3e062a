// The fault suite at reduced sizes (faults/sizes.ts REDUCED): each scenario runs the built daemon
// against real peers, and must end with every expected effect written once: nothing lost, nothing
// doubled, no promise of its own broken. Figures are printed, never asserted (`npm run faults`
// records the full-size ones).

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, inject, it, onTestFailed } from "vitest";
import { formatTable } from "../../faults/report.js";
import { REDUCED } from "../../faults/sizes.js";
import { SCENARIOS } from "../../faults/suite.js";

describe("the fault suite, reduced", () => {
  for (const scenario of SCENARIOS) {
    it(`${scenario.id}: ${scenario.promise}`, { timeout: 180_000 }, async () => {
      const runDir = mkdtempSync(join(tmpdir(), "enrichd-faults-"));
      const progress: string[] = [];
      onTestFailed(() => {
        process.stderr.write(`--- scenario ${scenario.id}, kept in ${runDir} ---\n${progress.join("\n")}\n`);
      });
      const row = await scenario.run(REDUCED, { runDir, kafkaBrokers: scenario.kafka ? inject("kafkaBrokers") : undefined, progress: (text) => progress.push(text) });
      process.stdout.write(`${formatTable([row])}\n`);
      expect(row.expected).toBeGreaterThan(0);
      expect({ written: row.written, lost: row.lost, duplicated: row.duplicated, problems: row.problems }).toEqual({
        written: row.expected,
        lost: 0,
        duplicated: 0,
        problems: [],
      });
      rmSync(runDir, { recursive: true, force: true });
    });
  }
});
