#!/usr/bin/env node
// misp-enrichd's command line: one verb per file.

import { Command, Option } from "commander";
import { VERSION } from "../version.js";
import { checkCommand } from "./check.js";
import { enrichCommand } from "./enrich.js";
import { modulesCommand } from "./modules.js";
import { replayCommand } from "./replay.js";
import { runCommand } from "./run.js";
import { spoolDropCommand, spoolListCommand, spoolPurgeCommand, spoolRetryCommand, spoolShowCommand } from "./spool.js";
import { tailCommand } from "./tail.js";

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

export function buildProgram(): Command {
  const program = new Command()
    .name("misp-enrichd")
    .description("Automate MISP from its ZeroMQ/Kafka bus: filter, enrich through misp-modules, write back.")
    .version(VERSION);

  const logging = (cmd: Command): Command =>
    cmd
      .option("--pretty", "human-readable logs instead of JSON lines")
      .addOption(new Option("--log-level <level>", "log from this level on").choices(["fatal", "error", "warn", "info", "debug", "trace", "silent"]));
  const common = (cmd: Command): Command =>
    logging(cmd.option("-c, --config <path>", "YAML config file (default /etc/misp-enrichd/config.yaml; optional when the environment configures everything)"));

  common(program.command("run").description("run the daemon"))
    .option("--dry-run", "do everything but the writes: log the exact REST calls instead")
    .action((opts) => runCommand(opts));

  common(program.command("tail").description("print each bus message as one readable line (needs only the bus settings)"))
    .option("--topic <topic>", "only this kind (attribute, tag, ...) or topic (misp_json_attribute, misp_attribute); repeatable", collect)
    .option("--json", "print each raw frame as one `topic json` line, as `replay` reads them")
    .option("--explain", "say which subscribers would act on each message and why the others skip it")
    .option("--count <n>", "exit after n messages")
    .option("--url <zmq-url>", "read this ZeroMQ publisher instead of the configured bus")
    .option("--from-beginning", "Kafka: start at the oldest retained message instead of new ones only")
    .action((opts) => tailCommand(opts));

  common(program.command("check").description("validate the config and reach MISP, the module server and the bus; exit 1 on any failure"))
    .option("--bus-timeout <seconds>", "how long to wait for a message or heartbeat on the bus", "15")
    .action((opts) => checkCommand(opts));

  common(program.command("modules").description("list the module server's modules and the subscribers that use them"))
    .option("--json", "print JSON instead of a table")
    .addOption(new Option("--type <type>", "only modules of this kind").choices(["expansion", "import_mod", "export_mod", "action_mod"]))
    .action((opts) => modulesCommand(opts));

  common(program.command("replay").description("feed recorded frames (`tail --json`) through the pipeline, then print a summary"))
    .argument("<file>", "frames, one `topic json` per line; - reads standard input")
    .option("--dry-run", "read MISP but write nothing: print the REST calls instead (state kept in a throwaway folder)")
    .option("--state-dir <dir>", "state folder for this replay (default: state.dir, or a throwaway folder with --dry-run)")
    .action((file: string, opts) => replayCommand(file, opts));

  common(program.command("enrich").description("run the attribute:add rules and subscribers over an event's existing attributes (no bus needed), then print a summary"))
    .requiredOption("--event <id|uuid>", "the event whose attributes to enrich")
    .option("--since <duration>", "only attributes changed in the last 30m, 24h, 7d, ...")
    .option("--type <type>", "only attributes of this type; repeatable", collect)
    .option("--rule <name>", "only this rule or subscriber; repeatable", collect)
    .option("--dry-run", "read MISP but write nothing: print the REST calls instead (state kept in a throwaway folder)")
    .action((opts) => enrichCommand(opts));

  const spool = program.command("spool").description("look into the spool and the dead letters; retry, drop or purge their entries (beside a running daemon too)");
  const stateDirOption = (cmd: Command): Command => common(cmd).option("--state-dir <dir>", "the daemon's state folder (default: state.dir)");
  stateDirOption(spool.command("list").description("one line per entry: id, age, subscriber, reason, the input it is about"))
    .option("--dead", "the dead letters instead of the spool")
    .option("--json", "print the entries as JSON")
    .action((opts) => spoolListCommand(opts));
  stateDirOption(spool.command("show").description("the whole entry, its payload decoded").argument("<id>"))
    .option("--dead", "a dead letter")
    .action((id: string, opts) => spoolShowCommand(id, opts));
  stateDirOption(spool.command("retry").description("have the daemon re-drive an entry (or --all) now; with --dead, move dead letters back into the spool first").argument("[id]"))
    .option("--all", "every entry")
    .option("--dead", "a dead letter (or all of them): after fixing what made it fail")
    .option("--wait <seconds>", "how long to wait for the running daemon to take the request", "5")
    .action((id: string | undefined, opts) => spoolRetryCommand(id, opts));
  stateDirOption(spool.command("drop").description("remove one entry for good").argument("<id>"))
    .option("--dead", "a dead letter")
    .action((id: string, opts) => spoolDropCommand(id, opts));
  stateDirOption(spool.command("purge").description("remove every dead letter (requires --dead)"))
    .option("--dead", "the dead letters")
    .action((opts) => spoolPurgeCommand(opts));

  return program;
}

// `misp-enrichd tail | head`: a reader that goes away ends the command quietly.
process.stdout.on("error", (error: NodeJS.ErrnoException) => {
  if (error.code === "EPIPE") process.exit(0);
  throw error;
});

await buildProgram().parseAsync(process.argv);
