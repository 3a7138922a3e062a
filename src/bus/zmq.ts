// MISP's ZeroMQ PUB channel (pubsub.md §2): a SUB socket that subscribes at socket level only to
// the topics the enabled subscribers need, with PLAIN auth when configured. libzmq reconnects by
// itself; we watch for silence, since MISP sends a heartbeat only after 10 s without traffic.

import { Subscriber } from "zeromq";
import type { BusFrame, MessageKind } from "../decode/types.js";
import { EnrichdError } from "../errors.js";
import type { Logger } from "../log.js";
import type { Metrics } from "../metrics/metrics.js";
import type { Bus, BusStatus, FrameSink } from "./types.js";

export interface ZmqBusOptions {
  readonly url: string;
  readonly username?: string;
  readonly password?: string;
  /** Warn when neither a message nor a heartbeat arrived for this long. */
  readonly silenceWarnMs: number;
  readonly reconnectIntervalMs?: number;
  readonly receiveHighWaterMark?: number;
  /** Socket subscription prefixes for the wanted kinds (decode/topic.ts `zmqSubscriptions`). */
  readonly subscriptions: (kinds: ReadonlySet<MessageKind>) => readonly string[];
  readonly logger: Logger;
  readonly metrics?: Metrics;
  /** Called when traffic comes back after a silence or a reconnect: time for a gap backfill. */
  readonly onResume?: (reason: string) => void;
}

/** The topic of a frame without copying the payload: everything before the first space. */
function frameTopic(frame: Buffer): string {
  const space = frame.indexOf(0x20);
  return frame.toString("latin1", 0, space < 0 ? Math.min(frame.length, 64) : space);
}

export function createZmqBus(options: ZmqBusOptions): Bus {
  const log = options.logger.child({ bus: "zmq" });
  let socket: Subscriber | undefined;
  let connected = false;
  let everConnected = false;
  let lastFrameAt = 0;
  let closing: Promise<void> | undefined;
  let running: Promise<void> | undefined;
  const describe = `zmq ${options.url}${options.username ? ` (PLAIN user ${options.username})` : ""}`;

  async function watchEvents(sock: Subscriber): Promise<void> {
    try {
      for await (const event of sock.events) {
        if (event.type === "connect") {
          const again = everConnected;
          connected = true;
          everConnected = true;
          log.info({ url: options.url }, again ? "bus reconnected" : "bus connected");
          if (again) options.onResume?.("bus-reconnected");
        } else if (event.type === "disconnect") {
          connected = false;
          log.warn({ url: options.url }, "bus disconnected; reconnecting");
        } else if (event.type === "handshake:error:auth" || event.type === "handshake:error:protocol") {
          log.error({ url: options.url, event: event.type }, "bus handshake failed: check bus.zmq.username/password (PLAIN)");
        }
      }
    } catch {
      // The event stream ends when the socket closes.
    }
  }

  function startSilenceWatch(signal: AbortSignal): NodeJS.Timeout {
    const startedAt = Date.now();
    let warned = false;
    const timer = setInterval(
      () => {
        const since = lastFrameAt || startedAt;
        const silentMs = Date.now() - since;
        if (silentMs > options.silenceWarnMs && !warned) {
          warned = true;
          options.metrics?.inc("misp_enrichd_bus_silence_warnings_total", { transport: "zmq" });
          log.warn(
            { url: options.url, silentMs, connected },
            "bus silent: no message and no misp_json_self heartbeat; is mispzmq.py running, Plugin.ZeroMQ_enable on, the URL and PLAIN credentials right?",
          );
        } else if (silentMs <= options.silenceWarnMs && warned) {
          warned = false;
          log.info({ url: options.url }, "bus traffic resumed");
          options.onResume?.("bus-resumed");
        }
      },
      Math.max(50, Math.min(5_000, Math.floor(options.silenceWarnMs / 4))),
    );
    timer.unref();
    signal.addEventListener("abort", () => clearInterval(timer), { once: true });
    return timer;
  }

  async function run(kinds: ReadonlySet<MessageKind>, sink: FrameSink, signal: AbortSignal): Promise<void> {
    const sock = new Subscriber({
      reconnectInterval: options.reconnectIntervalMs ?? 1_000,
      receiveHighWaterMark: options.receiveHighWaterMark ?? 10_000,
      linger: 0,
      ...(options.username ? { plainUsername: options.username, plainPassword: options.password ?? "" } : {}),
    });
    socket = sock;
    const prefixes = options.subscriptions(kinds);
    for (const prefix of prefixes) sock.subscribe(prefix);
    void watchEvents(sock);
    try {
      sock.connect(options.url);
    } catch (error) {
      sock.close();
      throw new EnrichdError("ENRICHD_BUS_FAILED", `cannot connect to ${options.url}: ${(error as Error).message}`, { cause: error });
    }
    log.info({ url: options.url, subscriptions: prefixes.map((p) => p.trim()) }, "bus subscribed");
    const timer = startSilenceWatch(signal);
    const onAbort = (): void => {
      if (!sock.closed) sock.close();
    };
    signal.addEventListener("abort", onAbort, { once: true });
    try {
      while (!signal.aborted && !sock.closed) {
        let parts: Buffer[];
        try {
          parts = await sock.receive();
        } catch (error) {
          if (sock.closed || signal.aborted) break;
          throw new EnrichdError("ENRICHD_BUS_FAILED", `receive failed on ${options.url}: ${(error as Error).message}`, { cause: error });
        }
        lastFrameAt = Date.now();
        // MISP sends one frame per message; anything else is a foreign publisher's multipart.
        const payload = parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts.flatMap((p, i) => (i ? [Buffer.from(" "), p] : [p])));
        const frame: BusFrame = { topic: frameTopic(payload), payload, transport: "zmq", receivedAt: lastFrameAt };
        await sink(frame);
      }
    } finally {
      clearInterval(timer);
      signal.removeEventListener("abort", onAbort);
      if (!sock.closed) sock.close();
      connected = false;
    }
  }

  return {
    transport: "zmq",
    describe,
    run(kinds, sink, signal) {
      running = run(kinds, sink, signal);
      return running;
    },
    status(): BusStatus {
      return { connected, lastFrameAt };
    },
    close() {
      closing ??= (async () => {
        if (socket && !socket.closed) socket.close();
        await running?.catch(() => undefined);
      })();
      return closing;
    },
  };
}
