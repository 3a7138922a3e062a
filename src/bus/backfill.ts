// Gap backfill. ZeroMQ drops what is published while we are away or while we fall behind (its
// high-water marks), and MISP's Kafka producer does not flush reliably (pubsub.md §2.2, §8), so the
// daemon asks `/attributes/restSearch` for what changed since its watermark, at start-up, when the
// bus comes back after a silence, and periodically. The watermark (MISP's clock, persisted) is how
// far back everything is known to have been seen or fetched: each run fetches from there (minus
// `overlapSeconds`) and moves it to the newest timestamp seen when the run started. It is never
// moved by live messages alone: a frame dropped minutes before the newest one seen must still be
// fetched. Attributes already seen are skipped; the rest go through the same pipeline as `add`
// messages. Deterministic uuids make any overlap harmless.

import { mkdirSync, readFileSync } from "node:fs";
import { writeFile, rename } from "node:fs/promises";
import { dirname } from "node:path";
import type { FrameSink } from "./types.js";
import type { Attribute, BusFrame, EventSummary, MispMessage } from "../decode/types.js";
import { errorMessage } from "../errors.js";
import type { Logger } from "../log.js";
import type { Metrics } from "../metrics/metrics.js";
import type { MispClient } from "../misp/types.js";
import type { RouteSpec } from "../route/types.js";

export interface BackfillOptions {
  readonly misp: MispClient;
  readonly sink: FrameSink;
  readonly logger: Logger;
  readonly metrics: Metrics;
  /** JSON file holding the watermark; undefined keeps it in memory. */
  readonly file?: string;
  /** Attribute types the subscribers want; undefined = every type. */
  readonly types?: readonly string[];
  readonly overlapSeconds: number;
  /** Never look further back than this, whatever the watermark says. */
  readonly maxAgeSeconds: number;
  readonly pageSize?: number;
  readonly now?: () => number;
}

export interface Backfill {
  /** Called for every decoded message: remembers attribute uuids and MISP's clock (starts the watermark when there is none). */
  observe(message: MispMessage): void;
  /** Runs one backfill now (calls are serialised); returns how many attributes were fed. */
  run(reason: string, signal?: AbortSignal): Promise<number>;
  watermark(): number | undefined;
  /** Persists the watermark (also done after each run). */
  flush(): Promise<void>;
}

const SEEN_CAP = 100_000;

/** Re-encodes a searched attribute as MISP's `misp_json_attribute` payload (an `add` unless told). */
export function attributePayload(attribute: Attribute, event: EventSummary | undefined, action: "add" | "edit" = "add"): Record<string, unknown> {
  const s = (n: number): string => String(n);
  return {
    Attribute: {
      id: s(attribute.id), event_id: s(attribute.eventId), object_id: s(attribute.objectId), object_relation: attribute.objectRelation,
      category: attribute.category, type: attribute.type, value: attribute.value, to_ids: attribute.toIds, uuid: attribute.uuid,
      timestamp: s(attribute.timestamp), distribution: s(attribute.distribution), sharing_group_id: s(attribute.sharingGroupId),
      comment: attribute.comment, deleted: attribute.deleted, disable_correlation: attribute.disableCorrelation,
      first_seen: attribute.firstSeen, last_seen: attribute.lastSeen,
      ...(attribute.tags.length ? { Tag: attribute.tags.map((t) => ({ id: s(t.id), name: t.name, ...(t.local !== undefined ? { local: t.local } : {}) })) } : {}),
    },
    ...(event
      ? {
          Event: {
            id: s(event.id), uuid: event.uuid, info: event.info, date: event.date, published: event.published,
            org_id: s(event.orgId), orgc_id: s(event.orgcId), distribution: s(event.distribution), sharing_group_id: s(event.sharingGroupId),
          },
        }
      : {}),
    action,
  };
}

/** A searched attribute as the frame MISP would have published for its `add`. */
export function attributeFrame(attribute: Attribute, event: EventSummary | undefined, transport: "backfill" | "manual", position: string, action: "add" | "edit" = "add"): BusFrame {
  const payload = Buffer.from(`misp_json_attribute ${JSON.stringify(attributePayload(attribute, event, action))}`);
  return { topic: "misp_json_attribute", payload, transport, receivedAt: Date.now(), position };
}

