// misp-enrichd's own version, read once from its package.json: for `--version`, the start-up log line
// and the User-Agent sent to MISP. package.json sits one level above src/ when run from source and
// two above dist/src/ when built, so walk up to the first one that is ours.

import { readFileSync } from "node:fs";

function readVersion(): string {
  let dir = new URL("./", import.meta.url);
  for (let i = 0; i < 5; i++) {
    try {
      const pkg = JSON.parse(readFileSync(new URL("package.json", dir), "utf8")) as { name?: unknown; version?: unknown };
      if (pkg.name === "misp-enrichd") return typeof pkg.version === "string" ? pkg.version : "0.0.0";
    } catch {
      // not here: keep walking up
    }
    dir = new URL("../", dir);
  }
  return "0.0.0";
}

export const VERSION: string = readVersion();
