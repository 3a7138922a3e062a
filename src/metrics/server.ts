// Optional Prometheus endpoint (`metrics.listen`), bound to the address given (keep it loopback).

import { createServer, type Server } from "node:http";
import type { Logger } from "../log.js";
import type { Metrics } from "./metrics.js";

export interface MetricsServer {
  readonly url: string;
  close(): Promise<void>;
}

export async function startMetricsServer(listen: string, metrics: Metrics, logger: Logger): Promise<MetricsServer> {
  const [host, port] = [listen.slice(0, listen.lastIndexOf(":")), Number(listen.slice(listen.lastIndexOf(":") + 1))];
  const server: Server = createServer((req, res) => {
    if (req.url === "/metrics") {
      res.writeHead(200, { "content-type": "text/plain; version=0.0.4" }).end(metrics.renderPrometheus());
    } else if (req.url === "/healthz") {
      res.writeHead(200, { "content-type": "text/plain" }).end("ok\n");
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, resolve);
  });
  const address = server.address();
  const url = typeof address === "object" && address ? `http://${host}:${address.port}` : listen;
  logger.info({ url: `${url}/metrics` }, "metrics listening");
  return {
    url,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
