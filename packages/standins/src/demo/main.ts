#!/usr/bin/env node
// `npm run demo` (README's first command): the daemon's main job once, end to end, on a local stack,
// then a report for a human. No config file, no environment. Exit 0 when every sample went the
// expected way, 1 otherwise. Not a verb of the published CLI: the stand-ins are not in the product.

import { Command, Option } from "commander";
import type { LevelWithSilent } from "pino";
import { errorMessage, EXIT_FAILURE, exitAfterFlush, prettyStream, writeOut } from "misp-enrichd/internal";
import { runDemo } from "./run.js";

interface DemoCommandOptions {
  readonly pretty?: boolean;
  readonly logLevel?: LevelWithSilent;
  readonly standInModules?: boolean;
}

async function demoCommand(options: DemoCommandOptions): Promise<void> {
  // The daemon's own log lines stay out of the report unless asked for, on stderr.
  const level = options.logLevel ?? (options.pretty ? "info" : undefined);
  const forwardLogs = level ? { to: options.pretty ? prettyStream(2) : process.stderr, level } : undefined;
  await writeOut("misp-enrichd demo: the whole job once, on 127.0.0.1 only\n");
  let result;
  try {
    result = await runDemo({
      ...(options.standInModules ? { standInModules: true } : {}),
      ...(forwardLogs ? { forwardLogs } : {}),
      progress: (line) => process.stderr.write(`  ${line}\n`),
    });
  } catch (error) {
    process.stderr.write(`misp-enrichd demo: ${errorMessage(error)}\n`);
    exitAfterFlush(EXIT_FAILURE);
    return;
  }
  await writeOut(`\n${result.setup}\n\n${result.text}\n`);
  const seconds = (result.elapsedMs / 1000).toFixed(1);
  await writeOut(
    result.ok
      ? `✔ demo done in ${seconds} s: every sample went the expected way, nothing dead-lettered.\n  Next: misp-enrichd check, then misp-enrichd run (README, "Configuration").\n`
      : `✘ demo finished in ${seconds} s, but something did not go as expected (see ✘ above).\n`,
  );
  exitAfterFlush(result.ok ? 0 : EXIT_FAILURE);
}

await new Command()
  .name("misp-enrichd demo")
  .description("run the whole job once on a local demo stack (MISP stand-in, publisher, module server) and print what happened")
  .option("--pretty", "human-readable logs instead of JSON lines")
  .addOption(new Option("--log-level <level>", "log from this level on").choices(["fatal", "error", "warn", "info", "debug", "trace", "silent"]))
  .option("--stand-in-modules", "use the built-in module server stand-in even when the real misp-modules is installed")
  .action((opts: DemoCommandOptions) => demoCommand(opts))
  .parseAsync(process.argv);
