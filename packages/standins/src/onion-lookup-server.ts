// A stand-in for onion-lookup (ail-project/onion-lookup, what onion.ail-project.org runs), the
// upstream of the real `onion_lookup` module once our override in scripts/misp-modules/custom
// points it here through ONION_LOOKUP_URL (misp-contract/modules.md §4c, §8).

import { createServer, type ServerResponse } from "node:http";
import { listenOnLoopback } from "./listen.js";

/** One answer of GET /api/lookup/{onion}: the AIL lookup fields that onion_lookup reads. */
export interface OnionRecord {
  readonly id: string;
  readonly first_seen: string;
  readonly last_seen: string;
  readonly languages: readonly string[];
  readonly titles: readonly string[];
  /** Already filtered to dark-web:* and infoleak:* by the real service. */
  readonly tags: readonly string[];
  readonly ports?: readonly number[];
}

export interface OnionLookupServerOptions {
  /** Known onions by address; replaces the default set. */
  onions?: Record<string, OnionRecord>;
  /** Defaults to 0: a free port on 127.0.0.1. */
  port?: number;
}

export interface OnionLookupServer {
  /** Base URL without a trailing slash, for the override's ONION_LOOKUP_URL. */
  readonly url: string;
  /** Raw request targets in arrival order, e.g. "/api/lookup/….onion". */
  readonly requests: string[];
  close(): Promise<void>;
}

const SAMPLE_TAGS = [
  'dark-web:topic="legitimate"',
  'dark-web:motivation="information-sharing-reportage"',
  'infoleak:automatic-detection="onion"',
] as const;

/** A synthetic v3 onion (the contract's sample) and a 16-character v2 one. */
export const DEFAULT_ONIONS: Readonly<Record<string, OnionRecord>> = {
  "vugqd7hwj3rgope5bi7cj2vvsahm5l3agevcgnfxv2rbjlb42ueqaaid.onion": {
    id: "vugqd7hwj3rgope5bi7cj2vvsahm5l3agevcgnfxv2rbjlb42ueqaaid.onion",
    first_seen: "2023-03-22",
    last_seen: "2025-11-20",
    languages: ["en"],
    titles: ["Sample onion service title"],
    tags: SAMPLE_TAGS,
    ports: [80],
  },
  // The real service looks up v3 addresses only and answers {} for v2; kept for fixtures that
  // still carry old addresses.
  "expyuzz4wqqyqhjn.onion": {
    id: "expyuzz4wqqyqhjn.onion",
    first_seen: "2019-06-01",
    last_seen: "2021-10-15",
    languages: ["en", "de"],
    titles: ["Tor Project: Anonymity Online"],
    tags: ['dark-web:topic="legitimate"', 'infoleak:automatic-detection="onion"'],
    ports: [80, 443],
  },
  // A marketplace flagged for the seed workshop's automations (README "Rules").
  "cardshop2dark7ab.onion": {
    id: "cardshop2dark7ab.onion",
    first_seen: "2024-02-11",
    last_seen: "2025-09-30",
    languages: ["en", "ru"],
    titles: ["Fresh dumps and fullz"],
    tags: ['dark-web:topic="credit-card"', 'dark-web:topic="pornography-child-exploitation"', 'infoleak:automatic-detection="onion"'],
    ports: [80],
  },
};

const LOOKUP = /^\/api\/lookup\/([^/?#]+)\/?(?:[?#].*)?$/;

export async function startOnionLookupServer(options: OnionLookupServerOptions = {}): Promise<OnionLookupServer> {
  const known = new Map<string, OnionRecord>();
  for (const [address, record] of Object.entries(options.onions ?? DEFAULT_ONIONS)) {
    known.set(address.toLowerCase(), record);
  }
  const requests: string[] = [];

  const server = createServer((req, res) => {
    const target = req.url ?? "/";
    requests.push(target);
    if (req.method !== "GET" && req.method !== "HEAD") return sendJson(res, 405, { detail: "Method Not Allowed" });
    // The real app redirects any path with repeated slashes to its collapsed form (307).
    if (/\/\/+/.test(target.split("?")[0] ?? "")) {
      res.writeHead(307, { location: target.replace(/\/\/+/g, "/"), "content-length": 0 });
      return res.end();
    }
    const match = LOOKUP.exec(target);
    if (match === null) return sendJson(res, 404, { detail: "Not Found" });
    const onion = normaliseOnion(match[1] ?? "");
    // Unknown and malformed onions both get 200 {}: onion_lookup then fails on the missing "id".
    sendJson(res, 200, (onion !== undefined && known.get(onion)) || {});
  });

  const listening = await listenOnLoopback(server, options.port);
  return { url: listening.url, requests, close: listening.close };
}

/** Like the real service: lower-case, accept a URL or a bare host, keep the last two labels. */
function normaliseOnion(segment: string): string | undefined {
  let value: string;
  try {
    value = decodeURIComponent(segment).toLowerCase().trim();
  } catch {
    return undefined;
  }
  const host = value.replace(/^[a-z]+:\/\//, "").split(/[/:]/, 1)[0] ?? "";
  const labels = host.split(".");
  if (labels.length < 2) return /^[a-z2-7]{56}$/.test(host) ? `${host}.onion` : undefined;
  return labels.slice(-2).join(".");
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const payload = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(payload) });
  res.end(payload);
}
