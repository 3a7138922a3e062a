#!/usr/bin/env node
// misp-enrichd's command line: one verb per file.

import { Command } from "commander";
import { VERSION } from "./common.js";
import { runCommand } from "./run.js";

export function buildProgram(): Command {
  const program = new Command()
    .name("misp-enrichd")
    .description("Automate MISP from its ZeroMQ/Kafka bus: filter, enrich through misp-modules, write back.")
    .version(VERSION);

  const common = (cmd: Command): Command =>
    cmd
      .option("-c, --config <path>", "YAML config file (default /etc/misp-enrichd/config.yaml; optional when the environment configures everything)")
      .option("--pretty", "human-readable logs instead of JSON lines")
      .option("--log-level <level>", "fatal, error, warn, info, debug or trace");

  common(program.command("run").description("run the daemon"))
    .option("--dry-run", "do everything but the writes: log the exact REST calls instead")
    .action((opts) => runCommand(opts));

  return program;
}

await buildProgram().parseAsync(process.argv);
