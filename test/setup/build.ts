// vitest globalSetup of the projects that run built code (the CLI, the demo): `npm run build` first,
// so that `npx vitest run --project e2e` never tests a stale dist/. tsc -b makes it a no-op (about a
// second) when nothing changed, e.g. right after `npm test`'s own build.

import { spawn } from "node:child_process";
import { join } from "node:path";

const ROOT = join(import.meta.dirname, "../..");

export default async function setup(): Promise<void> {
  const child = spawn("npm", ["run", "build", "--silent"], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => (output += chunk));
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => (output += chunk));
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once("error", reject);
    child.once("close", resolve);
  });
  if (code !== 0) throw new Error(`npm run build failed (exit ${code}) in ${ROOT}:\n${output.trimEnd()}`);
}
