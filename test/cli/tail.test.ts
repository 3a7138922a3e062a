import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it, onTestFinished, vi } from "vitest";
import { startZmqPublisher, type ZmqPublisher } from "@misp-enrichd/standins";
import { pumpHeartbeats, runCli, startCli, tempDir, waitForLine, type CliProcess } from "./cli.js";

const fixture = (name: string): Record<string, unknown> =>
  JSON.parse(readFileSync(new URL(`../fixtures/decode/zmq-${name}.json`, import.meta.url), "utf8")) as Record<string, unknown>;

const ATTRIBUTE = fixture("misp_json_attribute-add");
const HEARTBEAT = /^\d\d:\d\d:\d\d\.\d{3} misp_json_self +beat "I'm doing science and I'm still alive\." uptime 1 s$/;

async function publisher(): Promise<ZmqPublisher> {
  const pub = await startZmqPublisher();
  onTestFinished(() => pub.close());
  return pub;
}

/** Starts tail with only the bus configured (no MISP url or key) and waits until it prints heartbeats. */
async function liveTail(pub: ZmqPublisher, args: string[], env: Readonly<Record<string, string>> = {}): Promise<CliProcess> {
  const cli = startCli(["tail", ...args], { MISP_ZMQ_URL: pub.url, ...env });
  pumpHeartbeats(pub);
  await waitForLine(cli, /misp_json_self/);
  return cli;
}

async function stopped(cli: CliProcess): Promise<number | null> {
  cli.child.kill("SIGTERM");
  return cli.exited;
}

