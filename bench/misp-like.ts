// A MISP-like node:http server for the backpressure section: it answers the two calls the
// geolocation subscriber makes (objects/add, objectReferences/add) with 200 and the shapes of
// misp-contract/rest.md §2-§3, in constant time, after holding each request `delayMs`. The MISP
// stand-in validates every write against its whole attribute table (see bench/README.md), which
// is right for tests and too slow to push tens of thousands of writes through in a benchmark.

import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface MispLikeOptions {
  readonly key: string;
  readonly delayMs: number;
  /**
   * Publishes MISP's echoes of each objects/add on the bus, as MISP does (pubsub.md §6): one
   * `misp_json_attribute add` per attribute of the object, with the object embedded. (The object's
   * own message and the reference's go out on topics the daemon does not subscribe to: a tcp PUB
   * never sends them to it, so they are left out.)
   */
  readonly publish?: (frame: string) => Promise<void>;
}

export interface MispLike {
  readonly url: string;
  /** referenced_uuid of every objectReferences/add, in arrival order. */
  readonly referenced: readonly string[];
  /** objects/add answered 200. */
  objects(): number;
  /** Echo frames published. */
  echoes(): number;
  /** When the first objects/add was answered (epoch ms), if one was. */
  firstObjectAt(): number | undefined;
  close(): Promise<void>;
}

type Json = Record<string, unknown>;

function readJson(req: IncomingMessage): Promise<Json> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      try {
        const parsed: unknown = JSON.parse(Buffer.concat(chunks).toString("utf8") || "{}");
        resolve(typeof parsed === "object" && parsed !== null && !Array.isArray(parsed) ? (parsed as Json) : {});
      } catch (error) {
        reject(error as Error);
      }
    });
    req.on("error", reject);
  });
}

function reply(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json; charset=UTF-8", "content-length": Buffer.byteLength(text) });
  res.end(text);
}

export async function startMispLike(options: MispLikeOptions): Promise<MispLike> {
  const referenced: string[] = [];
  let nextId = 1;
  let objects = 0;
  let echoes = 0;
  let firstObjectAt: number | undefined;
  const now = (): string => String(Math.floor(Date.now() / 1000));

  async function answer(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readJson(req);
    if (options.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, options.delayMs));
    const path = (req.url ?? "/").split("?")[0] ?? "/";
    if (req.headers.authorization !== options.key) {
      return reply(res, 403, { name: "Authentication failed. Please make sure you pass the API key of an API enabled user along in the Authorization header.", message: "Authentication failed.", url: path });
    }
    const [, controller, action, first] = path.split("/");
    if (req.method === "POST" && controller === "objects" && action === "add") {
      const object = (body.Object ?? body) as Json;
      const eventId = String(nextId++);
      const attributes = Array.isArray(object.Attribute) ? (object.Attribute as Json[]) : [];
      objects++;
      firstObjectAt ??= Date.now();
      const stored = {
        ...object,
        id: String(nextId++),
        event_id: eventId,
        timestamp: now(),
        Attribute: attributes.map((a) => ({ ...a, id: String(nextId++), event_id: eventId, timestamp: now() })),
      };
      reply(res, 200, { Object: stored });
      if (options.publish) {
        for (const frame of echoFrames(stored, first ?? "", now())) {
          echoes++;
          void options.publish(frame);
        }
      }
      return;
    }
    if (req.method === "POST" && (controller === "objectReferences" || controller === "object_references") && action === "add") {
      const data = (body.ObjectReference ?? body) as Json;
      referenced.push(String(data.referenced_uuid ?? ""));
      return reply(res, 200, {
        ObjectReference: {
          id: String(nextId++),
          uuid: randomUUID(),
          timestamp: now(),
          object_uuid: first ?? "",
          referenced_uuid: data.referenced_uuid,
          relationship_type: data.relationship_type,
          comment: "",
          deleted: false,
        },
      });
    }
    return reply(res, 404, { name: "Not Found", message: "Not Found", url: path });
  }

  const server = createServer((req, res) => {
    answer(req, res).catch(() => reply(res, 500, { name: "Internal Error", message: "Internal Error", url: req.url ?? "" }));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  let closing: Promise<void> | undefined;
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    referenced,
    objects: () => objects,
    echoes: () => echoes,
    firstObjectAt: () => firstObjectAt,
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closing;
    },
  };
}

/** The `misp_json_attribute add` frames MISP publishes for an object's attributes (pubsub.md §4.1). */
function echoFrames(object: Json, eventUuid: string, timestamp: string): string[] {
  const { Attribute: attributes, ...row } = object;
  const objectRow = { ...row, deleted: false, first_seen: null, last_seen: null, sharing_group_id: "0" };
  const event = {
    id: object.event_id, date: "2026-11-23", info: "bench event", uuid: eventUuid, published: false, analysis: "0", threat_level_id: "4",
    org_id: "1", orgc_id: "1", distribution: "1", sharing_group_id: "0", Orgc: { id: "1", uuid: "b7b7c0b0-1b1b-4c4c-8d8d-000000000001", name: "ORGNAME" },
  };
  return (attributes as Json[]).map((a) => {
    const value = String(a.value);
    const attribute = {
      id: a.id, event_id: object.event_id, object_id: object.id, object_relation: a.object_relation ?? null, category: a.category ?? "Other",
      type: a.type, value1: value, value2: "", to_ids: a.to_ids ?? false, uuid: a.uuid, timestamp, distribution: a.distribution ?? "5",
      sharing_group_id: "0", comment: a.comment ?? "", deleted: false, disable_correlation: a.disable_correlation ?? false,
      first_seen: null, last_seen: null, value, Sighting: [],
    };
    return `misp_json_attribute ${JSON.stringify({ Attribute: attribute, Event: event, Object: objectRow, action: "add" })}`;
  });
}
