// `misp-enrichd spool`: look into the spool and the dead letters and act on them, beside a running
// daemon or without one. The daemon owns both folders; this command only reads entries, removes
// them, renames a dead letter back into the spool (one file each, written then renamed: the daemon
// sees a whole entry or none) and leaves a retry request that the daemon, watching the spool
// folder, takes at once (state/retry-requests.ts). It never runs a handler itself.

import { existsSync, statSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as wait } from "node:timers/promises";
import { errorMessage } from "../errors.js";
import { openEntryFolder, type EntryFolder, type WorkEntry } from "../state/entry-folder.js";
import { requestRetry } from "../state/retry-requests.js";
import { EXIT_FAILURE, exitAfterFlush, fail, loadConfigWithoutMisp, writeOut, type CommonOptions } from "./common.js";
import { describeEntry, entryDetail, entryLine } from "./spool-format.js";

export interface SpoolOptions extends CommonOptions {
  readonly dead?: boolean;
  readonly json?: boolean;
  readonly all?: boolean;
  readonly stateDir?: string;
  /** Seconds `retry` waits for the daemon to take its request. */
  readonly wait?: string;
}

interface Folders {
  readonly stateDir: string;
  readonly spool: EntryFolder;
  readonly dead: EntryFolder;
  readonly describe: ReturnType<typeof describeEntry>;
}

function folders(options: SpoolOptions): Folders {
  const config = loadConfigWithoutMisp(options, options.stateDir ? { "state.dir": options.stateDir } : {});
  const stateDir = config.state.dir;
  if (!existsSync(stateDir)) fail(`state folder ${stateDir} does not exist (state.dir, STATE_DIRECTORY or --state-dir)`, EXIT_FAILURE);
  return { stateDir, spool: openEntryFolder(join(stateDir, "spool")), dead: openEntryFolder(join(stateDir, "dead-letters")), describe: describeEntry(config) };
}

/** Entries written here must be the daemon's to read: refuse to change them as anyone else. */
function assertOwner(stateDir: string): void {
  const owner = statSync(stateDir).uid;
  if (typeof process.getuid === "function" && process.getuid() !== owner) {
    fail(`run this as the owner of ${stateDir} (uid ${owner}), e.g. sudo -u misp-enrichd misp-enrichd spool …: files it writes must stay readable by the daemon`, EXIT_FAILURE);
  }
}

async function mustRead(folder: EntryFolder, id: string, what: string): Promise<WorkEntry> {
  const entry = await folder.read(id).catch(() => undefined);
  if (!entry) fail(`no ${what} ${id} in ${folder.dir}`, EXIT_FAILURE);
  return entry;
}

export async function spoolListCommand(options: SpoolOptions): Promise<void> {
  const f = folders(options);
  const folder = options.dead ? f.dead : f.spool;
  const entries = await folder.list().catch((error: unknown) => fail(`cannot read ${folder.dir}: ${errorMessage(error)}`, EXIT_FAILURE));
  if (options.json) {
    await writeOut(JSON.stringify(entries.map((e) => ({ ...e, input: f.describe(e).summary })), null, 2) + "\n");
  } else {
    for (const entry of entries) await writeOut(entryLine(entry, f.describe(entry)) + "\n");
    const { bytes } = await folder.usage();
    await writeOut(`${entries.length} ${options.dead ? "dead letter" : "spooled entr"}${entries.length === 1 ? (options.dead ? "" : "y") : options.dead ? "s" : "ies"}, ${bytes} bytes in ${folder.dir}\n`);
  }
  exitAfterFlush(0);
}

export async function spoolShowCommand(id: string, options: SpoolOptions): Promise<void> {
  const f = folders(options);
  const entry = await mustRead(options.dead ? f.dead : f.spool, id, options.dead ? "dead letter" : "spool entry");
  await writeOut(entryDetail(entry, f.describe(entry)) + "\n");
  exitAfterFlush(0);
}

/** Moves a dead letter into the spool under the same id; the re-drive then runs it even if it was handled. */
async function revive(f: Folders, letter: WorkEntry): Promise<void> {
  const { id } = letter;
  await f.spool.write({ ...letter, attempts: 0, spooledAt: new Date().toISOString(), retriedFromDead: id });
  await f.dead.remove(id);
}

export async function spoolRetryCommand(id: string | undefined, options: SpoolOptions): Promise<void> {
  if ((id === undefined) === !options.all) fail("spool retry takes an entry id or --all, not both", EXIT_FAILURE);
  const f = folders(options);
  assertOwner(f.stateDir);
  let ids: string[];
  if (options.dead) {
    const letters = id === undefined ? await f.dead.list() : [await mustRead(f.dead, id, "dead letter")];
    for (const letter of letters) await revive(f, letter);
    ids = letters.map((l) => l.id);
    await writeOut(`${ids.length} dead letter${ids.length === 1 ? "" : "s"} moved into the spool\n`);
  } else {
    if (id !== undefined) await mustRead(f.spool, id, "spool entry");
    ids = id === undefined ? [] : [id];
  }
  const request = await requestRetry(f.spool.dir, ids);
  const waitMs = Math.max(0, Number(options.wait ?? "5")) * 1000;
  for (let waited = 0; waited < waitMs && existsSync(request); waited += 100) await wait(100);
  await writeOut(
    existsSync(request)
      ? `no running daemon took the request within ${waitMs / 1000} s: the spool is re-driven when the daemon starts (or every pipeline.spoolRetryMs)\n`
      : "the daemon took the request and is re-driving the spool now (misp-enrichd spool list shows what is left)\n",
  );
  exitAfterFlush(0);
}

export async function spoolDropCommand(id: string, options: SpoolOptions): Promise<void> {
  const f = folders(options);
  assertOwner(f.stateDir);
  const folder = options.dead ? f.dead : f.spool;
  if (!(await folder.remove(id))) fail(`no ${options.dead ? "dead letter" : "spool entry"} ${id} in ${folder.dir}`, EXIT_FAILURE);
  await writeOut(`dropped ${id}\n`);
  exitAfterFlush(0);
}

export async function spoolPurgeCommand(options: SpoolOptions): Promise<void> {
  if (!options.dead) fail("spool purge empties the dead letters only, and says so: give --dead (spooled work is dropped one by one with spool drop)", EXIT_FAILURE);
  const f = folders(options);
  assertOwner(f.stateDir);
  let removed = 0;
  for (const id of await f.dead.ids()) if (await f.dead.remove(id)) removed++;
  await writeOut(`${removed} dead letter${removed === 1 ? "" : "s"} removed from ${f.dead.dir}\n`);
  exitAfterFlush(0);
}