describe("misp-enrichd tail", () => {
  it("prints one line per message and exits 0 after --count, with no MISP url or key configured", async () => {
    const pub = await publisher();
    const cli = startCli(["tail", "--count", "2"], { MISP_ZMQ_URL: pub.url });
    pumpHeartbeats(pub);
    expect(await cli.exited).toBe(0);
    expect(cli.lines()).toHaveLength(2);
    for (const line of cli.lines()) expect(line).toMatch(HEARTBEAT);
    expect(cli.stderr()).toContain(`misp-enrichd tail: zmq ${pub.url} (all topics)`);
  });

  it("shows time, topic, action and what each message is about, and a rejected frame as one line", async () => {
    const pub = await publisher();
    const cli = await liveTail(pub, []);
    await pub.publish("misp_json_attribute", ATTRIBUTE);
    await pub.publish("misp_json_tag", fixture("misp_json_tag-attached_to_attribute"));
    await pub.publish("misp_json_object", fixture("misp_json_object-add"));
    await pub.publish("misp_json_object_reference", fixture("misp_json_object_reference-add"));
    await pub.publish("misp_json_sighting", fixture("misp_json_sighting-add"));
    await pub.publishRaw("misp_json_attribute {not json");
    await waitForLine(cli, /✘ ENRICHD_FRAME_MALFORMED/);
    expect(await stopped(cli)).toBe(0);

    const lines = cli.lines().filter((l) => !HEARTBEAT.test(l)).map((l) => l.slice(13));
    expect(lines).toEqual([
      'misp_json_attribute         add ip-dst "198.51.100.23" attribute 3c1e9a2b-7d4f-4e8a-b6c5-0f1e2d3c4b5a event 7d9e3c4b-1f2a-4b8c-9e6d-5a4f3b2c1d0e "OSINT – phishing infrastructure, October 2024"',
      'misp_json_tag               attached-to-attribute tag "misp-enrichd:geolocation" on attribute id 1337',
      "misp_json_object            add object geolocation 9b2f4c6e-8a1d-5f3b-9c7e-2d4a6b8c0e1f (event id 42)",
      "misp_json_object_reference  add reference 9b2f4c6e-8a1d-5f3b-9c7e-2d4a6b8c0e1f related-to → attribute 3c1e9a2b-7d4f-4e8a-b6c5-0f1e2d3c4b5a (event id 42)",
      'misp_json_sighting          add sighting of ip-dst "198.51.100.23" attribute 3c1e9a2b-7d4f-4e8a-b6c5-0f1e2d3c4b5a source "proxy-logs"',
      "misp_json_attribute         ✘ ENRICHD_FRAME_MALFORMED: payload on misp_json_attribute is not JSON",
    ]);
  });

  it("--topic keeps only the kinds asked for, by kind or by ZeroMQ topic name", async () => {
    const pub = await publisher();
    const cli = await liveTail(pub, ["--topic", "misp_json_tag", "--topic", "heartbeat"]);
    await pub.publish("misp_json_attribute", ATTRIBUTE);
    await pub.publish("misp_json_tag", fixture("misp_json_tag-attached_to_attribute"));
    await waitForLine(cli, /misp_json_tag/);
    expect(await stopped(cli)).toBe(0);
    expect(cli.stdout()).not.toContain("misp_json_attribute");
    expect(cli.stderr()).toContain("(tag, heartbeat)");
  });

  it("--json prints each raw frame as one `topic json` line", async () => {
    const pub = await publisher();
    const cli = await liveTail(pub, ["--json", "--url", pub.url]);
    await pub.publish("misp_json_attribute", ATTRIBUTE);
    await waitForLine(cli, /^misp_json_attribute /);
    expect(await stopped(cli)).toBe(0);
    const line = cli.lines().find((l) => l.startsWith("misp_json_attribute "));
    expect(JSON.parse(line?.slice("misp_json_attribute ".length) ?? "")).toEqual(ATTRIBUTE);
  });

  it("--explain says which subscribers would act, why the others skip, and spots the daemon's echoes", async () => {
    const pub = await publisher();
    const cli = await liveTail(pub, ["--explain", "--topic", "attribute", "--topic", "heartbeat", "--topic", "misp_json_tag"]);
    const echo = structuredClone(ATTRIBUTE) as { Attribute: Record<string, unknown> };
    echo.Attribute.uuid = "11111111-2222-4333-8444-555555555555";
    echo.Attribute.comment = "misp-enrichd: geolocation of 198.51.100.23";
    await pub.publish("misp_json_attribute", ATTRIBUTE);
    await pub.publish("misp_json_attribute", echo);
    await pub.publish("misp_json_tag", fixture("misp_json_tag-attached_to_attribute"));
    await waitForLine(cli, /misp_json_tag/);
    await vi.waitFor(() => expect(cli.stdout()).toMatch(/misp_json_tag.*\n.*no subscriber queries "tag"/));
    expect(await stopped(cli)).toBe(0);

    const out = cli.stdout();
    expect(out).toContain(
      [
        "add ip-dst \"198.51.100.23\" attribute 3c1e9a2b-7d4f-4e8a-b6c5-0f1e2d3c4b5a event 7d9e3c4b-1f2a-4b8c-9e6d-5a4f3b2c1d0e \"OSINT – phishing infrastructure, October 2024\"",
        "    ✔ geolocation on[0]: would run",
        "    ✘ onion-lookup on[0]: type ip-dst not in onion-address",
      ].join("\n"),
    );
    expect(out).toContain(
      [
        "    ⟲ echo of the daemon's own write (attribute carries the misp-enrichd comment marker): ignored before routing",
        "    ✘ geolocation on[0]: would match, but the message is an echo",
        "    ✘ onion-lookup on[0]: type ip-dst not in onion-address",
      ].join("\n"),
    );
    expect(out).toContain("    · no subscriber queries \"tag\": the daemon does not subscribe to misp_json_tag and never reads it");
    expect(out).toContain("    · heartbeat: the daemon only notes that the bus is alive");
  });

  it("--explain judges the rules too, without needing the secrets their webhooks send", async () => {
    const pub = await publisher();
    const config = join(tempDir(), "config.yaml");
    writeFileSync(
      config,
      "rules:\n  - name: alert\n    on: tag:attached-to-attribute\n    where: { tags: { any: ['tlp:red'] } }\n    do: [ { webhook: { url: 'https://chat.example/hook', headers: { Authorization: 'Token {{ env.CHAT_TOKEN }}' } } } ]\n",
    );
    const cli = await liveTail(pub, ["--config", config, "--explain", "--topic", "misp_json_tag", "--topic", "heartbeat"]);
    await pub.publish("misp_json_tag", fixture("misp_json_tag-attached_to_attribute"));
    await vi.waitFor(() => expect(cli.stdout()).toMatch(/alert on\[0\]/));
    expect(await stopped(cli)).toBe(0);
    expect(cli.stdout()).toContain("    ✘ alert on[0]: tags misp-enrichd:geolocation match none of tlp:red");
  });

  it("--explain knows the uuids the daemon wrote from its ledger, and leaves the ledger as it found it", async () => {
    const pub = await publisher();
    const stateDir = tempDir();
    const ledger = join(stateDir, "own-uuids.jsonl");
    const uuid = (ATTRIBUTE.Attribute as { uuid: string }).uuid;
    // An expired entry too: a writer would compact it away.
    const recorded = `${JSON.stringify({ v: "expired", e: 1 })}\n${JSON.stringify({ v: uuid, e: Date.now() + 3_600_000 })}\n`;
    writeFileSync(ledger, recorded);
    const cli = await liveTail(pub, ["--explain", "--topic", "attribute", "--topic", "heartbeat"], { STATE_DIRECTORY: stateDir });
    await pub.publish("misp_json_attribute", ATTRIBUTE);
    await waitForLine(cli, /⟲ echo/);
    expect(await stopped(cli)).toBe(0);
    expect(cli.stdout()).toContain("    ⟲ echo of the daemon's own write (attribute uuid written by misp-enrichd): ignored before routing");
    expect(readFileSync(ledger, "utf8")).toBe(recorded);
  });

  it("refuses an unknown --topic with exit 78 and the permitted values", async () => {
    const { code, stderr, stdout } = await runCli(["tail", "--topic", "attributes"], { MISP_ZMQ_URL: "tcp://127.0.0.1:9" });
    expect(code).toBe(78);
    expect(stdout).toBe("");
    expect(stderr).toMatch(/^misp-enrichd: --topic attributes: unknown\. Permitted are the kinds attribute, object, object-reference, tag, /);
  });
});
