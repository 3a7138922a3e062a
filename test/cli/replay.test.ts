import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { pumpHeartbeats, runCli, startCli, startPeers, tempDir, waitForLine, type Peers } from "./cli.js";

const GEOLOCATION_TEMPLATE = "cd6f2238-ba55-4888-82c4-104e6e1acf21";

/** An analyst's ip-dst in the stand-in, and its `misp_json_attribute add` frame as tail --json records it. */
function recorded(peers: Peers): { frame: string; eventUuid: string; attributeUuid: string } {
  const event = peers.misp.seedEvent({ info: "replayed" });
  const source = peers.misp.seedAttribute(event.uuid, { type: "ip-dst", value: "8.8.8.8" });
  return { frame: `${source.message.topic} ${JSON.stringify(source.message.payload)}`, eventUuid: event.uuid, attributeUuid: source.uuid };
}

function file(lines: readonly string[]): string {
  const path = join(tempDir(), "frames.txt");
  writeFileSync(path, lines.join("\n") + "\n");
  return path;
}

describe("misp-enrichd replay", () => {
  it("--dry-run runs the pipeline, writes nothing, prints the summary and the REST calls it would make", async () => {
    const peers = await startPeers();
    const { frame, eventUuid, attributeUuid } = recorded(peers);
    const path = file(['misp_json_self {"status":"alive","uptime":9}', frame, "#    ✔ geolocation on[0]: would run", "misp_json_attribute {not json"]);
    const { code, stdout, stderr } = await runCli(["replay", path, "--dry-run"], peers.env);

    expect(code).toBe(0);
    const [head, calls] = stdout.split("would call:\n");
    expect(head).toBe(
      [
        `replayed ${path}: 3 frames`,
        "  messages  2 decoded (1 heartbeat), 1 rejected (ENRICHD_FRAME_MALFORMED 1), 0 dropped unread",
        "  echoes    0 ignored (the daemon's own writes)",
        "  handled   1 (geolocation 1)",
        "  skipped   0",
        "  written   nothing (dry run); would call 2 (objects/add 1, objectReferences/add 1)",
        "  errors    1 frame rejected, 0 spooled for a later retry, 0 dead-lettered",
        "",
      ].join("\n"),
    );
    const [objectCall, referenceCall] = (calls ?? "").trimEnd().split("\n");
    expect(objectCall).toMatch(new RegExp(`^  POST /objects/add/${eventUuid}/${GEOLOCATION_TEMPLATE} \\{"Object":\\{"name":"geolocation",`));
    expect(referenceCall).toMatch(new RegExp(`^  POST /objectReferences/add/[0-9a-f-]{36} \\{"referenced_uuid":"${attributeUuid}","relationship_type":"related-to"\\}$`));
    // Nothing written, nothing kept: the state went to a throwaway folder.
    expect(peers.misp.calls.filter((c) => c.method === "POST")).toEqual([]);
    expect(readdirSync(peers.stateDir)).toEqual([]);
    // The same calls are logged (JSON on stderr) with method, path and body, and the key nowhere.
    const logged = stderr.split("\n").filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.msg === "would call");
    expect(logged.map((l) => [l.method, l.path])).toEqual([
      ["POST", `/objects/add/${eventUuid}/${GEOLOCATION_TEMPLATE}`],
      ["POST", expect.stringMatching(/^\/objectReferences\/add\//)],
    ]);
    expect(logged[0]?.body).toMatchObject({ Object: { name: "geolocation", Attribute: expect.arrayContaining([expect.objectContaining({ object_relation: "countrycode", value: "US" })]) } });
    expect(stdout + stderr).not.toContain(peers.env.MISP_KEY);
  });

  it("writes through MISP without --dry-run and counts what it wrote", async () => {
    const peers = await startPeers();
    const { frame } = recorded(peers);
    const { code, stdout } = await runCli(["replay", file([frame]), "--log-level", "warn"], peers.env);
    expect(code).toBe(0);
    expect(stdout).toContain("  handled   1 (geolocation 1)\n");
    expect(stdout).toContain("  written   1 object created, 0 already there; objectReferences/add 1\n");
    expect(peers.misp.state.objects.map((o) => o.name)).toEqual(["geolocation"]);
    // A real replay keeps its state where the daemon keeps it, so the daemon knows these writes as its own.
    expect(readFileSync(join(peers.stateDir, "own-uuids.jsonl"), "utf8")).toContain(peers.misp.state.objects[0]?.uuid);
  });

  it("exits 1 when work is dead-lettered (an event MISP does not have)", async () => {
    const peers = await startPeers();
    const { frame, eventUuid } = recorded(peers);
    const orphan = frame.replace(eventUuid, "0d0e0a0d-0000-4000-8000-000000000000");
    const { code, stdout } = await runCli(["replay", file([orphan]), "--log-level", "silent"], peers.env);
    expect(code).toBe(1);
    expect(stdout).toContain("  errors    0 frames rejected, 0 spooled for a later retry, 1 dead-lettered\n");
    expect(readdirSync(join(peers.stateDir, "dead-letters")).filter((name) => name.endsWith(".json"))).toHaveLength(1);
  });

  it("replays what `tail --json --explain` recorded", async () => {
    const peers = await startPeers();
    const { frame } = recorded(peers);
    const tail = startCli(["tail", "--json", "--explain", "--topic", "attribute"], { MISP_ZMQ_URL: peers.publisher.url });
    pumpHeartbeats(peers.publisher);
    const [topic, ...json] = frame.split(" ");
    // The slow joiner: publish until tail has printed the frame once.
    const timer = setInterval(() => void peers.publisher.publish(topic ?? "", JSON.parse(json.join(" ")) as object), 100);
    await waitForLine(tail, /^#    ✔ geolocation on\[0\]: would run$/);
    clearInterval(timer);
    tail.child.kill("SIGTERM");
    expect(await tail.exited).toBe(0);

    const { code, stdout } = await runCli(["replay", file([tail.stdout()]), "--dry-run", "--log-level", "silent"], peers.env);
    expect(code).toBe(0);
    expect(stdout).toMatch(/\n  handled   (\d+) \(geolocation \1\)\n/);
    expect(stdout).toMatch(/\n  messages  (\d+) decoded, 0 rejected, 0 dropped unread\n/);
  });

  it("says so and exits 1 when the file does not exist", async () => {
    const path = join(tempDir(), "nothing.txt");
    const { code, stderr } = await runCli(["replay", path], {});
    expect(code).toBe(1);
    expect(stderr).toBe(`misp-enrichd: replay file ${path} does not exist\n`);
  });
});
