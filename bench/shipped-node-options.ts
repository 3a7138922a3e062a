// The Node options the shipped systemd unit starts the daemon with (its `Environment=NODE_OPTIONS=`
// line): every scenario process runs the daemon with them, so the figures are those of the daemon as
// installed. Read from the unit itself, so the two cannot drift apart.

import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

const UNIT = fileURLToPath(new URL("../../systemd/misp-enrichd.service", import.meta.url));

/** The options of the unit's NODE_OPTIONS line, split on spaces (none when the line is absent). */
export function shippedNodeOptions(unitText: string = readFileSync(UNIT, "utf8")): string[] {
  const line = /^Environment=NODE_OPTIONS=(.*)$/m.exec(unitText)?.[1] ?? "";
  return line.replace(/^"|"$/g, "").split(" ").filter(Boolean);
}
