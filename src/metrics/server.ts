// Optional HTTP endpoint (`metrics.listen`), bound to the address given (keep it loopback):
// `/metrics` (Prometheus text), `/healthz` (200 healthy, 503 with the reasons) and `/readyz` (200
// once start-up is over). The body of both probes is JSON: `{"status": "ok"|"unhealthy"|…, "reasons": […]}`.

import { createServer, type Server } from "node:http";
import type { Logger } from "../log.js";
import type { Metrics } from "./metrics.js";

export interface Verdict {
  readonly ok: boolean;
  /** Why not, one phrase each; empty when ok. */
  readonly reasons: readonly string[];
}

export interface Probes {
  health(): Verdict;
  readiness(): Verdict;
}

export interface MetricsServer {
  readonly url: string;
  close(): Promise<void>;
}

const NOT_WIRED: Probes = {
  health: () => ({ ok: true, reasons: [] }),
  readiness: () => ({ ok: true, reasons: [] }),
};

export async function startMetricsServer(listen: string, metrics: Metrics, logger: Logger, probes: Probes = NOT_WIRED): Promise<MetricsServer> {
  const [host, port] = [listen.slice(0, listen.lastIndexOf(":")), Number(listen.slice(listen.lastIndexOf(":") + 1))];
  const removeHook = metrics.onCollect(() => metrics.set("misp_enrichd_healthy", probes.health().ok ? 1 : 0));
  const answer = (res: import("node:http").ServerResponse, verdict: Verdict, okStatus: string, badStatus: string): void => {
    const body = JSON.stringify({ status: verdict.ok ? okStatus : badStatus, reasons: verdict.reasons }) + "\n";
    res.writeHead(verdict.ok ? 200 : 503, { "content-type": "application/json", "cache-control": "no-store" }).end(body);
  };
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? "").split("?")[0];
    if (path === "/metrics") {
      metrics.renderPrometheus().then(
        (text) => res.writeHead(200, { "content-type": metrics.contentType }).end(text),
        (error: unknown) => {
          logger.warn({ err: error instanceof Error ? error.message : String(error) }, "metrics rendering failed");
          res.writeHead(500, { "content-type": "text/plain" }).end("metrics rendering failed\n");
        },
      );
    } else if (path === "/healthz") {
      answer(res, probes.health(), "ok", "unhealthy");
    } else if (path === "/readyz") {
      answer(res, probes.readiness(), "ready", "not ready");
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
    close: () =>
      new Promise<void>((resolve) => {
        removeHook();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
