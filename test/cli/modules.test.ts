import { describe, expect, inject, it } from "vitest";
import { closedPort, runCli, startPeers, tempDir, writeConfig } from "./cli.js";

const real = inject("mispModules");

describe("misp-enrichd modules", () => {
  it("lists the server's modules with format, input types and the subscribers that use them", async () => {
    const peers = await startPeers();
    // Only the module server is needed: no MISP url or key.
    const { code, stdout } = await runCli(["modules"], { MISP_MODULES_URL: peers.modules.url });
    expect(code).toBe(0);
    expect(stdout).toBe(
      [
        `module server ${peers.modules.url}: 5 modules`,
        "",
        "NAME           TYPE       FORMAT         USED BY       INPUT TYPES",
        "dns            expansion  legacy         -             hostname, domain, domain|ip",
        "geoip_city     expansion  misp_standard  -             ip-src, ip-dst, domain|ip",
        "geoip_country  expansion  misp_standard  -             ip-src, ip-dst, domain|ip",
        "mmdb_lookup    expansion  misp_standard  geolocation   ip-src, ip-src|port, ip-dst, ip-dst|port",
        "onion_lookup   expansion  misp_standard  onion-lookup  onion-address",
        "",
      ].join("\n"),
    );
  });

  it("--json gives the same facts, marks refused types and names a missing module", async () => {
    const peers = await startPeers();
    const config = writeConfig(tempDir(), "subscribers:\n  settings:\n    geolocation:\n      options: { module: geoip_city }\n    onion-lookup:\n      options: { module: onion_lookup_v9 }\n");
    const { code, stdout } = await runCli(["modules", "--json", "--config", config], { MISP_MODULES_URL: peers.modules.url });
    expect(code).toBe(0);
    const out = JSON.parse(stdout) as { url: string; modules: { name: string; usedBy: string[]; inputTypes: string[]; format: string }[]; needs: { subscriber: string; module: string; offered: boolean; refused: string[] }[] };
    expect(out.url).toBe(peers.modules.url);
    expect(out.modules.find((m) => m.name === "geoip_city")).toEqual({
      name: "geoip_city",
      type: "expansion",
      format: "misp_standard",
      inputTypes: ["ip-src", "ip-dst", "domain|ip"],
      usedBy: ["geolocation (not ip-src|port, ip-dst|port)"],
    });
    expect(out.needs.map((n) => [n.subscriber, n.module, n.offered, n.refused])).toEqual([
      ["geolocation", "geoip_city", true, ["ip-src|port", "ip-dst|port"]],
      ["onion-lookup", "onion_lookup_v9", false, ["onion-address"]],
    ]);
  });

  it("exits 1 with a fix when the module server cannot be reached", async () => {
    const port = await closedPort();
    const { code, stdout, stderr } = await runCli(["modules"], { MISP_MODULES_URL: `http://127.0.0.1:${port}` });
    expect(code).toBe(1);
    expect(stdout).toBe("");
    expect(stderr).toBe(
      `misp-enrichd modules: ✘ module server http://127.0.0.1:${port} not usable: GET /modules failed: connect ECONNREFUSED 127.0.0.1:${port}\n` +
        "  fix: start misp-modules (misp-modules -l 127.0.0.1) or set modules.url / MISP_MODULES_URL\n",
    );
  });

  // Skipped only with MISP_ENRICHD_SKIP_REAL_MODULES=1 (a quick local run); CI always has the server.
  it.skipIf(real === undefined)("lists the real misp-modules server, our onion_lookup override included", async () => {
    const { code, stdout } = await runCli(["modules", "--type", "expansion", "--json"], { MISP_MODULES_URL: real?.url ?? "" });
    expect(code).toBe(0);
    const out = JSON.parse(stdout) as { modules: { name: string; type: string; usedBy: string[]; inputTypes: string[] }[] };
    expect(out.modules.length).toBeGreaterThan(50);
    expect(out.modules.every((m) => m.type === "expansion")).toBe(true);
    expect(out.modules.find((m) => m.name === "onion_lookup")).toMatchObject({ inputTypes: ["onion-address"], usedBy: ["onion-lookup"] });
    expect(out.modules.find((m) => m.name === "mmdb_lookup")?.usedBy).toEqual(["geolocation"]);
  });
});
