// What runs concurrently and what waits, end to end on a real ZeroMQ socket: independent attributes of
// one event overlap (bounded by modules.concurrency), messages about one attribute keep their order,
// and a subscriber that asks for whole-event order gets it. No timing: the tests hold handlers and
// module queries open and look at what else started meanwhile.

import { createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from "node:http";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it, onTestFinished, vi } from "vitest";
import { listenOnLoopback, startModulesStandin } from "@misp-enrichd/standins";
import type { MispMessage } from "../../src/decode/types.js";
import { installProbe } from "../fixtures/subscribers/_probe.js";
import { startHarness, type Harness } from "../support/harness.js";
import { tagAttached } from "../support/tag-message.js";

const PROBES = fileURLToPath(new URL("../fixtures/subscribers/", import.meta.url));
const ONLY_PROBE = (probe: string): Record<string, unknown> => ({
  "subscribers.paths": [PROBES],
  "subscribers.settings": { geolocation: { enabled: false }, "onion-lookup": { enabled: false }, [probe]: { enabled: true } },
});

/** `add:<attribute id>` or `tag:<attribute id>`. */
function label(message: MispMessage): string {
  if (message.kind === "attribute") return `add:${message.attribute.id}`;
  if (message.kind === "tag") return `tag:${message.tag.attributeId ?? "?"}`;
  return message.kind;
}

interface ProbeLog {
  readonly log: string[];
  readonly running: Set<string>;
  /** Runs with this label wait until `release(label)`. */
  hold(label: string): void;
  release(label: string): void;
}

let releaseProbes: (() => void) | undefined;

/** Records handler starts and ends; a run whose label is held waits until released. */
function startProbe(): ProbeLog {
  const log: string[] = [];
  const running = new Set<string>();
  const gates = new Map<string, () => void>();
  const waits = new Map<string, Promise<void>>();
  installProbe(async (_subscriber, message) => {
    const name = label(message);
    log.push(`start ${name}`);
    running.add(name);
    await waits.get(name);
    running.delete(name);
    log.push(`end ${name}`);
  });
  // Before the harness stops (afterEach), or its drain would wait for held handlers forever.
  releaseProbes = () => {
    for (const open of gates.values()) open();
    installProbe(undefined);
  };
  return {
    log,
    running,
    hold: (name) => waits.set(name, new Promise<void>((resolve) => gates.set(name, resolve))),
    release: (name) => gates.get(name)?.(),
  };
}

/** A module server that holds every /query until released, counting those open at once. */
async function startHeldModules(): Promise<{ url: string; open(): number; maxOpen(): number; release(): void }> {
  const standin = await startModulesStandin();
  let holding = true;
  let open = 0;
  let maxOpen = 0;
  const held: (() => void)[] = [];
  const forward = (req: IncomingMessage, res: ServerResponse, body: Buffer): void => {
    const target = new URL(standin.url);
    const upstream = httpRequest({ hostname: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    upstream.end(body);
  };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const body = Buffer.concat(chunks);
      if (req.url !== "/query" || !holding) return forward(req, res, body);
      open++;
      maxOpen = Math.max(maxOpen, open);
      res.on("finish", () => open--);
      held.push(() => forward(req, res, body));
    });
  });
  const listening = await listenOnLoopback(server);
  onTestFinished(async () => {
    await listening.close();
    await standin.close();
  });
  return {
    url: listening.url,
    open: () => open,
    maxOpen: () => maxOpen,
    release() {
      holding = false;
      for (const go of held.splice(0)) go();
    },
  };
}

/** A turn of the event loop for every stage between the socket and a handler: no timed wait. */
async function turns(count: number): Promise<void> {
  for (let i = 0; i < count; i++) await new Promise((resolve) => setImmediate(resolve));
}

