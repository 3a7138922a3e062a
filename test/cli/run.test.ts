// `misp-enrichd run` as systemd starts it: the built CLI, JSON log lines on stdout.

import { describe, expect, it } from "vitest";
import { jsonLines as json, startCli, startPeers, tempDir, waitForLine, writeConfig } from "./cli.js";

describe("misp-enrichd run", () => {
  it("logs SIGHUP once and keeps running; SIGTERM then stops it with exit 0", async () => {
    const peers = await startPeers();
    const cli = startCli(["run"], peers.env);
    await waitForLine(cli, /"msg":"bus subscribed"/);

    cli.child.kill("SIGHUP");
    await waitForLine(cli, /SIGHUP ignored/);
    const hups = json(cli.stdout()).filter((l) => l.signal === "SIGHUP");
    expect(hups).toEqual([expect.objectContaining({ level: "warn", msg: "SIGHUP ignored: misp-enrichd does not reload; restart it to apply a new configuration" })]);
    expect(cli.child.exitCode).toBe(null);
    expect(cli.child.signalCode).toBe(null);

    cli.child.kill("SIGTERM");
    expect(await cli.exited).toBe(0);
    expect(json(cli.stdout()).map((l) => l.msg)).toContain("stopped");
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
