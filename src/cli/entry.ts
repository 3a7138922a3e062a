#!/usr/bin/env node
// The `misp-enrichd` command (package.json `bin`). It checks the Node.js version before anything
// that needs a newer one is loaded (undici 7 needs 20.18.1), then loads the CLI. No static imports
// here: on an old Node this file must run to the end of its message.

/** package.json `engines.node` (test/cli/entry.test.ts keeps the two in step). */
const MINIMUM_NODE = "20.18.1";

/** sysexits EX_CONFIG, as for a bad configuration: systemd's RestartPreventExitStatus=78 stops the restarts. */
const EXIT_CONFIG = 78;

function atLeast(version: string, minimum: string): boolean {
  const have = version.split(".").map(Number);
  const need = minimum.split(".").map(Number);
  for (let i = 0; i < need.length; i++) {
    const a = have[i] ?? 0;
    const b = need[i] ?? 0;
    if (a !== b) return a > b;
  }
  return true;
}

if (!atLeast(process.versions.node, MINIMUM_NODE)) {
  process.stderr.write(
    `misp-enrichd: needs Node.js ${MINIMUM_NODE} or later, but ${process.execPath} is Node.js ${process.versions.node}. ` +
      "Debian 12 and Ubuntu 22.04/24.04 ship older ones: install Node.js 20 or 22 LTS (for example from NodeSource) as the first `node` on PATH.\n",
  );
  process.exit(EXIT_CONFIG);
}

await import("./main.js");
