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
}

export interface MispLike {
  readonly url: string;
  /** referenced_uuid of every objectReferences/add, in arrival order. */
  readonly referenced: readonly string[];
  /** objects/add answered 200. */
  objects(): number;
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
      return reply(res, 200, {
        Object: {
          ...object,
          id: String(nextId++),
          event_id: eventId,
          timestamp: now(),
          Attribute: attributes.map((a) => ({ ...a, id: String(nextId++), event_id: eventId, timestamp: now() })),
        },
      });
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
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closing;
    },
  };
}
