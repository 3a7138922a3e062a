import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { PROBE_UUID } from "../../src/cli/check-misp.js";
import { closedPort, KEY, pumpHeartbeats, runCli, startPeers, tempDir, writeConfig } from "./cli.js";

/** The check lines, without the closing summary. */
const checks = (stdout: string): string[] => stdout.trimEnd().split("\n").slice(0, -1);
const summary = (stdout: string): string => stdout.trimEnd().split("\n").at(-1) ?? "";

describe("misp-enrichd check", () => {
  it("passes against a healthy stand-in stack, one ✔ line per check, and writes nothing", async () => {
    const peers = await startPeers({ role: { name: "Site Admin", permSiteAdmin: true } });
    pumpHeartbeats(peers.publisher);
    const { code, stdout } = await runCli(["check", "--bus-timeout", "5"], peers.env);

    expect(checks(stdout)).toEqual([
      "✔ config: valid (no file, environment only); subscribers geolocation, onion-lookup",
      `✔ misp: MISP 2.5.1 at ${peers.misp.url}`,
      "✔ misp key: valid: user enrichd@stand-in.example (id 7) of organisation ORGNAME (id 1), role Site Admin",
      "✔ misp role: Site Admin may add objects, attributes and references (perm_add)",
      "✔ misp role: Site Admin is site admin: it may enrich every event",
      "✔ misp role: Site Admin may attach tags (perm_tagger)",
      "✔ misp role: Site Admin may create tags MISP does not know yet (perm_tag_editor)",
      "✔ misp tags: ORGNAME is MISP's host organisation: tags on source attributes go on as local tags (never synchronised, no edit echo)",
      `✔ modules: ${peers.modules.url} offers 5 modules`,
      "✔ subscriber geolocation: module mmdb_lookup accepts ip-src, ip-dst, ip-src|port, ip-dst|port",
      "✔ subscriber onion-lookup: module onion_lookup accepts onion-address",
      `✔ state: ${peers.stateDir} is writable`,
      expect.stringMatching(new RegExp(`^✔ bus: zmq ${peers.publisher.url}: a heartbeat \\(misp_json_self\\) after \\d+\\.\\d s$`)),
    ]);
    expect(summary(stdout)).toBe("all checks passed");
    expect(code).toBe(0);
    // The host-organisation probe names nothing and creates nothing.
    const probes = peers.misp.calls.filter((c) => c.path === "/tags/attachTagToObject");
    expect(probes.map((c) => [c.status, (c.body as { uuid?: string }).uuid])).toEqual([[404, PROBE_UUID]]);
    expect(peers.misp.state.tags).toEqual([]);
    expect(peers.misp.calls.every((c) => c.method === "GET" || c.path === "/tags/attachTagToObject")).toBe(true);
  });

  it("fails with exit 1 and a fix for each peer that does not answer", async () => {
    const [misp, modules, bus] = [await closedPort(), await closedPort(), await closedPort()];
    const dir = tempDir();
    const { code, stdout } = await runCli(["check", "--bus-timeout", "0.5"], {
      MISP_URL: `http://127.0.0.1:${misp}`,
      MISP_KEY: KEY,
      MISP_MODULES_URL: `http://127.0.0.1:${modules}`,
      MISP_ZMQ_URL: `tcp://127.0.0.1:${bus}`,
      STATE_DIRECTORY: dir,
    });
    expect(code).toBe(1);
    expect(checks(stdout)).toEqual([
      "✔ config: valid (no file, environment only); subscribers geolocation, onion-lookup",
      `✘ misp: not reachable: MISP could not be reached (connect ECONNREFUSED 127.0.0.1:${misp}): GET /servers/getVersion — fix: check misp.url (MISP_URL), that MISP runs, and its TLS certificate (misp.caFile / MISP_CA_FILE, misp.verifyTls)`,
      `✘ modules: http://127.0.0.1:${modules} not usable: GET /modules failed: connect ECONNREFUSED 127.0.0.1:${modules} — fix: start misp-modules (misp-modules -l 127.0.0.1) or set modules.url (MISP_MODULES_URL)`,
      `✔ state: ${dir} is writable`,
      `✘ bus: zmq tcp://127.0.0.1:${bus}: nothing answered within 0.5 s — fix: check bus.zmq.url (MISP_ZMQ_URL) against MISP's Plugin.ZeroMQ_host/ZeroMQ_port, and that MISP's ZeroMQ publisher runs`,
    ]);
    expect(summary(stdout)).toBe("3 checks failed (misp, modules, bus)");
  });

  it("says MISP is reachable but refuses the key (stand-in 403), and never prints the key", async () => {
    const peers = await startPeers();
    pumpHeartbeats(peers.publisher);
    const wrong = "wrongkey0000000000000000000000000000000z";
    const { code, stdout, stderr } = await runCli(["check", "--bus-timeout", "5"], { ...peers.env, MISP_KEY: wrong });
    expect(code).toBe(1);
    expect(checks(stdout).slice(1, 3)).toEqual([
      `✔ misp: reachable at ${peers.misp.url}`,
      "✘ misp key: refused: MISP refused GET /servers/getVersion (403): Authentication failed. Please make sure you pass the API key of an API enabled user along in the Authorization header. — fix: set misp.key (MISP_KEY, or misp.keyFile / MISP_KEY_FILE) to the API key of an enabled user with API access (MISP: Administration → List Auth Keys)",
    ]);
    expect(summary(stdout)).toBe("1 check failed (misp key)");
    expect(stdout + stderr).not.toContain(wrong);
  });

  it("fails when a subscriber's module is missing or refuses its types", async () => {
    const peers = await startPeers();
    pumpHeartbeats(peers.publisher);
    const config = writeConfig(
      tempDir(),
      "subscribers:\n  settings:\n    geolocation:\n      options: { module: geoip_city }\n    onion-lookup:\n      options: { module: onion_lookup_v9 }\n",
    );
    const { code, stdout } = await runCli(["check", "--config", config, "--bus-timeout", "5"], peers.env);
    expect(code).toBe(1);
    const lines = checks(stdout);
    expect(lines).toContain(
      "✘ subscriber geolocation: module geoip_city does not accept ip-src|port, ip-dst|port (it takes ip-src, ip-dst, domain|ip) — fix: narrow subscribers.settings.geolocation.options.types to what the module takes, or choose another module in subscribers.settings.geolocation.options.module",
    );
    expect(lines).toContain(
      "✘ subscriber onion-lookup: module onion_lookup_v9 is not offered by the module server — fix: install or enable onion_lookup_v9 in misp-modules, choose another module in subscribers.settings.onion-lookup.options.module, or disable the subscriber",
    );
    expect(summary(stdout)).toBe("2 checks failed (subscriber geolocation, subscriber onion-lookup), 1 warning");
  });

  it("fails on a modules.config key the module does not declare, and on a module the server does not offer", async () => {
    const peers = await startPeers();
    pumpHeartbeats(peers.publisher);
    const config = writeConfig(
      tempDir(),
      "modules:\n  config:\n    mmdb_lookup:\n      custom_api: http://127.0.0.1:1/\n      db_source_filter: geo-open\n    geoip_cty:\n      local_geolite_db: /var/lib/geoip/GeoLite2-City.mmdb\n",
    );
    const { code, stdout } = await runCli(["check", "--config", config, "--bus-timeout", "5"], peers.env);
    expect(code).toBe(1);
    expect(checks(stdout).filter((l) => l.includes("modules config"))).toEqual([
      "✘ modules config: modules.config.mmdb_lookup.custom_api is not a config key of mmdb_lookup; did you mean custom_API? (mmdb_lookup declares custom_API, db_source_filter, max_country_info_qt) — fix: rename or remove the key in modules.config.mmdb_lookup: the module never reads it and falls back to its default",
      "✘ modules config: modules.config.geoip_cty: the module server offers no module geoip_cty; did you mean geoip_city? — fix: use the module's name as `misp-enrichd modules` lists it, or remove the entry",
    ]);
    expect(summary(stdout)).toBe("2 checks failed (modules config), 1 warning");

    const good = writeConfig(tempDir(), "modules:\n  config:\n    mmdb_lookup:\n      custom_API: http://127.0.0.1:1/\n");
    const passing = await runCli(["check", "--config", good, "--bus-timeout", "5"], peers.env);
    expect(checks(passing.stdout)).toContain("✔ modules config: every key of mmdb_lookup is one the module declares");
    expect(passing.code).toBe(0);
  });

  it("warns, and says why, when modules.concurrency is more than one stock misp-modules takes; passes all the same", async () => {
    const peers = await startPeers();
    pumpHeartbeats(peers.publisher);
    const config = writeConfig(tempDir(), "modules:\n  concurrency: 64\n");
    const { code, stdout } = await runCli(["check", "--config", config, "--bus-timeout", "5"], peers.env);
    expect(checks(stdout)).toContain(
      `⚠ modules concurrency: modules.concurrency is 64, but ${peers.modules.url} answers as one misp-modules instance (Server: TornadoServer/6.6.1), whose pool has min(32, 5 × CPUs) threads (10 on 2 cores) and keeps a thread busy after a query times out: queries beyond its pool wait at the server and may time out — fix: keep modules.concurrency at 9 or less for one server, or put several misp-modules behind a load balancer and allow about 8 per instance (a host with more cores has up to 32 threads)`,
    );
    expect(code).toBe(0);
    const defaults = await runCli(["check", "--bus-timeout", "5"], peers.env);
    expect(checks(defaults.stdout).some((line) => line.includes("modules concurrency"))).toBe(false);
  });

  it("fails when the state folder cannot be created, where run stops with 78", async () => {
    const peers = await startPeers();
    pumpHeartbeats(peers.publisher);
    const file = join(tempDir(), "not-a-folder");
    writeFileSync(file, "");
    const env = { ...peers.env, STATE_DIRECTORY: join(file, "state") };
    const { code, stdout } = await runCli(["check", "--bus-timeout", "5"], env);
    expect(code).toBe(1);
    expect(checks(stdout)).toContain(`✘ state: ${file}/state cannot be created: ${file} is not a folder — fix: set state.dir (STATE_DIRECTORY) to a folder path`);
    expect(summary(stdout)).toBe("1 check failed (state), 1 warning");

    const run = await runCli(["run"], env);
    expect(run.code).toBe(78);
    expect(run.stderr).toMatch(/^misp-enrichd: cannot use state file .*not-a-folder\/state\//);
  });

  it("warns that a key outside MISP's host organisation gets global tags, and fails when tagLocality insists on local", async () => {
    const peers = await startPeers({ hostOrgId: 1, orgId: 2 });
    pumpHeartbeats(peers.publisher);
    const auto = await runCli(["check", "--bus-timeout", "5"], peers.env);
    expect(auto.code).toBe(0);
    expect(checks(auto.stdout)).toContain(
      "⚠ misp tags: Org 2 is not MISP's host organisation (MISP.host_org_id), the only one MISP lets attach local tags: the daemon will attach global tags instead (misp.tagLocality auto); they are synchronised with the event and need its creator organisation — fix: to keep tags local, use the key of a user of the host organisation",
    );
    expect(summary(auto.stdout)).toBe("all checks passed, 2 warnings");

    const config = writeConfig(tempDir(), "misp:\n  url: http://overridden.invalid\n  tagLocality: local\n");
    const local = await runCli(["check", "--config", config, "--bus-timeout", "5"], peers.env);
    expect(local.code).toBe(1);
    expect(checks(local.stdout)).toContain(
      "✘ misp tags: Org 2 is not MISP's host organisation (MISP.host_org_id), the only one MISP lets attach local tags, and misp.tagLocality is local: every tag the daemon attaches will be refused — fix: set misp.tagLocality to auto (global tags instead) or use the key of a host-organisation user",
    );
    expect(peers.misp.state.tags).toEqual([]);
    expect(peers.misp.state.attributeTags).toEqual([]);
  });

  it("fails when the key's role may not attach tags", async () => {
    const peers = await startPeers({ role: { name: "Read Only", permAdd: false, permModify: false, permModifyOrg: false, permTagger: false, permTagEditor: false } });
    pumpHeartbeats(peers.publisher);
    const { code, stdout } = await runCli(["check", "--bus-timeout", "5"], peers.env);
    expect(code).toBe(1);
    const lines = checks(stdout);
    expect(lines.filter((l) => l.startsWith("✘ misp role"))).toEqual([
      "✘ misp role: Read Only lacks perm_add: the daemon cannot write objects, attributes or references — fix: give the key's user a role with this permission (MISP: Administration → List Roles), or use another user's key",
      "✘ misp role: Read Only may modify no event (no perm_modify, perm_modify_org or site admin) — fix: give the key's user a role with this permission (MISP: Administration → List Roles), or use another user's key",
      "✘ misp role: Read Only lacks perm_tagger: the daemon cannot attach tags — fix: give the key's user a role with this permission (MISP: Administration → List Roles), or use another user's key",
    ]);
    expect(lines.find((l) => l.includes("misp tags"))).toMatch(/^⚠ misp tags: cannot tell whether ORGNAME is MISP's host organisation: MISP refused POST \/tags\/attachTagToObject \(403\): You do not have permission to use this functionality/);
  });

  it("fails the bus check when the publisher is up but sends no heartbeat", async () => {
    const peers = await startPeers();
    const { code, stdout } = await runCli(["check", "--bus-timeout", "0.5"], peers.env);
    expect(code).toBe(1);
    expect(checks(stdout).at(-1)).toBe(
      `✘ bus: zmq ${peers.publisher.url}: connected, but no message and no heartbeat within 0.5 s — fix: the timeout is not longer than MISP's 10 s heartbeat interval: try --bus-timeout 15; otherwise MISP sends misp_json_self every 10 s when idle: check that its ZeroMQ publisher runs (Server settings → Plugin.ZeroMQ_enable, Diagnostics → ZeroMQ) and the PLAIN credentials (bus.zmq.username/password)`,
    );
  });

  it("lists every config problem on its own line and exits 78 without reaching any peer", async () => {
    const config = writeConfig(tempDir(), "misp:\n  url: misp.example.org\nbus:\n  type: rabbitmq\n");
    const { code, stdout } = await runCli(["check", "--config", config], {});
    expect(code).toBe(78);
    expect(stdout.trimEnd().split("\n")).toEqual([
      '✘ config: misp.url must be a URL with scheme http or https, got the string "misp.example.org"',
      expect.stringMatching(/^✘ config: bus\.type .*zmq.*kafka/),
      "✘ config: misp.key is required (or misp.keyFile, MISP_KEY, MISP_KEY_FILE)",
      "peers not checked: fix the configuration first",
    ]);
  });
});