describe("ordering and concurrency end to end", () => {
  let h: Harness | undefined;
  afterEach(async () => {
    releaseProbes?.();
    releaseProbes = undefined;
    await h?.stop();
    h = undefined;
  });

  it("enriches the attributes of one event concurrently, never more than modules.concurrency at once", async () => {
    const modules = await startHeldModules();
    h = await startHarness({ modulesUrl: modules.url, overrides: { "modules.concurrency": 12, "pipeline.concurrency": 32 } });
    const event = h.misp.seedEvent({ info: "one feed import" });
    for (let i = 1; i <= 30; i++) {
      const attribute = h.misp.seedAttribute(event.uuid, { type: "ip-dst", value: `203.0.113.${i}` });
      await h.publish(attribute.message.topic, attribute.message.payload);
    }
    // Thirty handlers of one event are running: twelve queries are open at the module server.
    await vi.waitFor(() => expect(modules.open()).toBe(12), { timeout: 10_000 });
    await turns(20);
    expect(modules.maxOpen()).toBe(12);
    modules.release();
    await h.settle();
    expect(h.misp.state.objects).toHaveLength(30);
    expect(h.counter("misp_enrichd_handler_runs_total", { subscriber: "geolocation", outcome: "done" })).toBe(30);
  });

  it("runs an attribute's tag attach after its add, while another attribute of the event goes ahead", async () => {
    const probe = startProbe();
    h = await startHarness({ overrides: ONLY_PROBE("order-probe") });
    const event = h.misp.seedEvent();
    const first = h.misp.seedAttribute(event.uuid, { type: "ip-dst", value: "198.51.100.1" });
    const second = h.misp.seedAttribute(event.uuid, { type: "ip-dst", value: "198.51.100.2" });
    const [a1, a2] = [first.id, second.id];
    probe.hold(`add:${a1}`);

    await h.publish(first.message.topic, first.message.payload);
    await h.publish("misp_json_tag", tagAttached("tlp:amber", first.id, event.id));
    await h.publish(second.message.topic, second.message.payload);
    await h.publish("misp_json_tag", tagAttached("tlp:amber", second.id, event.id));
    // The second attribute, published after the first one's tag, runs to the end while the first add is held.
    await vi.waitFor(() => expect(probe.log).toContain(`end tag:${a2}`));
    expect(probe.running).toEqual(new Set([`add:${a1}`]));
    expect(probe.log).not.toContain(`start tag:${a1}`);

    probe.release(`add:${a1}`);
    await h.settle();
    const ofFirst = probe.log.filter((entry) => entry.endsWith(`:${a1}`));
    expect(ofFirst).toEqual([`start add:${a1}`, `end add:${a1}`, `start tag:${a1}`, `end tag:${a1}`]);
  });

  it("serialises a whole event for a subscriber that asks for event order, and only that event", async () => {
    const probe = startProbe();
    h = await startHarness({ overrides: ONLY_PROBE("event-order-probe") });
    const event = h.misp.seedEvent();
    const other = h.misp.seedEvent();
    const first = h.misp.seedAttribute(event.uuid, { type: "ip-dst", value: "198.51.100.1" });
    const second = h.misp.seedAttribute(event.uuid, { type: "ip-dst", value: "198.51.100.2" });
    const elsewhere = h.misp.seedAttribute(other.uuid, { type: "ip-dst", value: "198.51.100.3" });
    const [a1, a2, a3] = [first.id, second.id, elsewhere.id];
    probe.hold(`add:${a1}`);

    await h.publish(first.message.topic, first.message.payload);
    await h.publish(second.message.topic, second.message.payload);
    await h.publish(elsewhere.message.topic, elsewhere.message.payload);
    // The other event's attribute, published last, is done; the held event's second attribute waits.
    await vi.waitFor(() => expect(probe.log).toContain(`end add:${a3}`));
    expect(probe.log).not.toContain(`start add:${a2}`);

    probe.release(`add:${a1}`);
    await h.settle();
    expect(probe.log.filter((entry) => !entry.endsWith(`:${a3}`))).toEqual([`start add:${a1}`, `end add:${a1}`, `start add:${a2}`, `end add:${a2}`]);
  });
});
