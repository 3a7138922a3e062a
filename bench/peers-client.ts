// The scenario side of the peers process: fork it, call it, close it.

import { fork, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { profileArgs } from "./profile.js";
import type {
  MixRequest,
  MixResult,
  PeersEnvelope,
  PeersReply,
  PeersRequest,
  PeersStarted,
  PeersStartOptions,
  PeersStats,
  SeedRequest,
  SeedResult,
} from "./peers-protocol.js";

export interface Peers extends PeersStarted {
  readonly pid: number;
  /** Events and attributes created in the MISP stand-in, and their bus frames. */
  seed(request: SeedRequest): Promise<SeedResult>;
  /** Frames only (for the light MISP, which keeps no tables). */
  synthesize(request: SeedRequest): Promise<SeedResult>;
  /** Zeroes the concurrency peaks, request counts, published counts and the CPU mark. */
  reset(): Promise<void>;
  stats(set?: string): Promise<PeersStats>;
  heartbeat(): Promise<void>;
  drip(set: string, intervalMs: number): Promise<void>;
  stopDrip(): Promise<void>;
  mix(request: MixRequest): Promise<MixResult>;
  /** Resolves once every echo of the MISP answers sent so far is published. */
  settled(): Promise<void>;
  /** Idempotent; kills the process if it does not exit by itself within a second. */
  close(): Promise<void>;
}

const PEERS_MAIN = fileURLToPath(new URL("./peers.js", import.meta.url));

export async function startPeers(options: PeersStartOptions): Promise<Peers> {
  const child: ChildProcess = fork(PEERS_MAIN, [], { execArgv: profileArgs(), stdio: ["ignore", "inherit", "inherit", "ipc"], serialization: "advanced" });
  const pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  let nextId = 1;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.on("message", (reply: PeersReply) => {
    const waiter = pending.get(reply.id);
    pending.delete(reply.id);
    if (!waiter) return;
    if (reply.ok) waiter.resolve(reply.result);
    else waiter.reject(new Error(`peers: ${reply.error}`));
  });
  void exited.then(() => {
    for (const waiter of pending.values()) waiter.reject(new Error("peers process exited"));
    pending.clear();
  });
  const call = <T>(request: PeersRequest): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const id = nextId++;
      pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      child.send({ id, request } satisfies PeersEnvelope);
    });

  const started = await call<PeersStarted>({ op: "start", options });
  let closing: Promise<void> | undefined;
  return {
    ...started,
    pid: child.pid ?? -1,
    seed: (request) => call({ op: "seed", request }),
    synthesize: (request) => call({ op: "synthesize", request }),
    reset: () => call({ op: "reset" }),
    stats: (set) => call(set === undefined ? { op: "stats" } : { op: "stats", set }),
    heartbeat: () => call({ op: "heartbeat" }),
    drip: (set, intervalMs) => call({ op: "drip", set, intervalMs }),
    stopDrip: () => call({ op: "stopDrip" }),
    mix: (request) => call({ op: "mix", request }),
    settled: () => call({ op: "settled" }),
    close() {
      closing ??= (async () => {
        if (child.exitCode !== null) return;
        const timer = setTimeout(() => child.kill("SIGKILL"), 1_000);
        await call({ op: "close" }).catch(() => undefined);
        await exited;
        clearTimeout(timer);
      })();
      return closing;
    },
  };
}
