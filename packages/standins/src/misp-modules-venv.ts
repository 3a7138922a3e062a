// Where the real misp-modules lives: the venv that scripts/misp-modules/setup.sh builds from
// requirements.lock. The path rule is the script's: ${MISP_MODULES_VENV:-<repo>/.cache/misp-modules/
// <first 12 hex of sha256(lock)>}, ready once its marker file holds the lock's hash.

import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const LOCK = join("scripts", "misp-modules", "requirements.lock");
const MARKER = ".setup-complete";

/** The repository root, found from this file whether it runs from packages/standins/src/ or dist/. */
export function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, LOCK))) return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`no ${LOCK} above ${fileURLToPath(import.meta.url)}`);
    dir = parent;
  }
}

/** scripts/misp-modules/custom: the `-c` root holding our onion_lookup override. */
export function customModulesDir(): string {
  return join(repoRoot(), "scripts", "misp-modules", "custom");
}

/** The venv setup.sh made for the current lock, or undefined when it has not run (or not finished). */
export function findVenv(): string | undefined {
  const root = repoRoot();
  const hash = createHash("sha256").update(readFileSync(join(root, LOCK))).digest("hex").slice(0, 12);
  const venv = process.env["MISP_MODULES_VENV"] || join(root, ".cache", "misp-modules", hash);
  const marker = join(venv, MARKER);
  if (!existsSync(marker) || !existsSync(join(venv, "bin", "python"))) return undefined;
  // The marker's first line is the lock hash it was built from: a stale venv is not this one.
  return readFileSync(marker, "utf8").split("\n", 1)[0] === hash ? venv : undefined;
}

export interface SetupVenvOptions {
  signal?: AbortSignal;
  /** Called with each chunk of the script's stderr (pip's progress), e.g. to forward it. */
  onProgress?: (chunk: string) => void;
}

/** Runs setup.sh (seconds when cached, ~20 s cold) and resolves with the venv path it printed. */
export function setupVenv(options: SetupVenvOptions = {}): Promise<string> {
  const script = join(repoRoot(), "scripts", "misp-modules", "setup.sh");
  return new Promise<string>((resolve, reject) => {
    const child = spawn("bash", [script], { stdio: ["ignore", "pipe", "pipe"], signal: options.signal });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
      stderr = (stderr + chunk).slice(-4000);
      options.onProgress?.(chunk);
    });
    child.once("error", reject);
    child.once("close", (code, signal) => {
      const venv = stdout.trimEnd().split("\n").pop() ?? "";
      if (code === 0 && venv !== "") return resolve(venv);
      reject(new Error(`${script} failed (${signal ?? `exit ${code}`}):\n${stderr.trimEnd()}`));
    });
  });
}
