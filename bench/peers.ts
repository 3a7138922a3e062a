// The peers process: the MISP stand-in (or bench/misp-like.ts), the misp-modules stand-in, optional
// delaying proxies in front of them, and optionally a ZeroMQ publisher, all on 127.0.0.1. It runs
// apart from the daemon so that the daemon's heap, RSS and CPU figures are the daemon's alone, and
// so that the peers get the second core as a real MISP would. Driven over IPC by
// bench/peers-client.ts; exits when its parent goes.

import { startMispStandin, startModulesStandin, startZmqPublisher, type MispStandin, type ModulesStandin, type ZmqPublisher } from "@misp-enrichd/standins";
import { BENCH_KEY } from "./daemon-stack.js";
import { startDelayProxy, type DelayProxy } from "./delay-proxy.js";
import { createFrameSets } from "./frame-sets.js";
import { startMispLike, type MispLike } from "./misp-like.js";
import { buildMix } from "./mix.js";
import type { MixRequest, MixResult, PeersEnvelope, PeersReply, PeersRequest, PeersStarted, PeersStartOptions, PeersStats } from "./peers-protocol.js";
import { createServerWatch, type ServerCounter } from "./server-watch.js";

let misp: MispStandin | undefined;
let light: MispLike | undefined;
let modules: ModulesStandin | undefined;
let publisher: ZmqPublisher | undefined;
const proxies: DelayProxy[] = [];
const sets = createFrameSets();
const servers = createServerWatch();
let mispCounter: ServerCounter | undefined;
let modulesCounter: ServerCounter | undefined;
const published = new Map<string, number>(); // MISP's echoes, by topic
let cpuMark = process.cpuUsage();
let drip: NodeJS.Timeout | undefined;

async function start(options: PeersStartOptions): Promise<PeersStarted> {
  if (options.zmq) publisher = await startZmqPublisher();
  const bus = publisher;
  modules = await startModulesStandin(options.modulesLatencyMs ? { latencyMs: options.modulesLatencyMs } : {});
  const front = async (url: string, delayMs: number): Promise<string> => {
    if (delayMs <= 0) return url;
    const proxy = await startDelayProxy(url, delayMs);
    proxies.push(proxy);
    return proxy.url;
  };
  let mispUrl: string;
  if (options.misp === "light") {
    const publishRaw = bus ? (frame: string): Promise<void> => bus.publishRaw(frame) : undefined;
    light = await startMispLike({ key: BENCH_KEY, delayMs: options.mispDelayMs, ...(publishRaw ? { publish: publishRaw } : {}) });
    mispUrl = light.url;
  } else {
    const publish = bus
      ? (topic: string, payload: object): Promise<void> => {
          published.set(topic, (published.get(topic) ?? 0) + 1);
          return bus.publish(topic, payload);
        }
      : undefined;
    misp = await startMispStandin({ key: BENCH_KEY, ...(publish ? { publish } : {}) });
    mispUrl = await front(misp.url, options.mispDelayMs);
  }
  const modulesUrl = await front(modules.url, options.modulesDelayMs);
  modulesCounter = servers.watch(modulesUrl, "/query");
  mispCounter = servers.watch(mispUrl);
  return { mispUrl, modulesUrl, ...(publisher ? { zmqUrl: publisher.url } : {}) };
}

function queryUuid(body: Readonly<Record<string, unknown>>): string | undefined {
  const attribute = body.attribute;
  if (typeof attribute === "object" && attribute !== null && typeof (attribute as { uuid?: unknown }).uuid === "string") {
    return (attribute as { uuid: string }).uuid;
  }
  return typeof body.attribute_uuid === "string" ? body.attribute_uuid : undefined;
}

function stats(set: string | undefined): PeersStats {
  const moduleServer = need(modules, "modules"); // the stand-in itself, behind any proxy
  const used = process.cpuUsage(cpuMark);
  return {
    moduleQueries: modulesCounter?.total ?? 0,
    maxModuleConcurrency: modulesCounter?.peak ?? 0,
    mispRequests: mispCounter?.total ?? 0,
    maxMispConcurrency: mispCounter?.peak ?? 0,
    objects: misp ? misp.state.objects.length : (light?.objects() ?? 0),
    references: misp ? misp.state.references.length : (light?.referenced.length ?? 0),
    queryOrder: sets.checkOrder(
      moduleServer.requests.map((r) => queryUuid(r)),
      set,
    ),
    writeOrder: sets.checkOrder(misp ? misp.state.references.map((r) => r.referencedUuid) : (light?.referenced ?? []), set),
    cpuMs: (used.user + used.system) / 1000,
    publishedByTopic: Object.fromEntries(published),
    echoes: light?.echoes() ?? 0,
    ...(light?.firstObjectAt() === undefined ? {} : { firstObjectAt: light.firstObjectAt() }),
  };
}

function reset(): void {
  servers.reset();
  published.clear();
  cpuMark = process.cpuUsage();
}

async function mix(request: MixRequest): Promise<MixResult> {
  const bus = need(publisher, "zmq publisher");
  const sequence = buildMix(request, sets.framesOf(request.wantedSet));
  const sent: Record<string, number> = {};
  const started = performance.now();
  for (const { frame, topic } of sequence) {
    await bus.publishRaw(frame);
    sent[topic] = (sent[topic] ?? 0) + 1;
  }
  return { sentByTopic: sent, publishMs: performance.now() - started };
}

function need<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`peers: ${what} not started`);
  return value;
}

async function close(): Promise<void> {
  clearInterval(drip);
  await Promise.allSettled([misp?.close(), light?.close(), modules?.close(), publisher?.close(), ...proxies.map((p) => p.close())]);
}

async function handle(request: PeersRequest): Promise<unknown> {
  switch (request.op) {
    case "start":
      return start(request.options);
    case "seed":
      return sets.seed(need(misp, "misp stand-in"), request.request);
    case "synthesize":
      return sets.synthesize(request.request);
    case "reset":
      return reset();
    case "stats":
      return stats(request.set);
    case "heartbeat":
      return need(publisher, "zmq publisher").publish("misp_json_self", { status: "I'm doing science and I'm still alive.", uptime: 1 });
    case "mix":
      return mix(request.request);
    case "settled":
      return need(misp, "misp").settled();
    case "drip": {
      const bus = need(publisher, "zmq publisher");
      const frames = sets.framesOf(request.set);
      let next = 0;
      clearInterval(drip);
      drip = setInterval(() => void bus.publishRaw(frames[next++ % frames.length] as string), request.intervalMs);
      return undefined;
    }
    case "stopDrip":
      clearInterval(drip);
      return undefined;
    case "close":
      await close();
      setImmediate(() => process.exit(0));
      return undefined;
  }
}

process.on("message", (message: PeersEnvelope) => {
  handle(message.request).then(
    (result) => process.send?.({ id: message.id, ok: true, result } satisfies PeersReply),
    (error: unknown) => process.send?.({ id: message.id, ok: false, error: error instanceof Error ? (error.stack ?? error.message) : String(error) } satisfies PeersReply),
  );
});
// The scenario that started us is gone: nothing else would ever close these sockets.
process.on("disconnect", () => process.exit(0));
