// `misp-enrichd replay FILE`: recorded frames (`tail --json`) through the same pipeline `run` builds,
// then a summary. Exit 1 when any work was dead-lettered or left in the spool. With --dry-run it is
// the safe way to try a subscriber: MISP is only read, and the state goes to a throwaway folder so
// nothing a dry run spooled is ever re-driven by the real daemon.

import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createDaemon } from "../daemon.js";
import { createReplayBus } from "../bus/replay.js";
import { collectSecrets } from "../config/load.js";
import { errorMessage, isEnrichdError } from "../errors.js";
import { scrubSecrets } from "../log.js";
import { EXIT_FAILURE, exitAfterFlush, fail, loadConfigOrExit, loggerFor, writeOut, type CommonOptions } from "./common.js";
import { summarizeReplay } from "./replay-summary.js";

export interface ReplayOptions extends CommonOptions {
  readonly dryRun?: boolean;
  readonly stateDir?: string;
}

export async function replayCommand(file: string, options: ReplayOptions): Promise<void> {
  if (file !== "-" && !existsSync(file)) fail(`replay file ${file} does not exist`, EXIT_FAILURE);
  if (options.stateDir) {
    // Said here in one line: the state stores otherwise fail later, with a stack trace.
    try {
      mkdirSync(options.stateDir, { recursive: true, mode: 0o700 });
    } catch (error) {
      fail(`--state-dir ${options.stateDir} cannot be used: ${errorMessage(error)}`);
    }
  }
  const throwaway = options.dryRun && !options.stateDir ? mkdtempSync(join(tmpdir(), "misp-enrichd-replay-")) : undefined;
  const stateDir = options.stateDir ?? throwaway;
  const config = loadConfigOrExit(options, { ...(options.dryRun ? { dryRun: true } : {}), ...(stateDir ? { "state.dir": stateDir } : {}) });
  const logger = loggerFor(config, options, { stderr: true });
  let daemon;
  try {
    daemon = await createDaemon({ config, logger });
  } catch (error) {
    fail(isEnrichdError(error) ? error.message : errorMessage(error));
  }
  const bus = createReplayBus({ file, kindOf: daemon.pipeline.topics.kindOf, logger, metrics: daemon.metrics });
  let code = 0;
  try {
    await daemon.pipeline.run(bus);
    await daemon.pipeline.idle();
  } catch (error) {
    process.stderr.write(`misp-enrichd replay: ${errorMessage(error)}\n`);
    code = EXIT_FAILURE;
  }
  await daemon.close();
  if (throwaway) rmSync(throwaway, { recursive: true, force: true });
  const summary = summarizeReplay(file, bus.stats(), daemon.metrics, config.dryRun ? daemon.dryRunCalls : undefined);
  // Bodies printed here bypass the logger: scrub configured secrets the same way.
  await writeOut(scrubSecrets(summary.text, collectSecrets(config).filter((s) => s.length >= 4)));
  if (summary.deadLettered > 0 || summary.spooled > 0) code = EXIT_FAILURE;
  exitAfterFlush(code);
}
