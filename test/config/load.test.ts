import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { collectSecrets, loadConfig } from "../../src/config/load.js";
import { isEnrichdError } from "../../src/errors.js";

const KEY = "a".repeat(40);

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function tempFile(name: string, text: string): string {
  const dir = mkdtempSync(join(tmpdir(), "enrichd-config-"));
  dirs.push(dir);
  const path = join(dir, name);
  // 0600 as an operator would: a file holding a key and readable by every user is refused.
  writeFileSync(path, text, { mode: 0o600 });
  return path;
}

function loadError(fn: () => unknown): Error {
  try {
    fn();
  } catch (error) {
    return error as Error;
  }
  throw new Error("expected the config to be rejected");
}

describe("loadConfig", () => {
  it("runs from environment variables alone when the default file is absent", () => {
    const config = loadConfig({
      path: undefined,
      env: { MISP_URL: "https://misp.test", MISP_KEY: KEY, MISP_ZMQ_URL: "tcp://10.0.0.5:50000", MISP_MODULES_URL: "http://127.0.0.1:6667" },
    });
    expect(config.misp.url).toBe("https://misp.test");
    expect(config.misp.key).toBe(KEY);
    expect(config.bus.type).toBe("zmq");
    expect(config.bus.zmq.url).toBe("tcp://10.0.0.5:50000");
    expect(config.modules.url).toBe("http://127.0.0.1:6667");
    expect(config.misp.verifyTls).toBe(true);
    expect(Object.isFrozen(config.misp)).toBe(true);
  });

  it("reads the key from MISP_KEY_FILE and takes the first systemd STATE_DIRECTORY", () => {
    const keyFile = tempFile("key", `${KEY}\n`);
    const config = loadConfig({ env: { MISP_URL: "https://misp.test", MISP_KEY_FILE: keyFile, STATE_DIRECTORY: "/var/lib/a:/var/lib/b" } });
    expect(config.misp.key).toBe(KEY);
    expect(config.state.dir).toBe("/var/lib/a");
  });

  it("lets the environment override the file", () => {
    const path = tempFile("c.yaml", `misp:\n  url: https://file.test\n  key: ${KEY}\nmodules:\n  url: http://127.0.0.1:1\n`);
    const config = loadConfig({ path, env: { MISP_MODULES_URL: "http://127.0.0.1:2" } });
    expect(config.misp.url).toBe("https://file.test");
    expect(config.modules.url).toBe("http://127.0.0.1:2");
  });

  it("switches to Kafka when MISP_KAFKA_BROKERS is set and the file chose no bus", () => {
    const config = loadConfig({ env: { MISP_URL: "https://m.test", MISP_KEY: KEY, MISP_KAFKA_BROKERS: "127.0.0.1:9092, 127.0.0.1:9093", MISP_KAFKA_GROUP: "g1" } });
    expect(config.bus.type).toBe("kafka");
    expect(config.bus.kafka?.brokers).toEqual(["127.0.0.1:9092", "127.0.0.1:9093"]);
    expect(config.bus.kafka?.groupId).toBe("g1");
  });

  it("names the missing key in one line", () => {
    const error = loadError(() => loadConfig({ env: { MISP_KEY: KEY } }));
    expect(isEnrichdError(error) && error.code).toBe("ENRICHD_CONFIG_INVALID");
    expect(error.message).toBe("invalid configuration: misp.url is required");
    expect(error.message).not.toContain("\n");
  });

  it("lists every problem with its key and what is permitted", () => {
    const path = tempFile(
      "bad.yaml",
      `misp:\n  url: ftp://misp.test\n  tagLocality: sometimes\nbus:\n  zmq:\n    url: http://x\nmodules:\n  concurrency: 2000\n  colour: blue\n`,
    );
    const error = loadError(() => loadConfig({ path, env: {} }));
    const message = error.message;
    expect(message).toContain("misp.url must be a URL with scheme http or https");
    expect(message).toMatch(/misp\.tagLocality .*"auto"\|"local"\|"global"|misp\.tagLocality .*auto.*local.*global/);
    expect(message).toContain("bus.zmq.url must be a URL with scheme tcp or ipc");
    expect(message).toMatch(/modules\.concurrency .*1024/);
    expect(message).toMatch(/colour/);
    expect(message).toContain("misp.key is required");
    expect(message).not.toContain("\n");
  });

  it("says what each wrongly typed value should be and what it is", () => {
    const path = tempFile("types.yaml", `misp:\n  url: 5\n  key: ${KEY}\n  timeoutMs: "15000"\n  verifyTls: "no"\n  distribution: 1.5\nbus:\n  zmq: tcp://127.0.0.1:50000\n`);
    const error = loadError(() => loadConfig({ path, env: {} }));
    expect(isEnrichdError(error) && error.details.problems).toEqual([
      "misp.url must be a string, got the number 5",
      "misp.verifyTls must be true or false, got the string \"no\"",
      "misp.timeoutMs must be a number, got the string \"15000\"",
      "misp.distribution must be a whole number, got the number 1.5",
      "bus.zmq must be a mapping, got the string \"tcp://127.0.0.1:50000\"",
    ]);
    expect(error.message).toBe(`invalid configuration: ${(isEnrichdError(error) ? (error.details.problems as string[]) : []).join("; ")}`);
  });

  it("names the permitted values and the value given for enums, bounds and formats", () => {
    const path = tempFile("values.yaml", `misp:\n  url: https://m.test\n  key: ${KEY}\n  tagLocality: sometimes\n  commentPrefix: ""\npipeline:\n  concurrency: 0\nbus:\n  kafka:\n    brokers: []\n    ssl: "yes"\nmetrics:\n  listen: localhost\n`);
    const problems = (loadError(() => loadConfig({ path, env: {} })) as { details?: { problems?: string[] } }).details?.problems;
    expect(problems).toEqual([
      "misp.tagLocality must be auto, local or global, got the string \"sometimes\"",
      "misp.commentPrefix must not be empty",
      "bus.kafka.brokers must list at least 1 item",
      "bus.kafka.ssl must be true or false or a mapping, got the string \"yes\"",
      "pipeline.concurrency must be greater than 0, got the number 0",
      "metrics.listen must be host:port, got the string \"localhost\"",
    ]);
  });

  it("never shows the value of a secret key, only its type", () => {
    const path = tempFile(
      "secrets.yaml",
      "misp:\n  url: https://m.test\n  key: 913572468\nbus:\n  zmq:\n    username: u\n    password: 864213579\n  kafka:\n    brokers: [k:9092]\n    sasl: { mechanism: plain, username: 531, password: 246813579 }\n",
    );
    const error = loadError(() => loadConfig({ path, env: {} }));
    expect(isEnrichdError(error) && error.details.problems).toEqual([
      "misp.key must be a string, got a number",
      "bus.zmq.password must be a string, got a number",
      "bus.kafka.sasl.username must be a string, got a number",
      "bus.kafka.sasl.password must be a string, got a number",
    ]);
    for (const secret of ["913572468", "864213579", "531", "246813579"]) expect(JSON.stringify(error) + error.message).not.toContain(secret);
  });

  it("suggests the nearest key for an unknown one, or lists the permitted keys", () => {
    const path = tempFile(
      "unknown.yaml",
      `misp:\n  url: https://m.test\n  key: ${KEY}\n  verfyTls: false\n  TimeoutMS: 5\nbus:\n  kafka:\n    brokers: [k:9092]\n    ssl: { cafile: /etc/ca.pem }\nsubscribers:\n  settings:\n    geolocation: { enable: false }\ncolour: blue\n`,
    );
    const error = loadError(() => loadConfig({ path, env: {} }));
    expect(isEnrichdError(error) && error.details.problems).toEqual([
      "misp.verfyTls is not a key of misp; did you mean verifyTls?",
      "misp.TimeoutMS is not a key of misp; did you mean timeoutMs?",
      "bus.kafka.ssl.cafile is not a key of bus.kafka.ssl; did you mean caFile?",
      "subscribers.settings.geolocation.enable is not a key of subscribers.settings.geolocation; did you mean enabled?",
      "colour is not a key of the configuration; permitted: misp, bus, modules, pipeline, backfill, subscribers, breaker, state, log, metrics, rules, dryRun",
    ]);
  });

  it("fails clearly on a config file that does not exist when given explicitly", () => {
    const error = loadError(() => loadConfig({ path: "/nonexistent/enrichd.yaml", env: {} }));
    expect(error.message).toMatch(/^invalid configuration: cannot read config file \/nonexistent\/enrichd\.yaml/);
  });

  it("fails clearly on YAML that does not parse", () => {
    const path = tempFile("broken.yaml", "misp: [unclosed\n");
    expect(loadError(() => loadConfig({ path, env: {} })).message).toMatch(/is not valid YAML/);
  });

  it("refuses a ZeroMQ username without a password", () => {
    const error = loadError(() => loadConfig({ env: { MISP_URL: "https://m.test", MISP_KEY: KEY, MISP_ZMQ_USERNAME: "u" } }));
    expect(error.message).toContain("bus.zmq.password username and password go together");
  });

  it("collects every secret for the logger to scrub", () => {
    const path = tempFile(
      "s.yaml",
      `misp:\n  url: https://m.test\n  key: ${KEY}\nbus:\n  zmq:\n    username: u\n    password: zmq-secret-1\nmodules:\n  config:\n    virustotal:\n      apikey: vt-secret-2\n      event_limit: "5"\n`,
    );
    const secrets = collectSecrets(loadConfig({ path, env: {} }));
    expect(secrets).toEqual(expect.arrayContaining([KEY, "zmq-secret-1", "vt-secret-2"]));
    expect(secrets).not.toContain("5");
  });
});