/** The attribute types worth backfilling: undefined (all) unless every attribute route names its types. */
export function backfillTypes(routes: readonly RouteSpec[]): string[] | undefined {
  const types = new Set<string>();
  for (const route of routes) {
    if (!route.queries.some((q) => q === "attribute" || q.startsWith("attribute:"))) continue;
    const wanted = route.where.type;
    if (wanted === undefined) return undefined;
    for (const t of typeof wanted === "string" ? [wanted] : wanted) types.add(t);
  }
  return types.size > 0 ? [...types] : undefined;
}

export function createBackfill(options: BackfillOptions): Backfill {
  const log = options.logger.child({ component: "backfill" });
  const now = options.now ?? (() => Math.floor(Date.now() / 1000));
  const pageSize = options.pageSize ?? 200;
  const seen = new Set<string>();
  /** Persisted: every attribute changed before this (minus the overlap) was seen or fetched. */
  let mark: number | undefined;
  /** The newest attribute timestamp seen on the live bus: MISP's "now" as far as we know it. */
  let newest: number | undefined;
  let dirty = false;
  let running: Promise<number> = Promise.resolve(0);

  if (options.file) {
    try {
      const saved = JSON.parse(readFileSync(options.file, "utf8")) as { watermark?: unknown };
      if (typeof saved.watermark === "number") mark = saved.watermark;
    } catch {
      // No watermark yet: the first run starts from now, never from MISP's whole history.
    }
  }

  function remember(uuid: string): void {
    if (seen.size >= SEEN_CAP) seen.delete(seen.values().next().value as string);
    seen.add(uuid);
  }

  async function flush(): Promise<void> {
    if (!options.file || !dirty || mark === undefined) return;
    dirty = false;
    mkdirSync(dirname(options.file), { recursive: true });
    const tmp = `${options.file}.tmp`;
    await writeFile(tmp, JSON.stringify({ watermark: mark }));
    await rename(tmp, options.file);
  }

  async function once(reason: string, signal?: AbortSignal): Promise<number> {
    if (mark === undefined) {
      mark = now();
      dirty = true;
      await flush();
      log.info({ reason, watermark: mark }, "backfill: no watermark yet, starting from now");
      return 0;
    }
    const since = Math.max(mark - options.overlapSeconds, now() - options.maxAgeSeconds);
    // Anything changed after the search started has a timestamp at least this: the next run starts here.
    let reached = Math.max(mark, newest ?? mark);
    let fed = 0;
    const dones: Promise<void>[] = [];
    for (let page = 1; !signal?.aborted; page++) {
      const rows = await options.misp.searchAttributes(
        { timestamp: since, limit: pageSize, page, ...(options.types ? { type: options.types } : {}) },
        signal,
      );
      for (const { attribute, event } of rows) {
        reached = Math.max(reached, attribute.timestamp);
        if (attribute.deleted || seen.has(attribute.uuid)) continue;
        remember(attribute.uuid);
        const { done } = await options.sink(attributeFrame(attribute, event, "backfill", `backfill/${reason}`));
        dones.push(done);
        fed++;
      }
      if (rows.length < pageSize) break;
    }
    await Promise.all(dones);
    if (signal?.aborted) return fed;
    if (reached > mark) {
      mark = reached;
      dirty = true;
    }
    await flush();
    options.metrics.inc("misp_enrichd_backfill_runs_total", { reason });
    options.metrics.inc("misp_enrichd_backfill_attributes_total", undefined, fed);
    log.info({ reason, since, fed }, "backfill done");
    return fed;
  }

  return {
    observe(message) {
      // Only the live bus tells what MISP's clock says: replayed or backfilled frames are old news.
      if (message.kind !== "attribute" || (message.transport !== "zmq" && message.transport !== "kafka")) return;
      // Any message about an attribute means it reached us: no need to fetch it again.
      remember(message.attribute.uuid);
      const timestamp = message.attribute.timestamp;
      if (newest === undefined || timestamp > newest) newest = timestamp;
      // With no watermark yet, the first message seen is where the daemon's watch began.
      if (mark === undefined) {
        mark = timestamp;
        dirty = true;
      }
    },
    run(reason, signal) {
      running = running.catch(() => 0).then(() =>
        once(reason, signal).catch((error) => {
          log.warn({ reason, err: errorMessage(error) }, "backfill failed; will try again on the next trigger");
          return 0;
        }),
      );
      return running;
    },
    watermark: () => mark,
    flush,
  };
}
