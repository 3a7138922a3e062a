// The daemon's version for the User-Agent. package.json sits two levels above src/misp/ when run from
// source and three above dist/src/misp/ when built, so walk up to the first one that is ours.

import { readFileSync } from "node:fs";

let cached: string | undefined;

export function packageVersion(): string {
  if (cached !== undefined) return cached;
  cached = "0.0.0";
  let dir = new URL("./", import.meta.url);
  for (let i = 0; i < 5; i++) {
    try {
      const pkg: unknown = JSON.parse(readFileSync(new URL("package.json", dir), "utf8"));
      if (typeof pkg === "object" && pkg !== null && (pkg as { name?: unknown }).name === "misp-enrichd") {
        const version = (pkg as { version?: unknown }).version;
        if (typeof version === "string") cached = version;
        break;
      }
    } catch {
      // not here: keep walking up
    }
    dir = new URL("../", dir);
  }
  return cached;
}
