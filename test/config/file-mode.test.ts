import { chmodSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it, onTestFinished } from "vitest";
import { secretPaths } from "../../src/config/file-mode.js";
import { loadConfig } from "../../src/config/load.js";
import { isEnrichdError } from "../../src/errors.js";

const KEY = "k3yk3yk3yk3yk3yk3yk3yk3yk3yk3yk3yk3yk3y0";

function file(text: string, mode: number): string {
  const dir = mkdtempSync(join(tmpdir(), "enrichd-mode-"));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, "config.yaml");
  writeFileSync(path, text);
  chmodSync(path, mode);
  return path;
}

const failure = (load: () => unknown): string => {
  try {
    load();
  } catch (error) {
    if (isEnrichdError(error) && error.code === "ENRICHD_CONFIG_INVALID") return error.message;
    throw error;
  }
  throw new Error("loaded");
};

describe("a config file holding a secret", () => {
  it("is refused when every user may read it, in one line naming the file, its mode, its owner and the fix", () => {
    const path = file(`misp:\n  url: https://misp.test\n  key: ${KEY}\n`, 0o644);
    const st = statSync(path);
    const message = failure(() => loadConfig({ path, env: {} }));
    expect(message).toMatch(
      new RegExp(`^invalid configuration: config file ${path} holds misp\\.key and every user can read it \\(mode 0644, owner \\S+:\\S+\\): chmod o-rwx ${path} \\(README installs it 0640 root:misp-enrichd\\), or move the secret to misp\\.keyFile or the environment$`),
    );
    expect(message).not.toContain(KEY);
    expect(message.split("\n")).toHaveLength(1);
    expect(message).toContain(st.uid === 0 ? "owner root:" : "owner ");
  });

  it("is accepted group-readable (0640) or private (0600)", () => {
    for (const mode of [0o640, 0o600]) {
      expect(loadConfig({ path: file(`misp:\n  url: https://misp.test\n  key: ${KEY}\n`, mode), env: {} }).misp.key).toBe(KEY);
    }
  });

  it("is judged on what the file holds: a world-readable file naming a key file, with the key in the environment, is fine", () => {
    const path = file("misp:\n  url: https://misp.test\n  keyFile: /etc/misp-enrichd/misp.key\n", 0o644);
    expect(loadConfig({ path, env: { MISP_KEY: KEY } }).misp.key).toBe(KEY);
  });

  it("names every secret it holds: passwords and modules' API keys too", () => {
    const doc = {
      misp: { url: "https://m.test", keyFile: "/k" },
      bus: { zmq: { password: "p" }, kafka: { sasl: { password: "s" } } },
      modules: { config: { virustotal: { apikey: "v", event_limit: "5" }, mmdb_lookup: { custom_API: "https://ip.circl.lu/" } } },
    };
    expect(secretPaths(doc)).toEqual(["bus.zmq.password", "bus.kafka.sasl.password", "modules.config.virustotal.apikey"]);
    const path = file("misp:\n  url: https://misp.test\nmodules:\n  config:\n    virustotal:\n      apikey: vt-secret\n", 0o604);
    expect(failure(() => loadConfig({ path, env: { MISP_KEY: KEY } }))).toContain("holds modules.config.virustotal.apikey and every user can read it (mode 0604");
  });
});
