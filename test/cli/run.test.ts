// `misp-enrichd run` as systemd starts it: the built CLI, JSON log lines on stdout.

import { chmodSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { jsonLines as json, KEY, runCli, startCli, startPeers, tempDir, waitForLine, writeConfig } from "./cli.js";

describe("misp-enrichd run", () => {
  it("stops on SIGTERM with exit 0", async () => {
    const peers = await startPeers();
    const cli = startCli(["run"], peers.env);
    await waitForLine(cli, /"msg":"bus subscribed"/);
    cli.child.kill("SIGTERM");
    expect(await cli.exited).toBe(0);
    expect(json(cli.stdout()).map((l) => l.msg)).toContain("stopped");
  });

  it("refuses a config file that holds the key and every user can read: exit 78, one line, no key in it", async () => {
    const path = writeConfig(tempDir(), `misp:\n  url: https://misp.test\n  key: ${KEY}\n`);
    chmodSync(path, 0o644);
    const { code, stdout, stderr } = await runCli(["run", "--config", path]);
    expect(code).toBe(78);
    expect(stdout).toBe("");
    expect(stderr).toMatch(new RegExp(`^misp-enrichd: invalid configuration: config file ${path} holds misp\\.key and every user can read it \\(mode 0644, owner [^)]+\\): chmod o-rwx ${path} [^\\n]*\\n$`));
    expect(stderr).not.toContain(KEY);
  });

  it("logs an error at start-up for a modules.config key the module does not declare", async () => {
    const peers = await startPeers();
    const config = writeConfig(tempDir(), "modules:\n  config:\n    mmdb_lookup:\n      custom_api: http://127.0.0.1:1/\n");
    const cli = startCli(["run", "--config", config], peers.env);
    await waitForLine(cli, /custom_api/);
    cli.child.kill("SIGTERM");
    expect(await cli.exited).toBe(0);
    expect(json(cli.stdout()).filter((l) => l.configKey === "custom_api")).toEqual([
      expect.objectContaining({
        level: "error",
        module: "mmdb_lookup",
        msg: "modules.config.mmdb_lookup.custom_api is not a config key of mmdb_lookup; did you mean custom_API? (mmdb_lookup declares custom_API, db_source_filter, max_country_info_qt)",
      }),
    ]);
  });
});
