// A state folder whose disk can fill up: a small tmpfs mounted for the scenario (needs root, as in
// the development sandbox), or, where `mount` is refused, an ordinary folder in which the daemon's
// own writes fail with ENOSPC while the disk is "full" (faults/enospc-preload.ts, loaded into the
// daemon with --import; the daemon's code is the same, only node's fs answers differently).

import { execFile } from "node:child_process";
import { mkdirSync, rmSync, writeFileSync, openSync, writeSync, closeSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { repoRoot } from "./daemon-process.js";

const run = promisify(execFile);

export interface SmallDisk {
  readonly kind: "tmpfs" | "ENOSPC preload";
  /** The folder to use as the state folder. */
  readonly path: string;
  /** Extra `node` arguments and environment the daemon needs (the preload), if any. */
  readonly nodeArgs: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  /** Another process fills the disk: resolves with the bytes it took. */
  fill(): Promise<number>;
  /** The space comes back. */
  free(): Promise<void>;
  /** Unmounts (tmpfs) or removes the folder. */
  close(): Promise<void>;
}

export const ENOSPC_DIR_ENV = "ENRICHD_FAULTS_ENOSPC_DIR";
export const ENOSPC_FLAG_ENV = "ENRICHD_FAULTS_ENOSPC_FLAG";

/** Fills the file system holding `dir` with one file, down to the last byte. */
function fillUp(file: string): number {
  const fd = openSync(file, "w");
  let written = 0;
  try {
    for (let chunk = 1 << 20; chunk >= 1; ) {
      try {
        written += writeSync(fd, Buffer.alloc(chunk));
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "ENOSPC") throw error;
        chunk = Math.floor(chunk / 2);
      }
    }
  } finally {
    closeSync(fd);
  }
  return written;
}

/** FAULTS_DISK=preload uses the preload even where a tmpfs could be mounted (to try it). */
export async function smallDisk(dir: string, sizeMiB: number): Promise<SmallDisk> {
  const path = join(dir, "state-disk");
  mkdirSync(path, { recursive: true });
  const filler = join(dir, "state-disk", "filler.bin");
  try {
    if (process.env["FAULTS_DISK"] === "preload") throw new Error("FAULTS_DISK=preload");
    await run("mount", ["-t", "tmpfs", "-o", `size=${sizeMiB}m,mode=0700`, "tmpfs", path]);
    return {
      kind: "tmpfs",
      path: join(path, "state"),
      nodeArgs: [],
      env: {},
      fill: async () => fillUp(filler),
      free: async () => rmSync(filler, { force: true }),
      async close() {
        await run("umount", [path]).catch(() => run("umount", ["-l", path]));
        rmSync(path, { recursive: true, force: true });
      },
    };
  } catch {
    // mount refused (not root, no CAP_SYS_ADMIN): the preload plays the full disk instead.
    const flag = join(dir, "disk-full.flag");
    const preload = pathToFileURL(join(repoRoot(), "dist", "faults", "enospc-preload.js")).href;
    return {
      kind: "ENOSPC preload",
      path: join(path, "state"),
      nodeArgs: ["--import", preload],
      env: { [ENOSPC_DIR_ENV]: path, [ENOSPC_FLAG_ENV]: flag },
      fill: async () => {
        writeFileSync(flag, "");
        return 0;
      },
      free: async () => rmSync(flag, { force: true }),
      async close() {
        rmSync(flag, { force: true });
        rmSync(path, { recursive: true, force: true });
      },
    };
  }
}
