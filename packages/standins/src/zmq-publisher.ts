// A stand-in for MISP's mispzmq.py: a ZeroMQ PUB socket bound on 127.0.0.1 that sends each message
// as ONE frame "<topic> <json>" (not multipart), exactly as mispzmq.py::_pub_message does
// (pubsub.md §2.1). Pair it with the MISP stand-in's `publish` option to get MISP's echoes on a bus.

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
  close(): Promise<void>;
}

export async function startZmqPublisher(options: ZmqPublisherOptions = {}): Promise<ZmqPublisher> {
  const socket = new Publisher({ linger: 0 });
  await socket.bind(`tcp://127.0.0.1:${options.port === undefined || options.port === 0 ? "*" : options.port}`);
  const url = socket.lastEndpoint;
  if (!url) {
    socket.close();
    throw new Error("zeromq did not report the bound endpoint");
  }
  // zeromq.js allows one send in flight per socket: queue them, in order.
  let chain: Promise<void> = Promise.resolve();
  let closing: Promise<void> | undefined;
  const sendFrame = (frame: Buffer | string): Promise<void> => {
    if (closing) return Promise.reject(new Error("the ZeroMQ publisher is closed"));
    const sent = chain.then(() => socket.send(frame));
    chain = sent.catch(() => undefined);
    return sent;
  };
  return {
    url,
    publish: (topic, payload) => sendFrame(`${topic} ${typeof payload === "string" ? payload : JSON.stringify(payload)}`),
    publishRaw: (frame) => sendFrame(frame),
    close() {
      closing ??= chain.then(() => {
        if (!socket.closed) socket.close();
      });
      return closing;
    },
  };
}
