// A stand-in for MISP's mispzmq.py: a ZeroMQ PUB socket bound on 127.0.0.1 that sends each message
// as ONE frame "<topic> <json>" (not multipart), exactly as mispzmq.py::_pub_message does
// (pubsub.md §2.1). Pair it with the MISP stand-in's `publish` option to get MISP's echoes on a bus.
// `stop()` and `start()` play mispzmq.py restarting: MISP keeps pushing onto its Redis lists
// meanwhile, and the restarted script flushes them at once (pubsub.md §2.2), before any subscriber
// has reconnected, so a subscriber never sees them.

import { setTimeout as delay } from "node:timers/promises";
import { Publisher } from "zeromq";

export interface ZmqPublisherOptions {
  /** 0 (default) binds an ephemeral port. */
  readonly port?: number;
}

export interface ZmqPublisher {
  /** `tcp://127.0.0.1:<port>`, for the subscriber to connect to. */
  readonly url: string;
  /** Sends `topic + " " + JSON` (a string payload is sent as it is, like pre-encoded JSON). */
  publish(topic: string, payload: object | string): Promise<void>;
  /** Sends one frame exactly as given: for malformed-frame tests. */
  publishRaw(frame: Buffer | string): Promise<void>;
  /** mispzmq.py stops: the socket closes; what is published meanwhile piles up, as in MISP's Redis lists. */
  stop(): Promise<void>;
  /** mispzmq.py starts again on the same port and sends the pile at once. Resolves once it is sent. */
  start(): Promise<void>;
  close(): Promise<void>;
}

const BIND_ATTEMPTS = 50;

async function bind(port: number | "*"): Promise<Publisher> {
  for (let attempt = 1; ; attempt++) {
    const socket = new Publisher({ linger: 0 });
    try {
      await socket.bind(`tcp://127.0.0.1:${port}`);
      return socket;
    } catch (error) {
      socket.close();
      // The port of a socket just closed may take a moment to be free again.
      if (port === "*" || attempt >= BIND_ATTEMPTS || (error as { code?: string }).code !== "EADDRINUSE") throw error;
      await delay(20);
    }
  }
}

export async function startZmqPublisher(options: ZmqPublisherOptions = {}): Promise<ZmqPublisher> {
  let socket: Publisher | undefined = await bind(options.port === undefined || options.port === 0 ? "*" : options.port);
  const url = socket.lastEndpoint;
  if (!url) {
    socket.close();
    throw new Error("zeromq did not report the bound endpoint");
  }
  const port = Number(url.slice(url.lastIndexOf(":") + 1));
  const pile: (Buffer | string)[] = [];
  // zeromq.js allows one send in flight per socket: queue them, in order.
  let chain: Promise<void> = Promise.resolve();
  let closing: Promise<void> | undefined;
  const after = (step: () => Promise<void>): Promise<void> => {
    const done = chain.then(step);
    chain = done.catch(() => undefined);
    return done;
  };
  const sendFrame = (frame: Buffer | string): Promise<void> => {
    if (closing) return Promise.reject(new Error("the ZeroMQ publisher is closed"));
    return after(async () => {
      if (socket === undefined) pile.push(frame);
      else await socket.send(frame);
    });
  };
  return {
    url,
    publish: (topic, payload) => sendFrame(`${topic} ${typeof payload === "string" ? payload : JSON.stringify(payload)}`),
    publishRaw: (frame) => sendFrame(frame),
    stop: () =>
      after(async () => {
        socket?.close();
        socket = undefined;
      }),
    start: () =>
      after(async () => {
        if (socket !== undefined || closing) return;
        socket = await bind(port);
        for (const frame of pile.splice(0)) await socket.send(frame);
      }),
    close() {
      closing ??= chain.then(() => {
        if (socket !== undefined && !socket.closed) socket.close();
      });
      return closing;
    },
  };
}
