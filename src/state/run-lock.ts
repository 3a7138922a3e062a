// One `misp-enrichd enrich` at a time per state folder: a lock file holding the owner's pid, created
// exclusively; a lock whose process is gone is taken over. The daemon never takes it: the two write
// different ledger files (ledgers.ts) and share the spool and dead letters safely.

import { openSync, readFileSync, rmSync, writeSync, closeSync } from "node:fs";
import { join } from "node:path";
import { EnrichdError } from "../errors.js";

export interface RunLock {
  release(): void;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Throws ENRICHD_STATE_FAILED naming the running owner, or when the folder cannot hold the lock. */
export function takeRunLock(dir: string, name: string): RunLock {
  const path = join(dir, `${name}.lock`);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, "wx", 0o600);
      writeSync(fd, String(process.pid));
      closeSync(fd);
      let released = false;
      return {
        release() {
          if (released) return;
          released = true;
          rmSync(path, { force: true });
        },
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") {
        throw new EnrichdError("ENRICHD_STATE_FAILED", `cannot create ${path}: ${(error as Error).message}`, { cause: error });
      }
      const owner = Number(readFileSync(path, "utf8").trim());
      if (Number.isSafeInteger(owner) && owner > 0 && alive(owner)) {
        throw new EnrichdError("ENRICHD_STATE_FAILED", `another misp-enrichd ${name} (pid ${owner}) is running on ${dir}; wait for it to finish`);
      }
      rmSync(path, { force: true }); // its process is gone
    }
  }
  throw new EnrichdError("ENRICHD_STATE_FAILED", `cannot take ${path}`);
}
