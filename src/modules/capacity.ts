// Whether `modules.concurrency` fits the module server it points at. A stock misp-modules runs each
// query on a pool of min(32, 5 × CPUs) threads (10 on a 2-core host), and a query whose `timeout`
// ran out keeps its thread until the module returns (modules.md §1, §8): more queries in flight than
// the pool makes later ones wait and time out. The daemon cannot see the pool, only what the server
// says about itself. Tornado, which misp-modules runs on, names itself in every answer's `Server`
// header; a load balancer or reverse proxy in front (nginx, Apache, Caddy…) answers with its own. So
// a Tornado header on `/modules` means one stock instance answered directly, and more than 9 queries
// in flight (the default 8 stays below 10 threads) earns a warning, never a failure: `check` says why.

/** The most queries in flight that fit one stock server on the smallest common host (10 threads). */
export const SINGLE_SERVER_CONCURRENCY = 9;

export interface CapacityWarning {
  readonly text: string;
  readonly fix: string;
}

/** A warning when `concurrency` exceeds what one stock server is sure to take; undefined otherwise. */
export function judgeCapacity(url: string, concurrency: number, serverHeader: string | undefined): CapacityWarning | undefined {
  if (concurrency <= SINGLE_SERVER_CONCURRENCY || !looksLikeStockServer(serverHeader)) return undefined;
  return {
    text:
      `modules.concurrency is ${concurrency}, but ${url} answers as one misp-modules instance (Server: ${serverHeader}), ` +
      `whose pool has min(32, 5 × CPUs) threads (10 on 2 cores) and keeps a thread busy after a query times out: ` +
      `queries beyond its pool wait at the server and may time out`,
    fix:
      `keep modules.concurrency at ${SINGLE_SERVER_CONCURRENCY} or less for one server, or put several misp-modules ` +
      `behind a load balancer and allow about 8 per instance (a host with more cores has up to 32 threads)`,
  };
}

/** Tornado's own `Server` header, as misp-modules answers when nothing stands in front of it. */
export function looksLikeStockServer(serverHeader: string | undefined): boolean {
  return serverHeader !== undefined && /^TornadoServer(\/|$)/i.test(serverHeader.trim());
}
