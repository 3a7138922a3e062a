// `misp-enrichd check` on rules: every invalid rule named by rule and key (exit 78, as `run` stops
// with 78), a crafted cycle named as a chain (exit 1), the same cycle accepted when every rule is once.

import { describe, expect, it } from "vitest";
import { pumpHeartbeats, runCli, startPeers, tempDir, writeConfig } from "./cli.js";

const checks = (stdout: string): string[] => stdout.trimEnd().split("\n").slice(0, -1);

const PING_PONG = (once: boolean) => `rules:
  - name: ping
    on: tag:attached-to-attribute
    where: { tags: { any: ['ball:ping'] } }
    once: ${once}
    do: [ { remove-tag: 'ball:ping' }, { add-tag: 'ball:pong' } ]
  - name: pong
    on: tag:attached-to-attribute
    where: { tags: { any: ['ball:pong'] } }
    once: ${once}
    do: [ { remove-tag: 'ball:pong' }, { add-tag: 'ball:ping' } ]
`;

describe("misp-enrichd check with rules", () => {
  it("fails with exit 1 and one line per loop, unless every rule of the loop is once", async () => {
    const peers = await startPeers();
    pumpHeartbeats(peers.publisher);
    const looping = await runCli(["check", "--config", writeConfig(tempDir(), PING_PONG(false)), "--bus-timeout", "5"], peers.env);
    expect(checks(looping.stdout)).toContain("✘ loop: ping → pong → ping — fix: make every rule of the loop `once: true`, or change what one of them writes or listens to");
    expect(looping.stdout.trimEnd().split("\n").at(-1)).toMatch(/^1 check failed \(loop\)/);
    expect(looping.code).toBe(1);

    const once = await runCli(["check", "--config", writeConfig(tempDir(), PING_PONG(true)), "--bus-timeout", "5"], peers.env);
    expect(checks(once.stdout)).toContain("✔ rules: 2 rules valid; no loop among 4 rules and subscribers");
    expect(once.code).toBe(0);
  });

  it("names every invalid rule and key, and exits 78 as run does", async () => {
    const peers = await startPeers();
    const config = writeConfig(
      tempDir(),
      `rules:
  - name: alert
    on: tag:attached-to-atribute
    do:
      - webhook:
          url: https://chat.example.org/hooks/misp
          body: |
            {"title": "{{ Event.info }}",
             "value": "{{ Attribute.value }"}
`,
    );
    const checked = await runCli(["check", "--config", config, "--bus-timeout", "1"], peers.env);
    expect(checks(checked.stdout).filter((l) => l.startsWith("✘ rules"))).toEqual([
      expect.stringMatching(/^✘ rules: rules\[0\] \(alert\)\.on: filter query "tag:attached-to-atribute": tag has no action "attached-to-atribute"\. Permitted values are: /),
      expect.stringMatching(/^✘ rules: rules\[0\] \(alert\)\.do\[0\]\.webhook\.body: template syntax error: .* \(line 2, column \d+\)$/),
    ]);
    expect(checked.code).toBe(78);
    const run = await runCli(["run", "--config", config], peers.env);
    expect(run.code).toBe(78);
    expect(run.stderr).toMatch(/^misp-enrichd: invalid configuration: 2 problems in rules: rules\[0\] \(alert\)\.on: .*; rules\[0\] \(alert\)\.do\[0\]\.webhook\.body: template syntax error: .*\(line 2, column \d+\)\n$/);
  });
});
