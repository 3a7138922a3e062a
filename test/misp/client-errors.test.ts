import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { describe, expect, it, onTestFinished } from "vitest";
import { EnrichdError, isRetriable } from "../../src/errors.js";
import { client, GEO_TEMPLATE, KEY, standin } from "./helpers.js";

async function rawServer(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<string> {
  const server = createServer((req, res) => {
    req.resume();
    req.on("end", () => handler(req, res));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  onTestFinished(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function failure(promise: Promise<unknown>): Promise<EnrichdError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(EnrichdError);
  return error as EnrichdError;
}

describe("MISP client errors", () => {
  it("maps a refused key to ENRICHD_MISP_AUTH, which is not retried", async () => {
    const misp = await standin({ key: "another-key-0000000000000000000000000000" });
    const { client: c, metrics } = client(misp.url);
    const error = await failure(c.getVersion());
    expect(error.code).toBe("ENRICHD_MISP_AUTH");
    expect(isRetriable(error)).toBe(false);
    expect(error.details).toMatchObject({ method: "GET", path: "/servers/getVersion", status: 403 });
    expect(String(error.details.message)).toMatch(/^Authentication failed/);
    expect(metrics.get("misp_enrichd_misp_requests_total", { endpoint: "servers/getVersion", outcome: "auth" })).toBe(1);
  });

  it("maps a role without the permission to ENRICHD_MISP_AUTH", async () => {
    const misp = await standin({ role: { permAdd: false } });
    const event = misp.seedEvent();
    const { client: c } = client(misp.url);
    const error = await failure(c.addAttribute(event.uuid, { uuid: crypto.randomUUID(), type: "domain", value: "a.example", toIds: false, comment: "", distribution: 5, tags: [] }));
    expect(error.code).toBe("ENRICHD_MISP_AUTH");
    expect(error.details.message).toBe("You do not have permission to use this functionality.");
  });

  it("maps an event the key may not modify to ENRICHD_MISP_REJECTED with MISP's message", async () => {
    const misp = await standin();
    const event = misp.seedEvent({ orgcId: 9 });
    const { client: c } = client(misp.url);
    const error = await failure(c.addAttribute(event.uuid, { uuid: crypto.randomUUID(), type: "domain", value: "a.example", toIds: false, comment: "", distribution: 5, tags: [] }));
    expect(error.code).toBe("ENRICHD_MISP_REJECTED");
    expect(error.details).toMatchObject({ method: "POST", path: `/attributes/add/${event.uuid}`, status: 403, message: "You do not have permission to do that." });
  });

  it("maps 404 and 405 answers to ENRICHD_MISP_REJECTED", async () => {
    const misp = await standin();
    const { client: c } = client(misp.url);
    const unknown = crypto.randomUUID();
    const attribute = await failure(c.viewAttribute(unknown));
    expect(attribute.code).toBe("ENRICHD_MISP_REJECTED");
    expect(attribute.details).toMatchObject({ status: 405, message: "Invalid attribute" });
    const event = await failure(c.viewEventReferences(unknown));
    expect(event.details).toMatchObject({ status: 404, message: "Invalid event" });
    const reference = await failure(c.addReference(unknown, crypto.randomUUID(), "related-to"));
    expect(reference.details).toMatchObject({ status: 404, message: "Invalid object." });
  });

  it("keeps MISP's validation errors in details and in the message", async () => {
    const misp = await standin();
    const event = misp.seedEvent();
    const { client: c } = client(misp.url);
    const error = await failure(c.addAttribute(event.uuid, { uuid: crypto.randomUUID(), type: "ip-dst", value: "not-an-ip", toIds: false, comment: "", distribution: 5, tags: [] }));
    expect(error.code).toBe("ENRICHD_MISP_REJECTED");
    expect(error.details.errors).toEqual({ value: ["IP address has an invalid format."] });
    expect(error.message).toContain("IP address has an invalid format.");
  });

  it.each([500, 502, 503, 429])("maps HTTP %i to a retriable ENRICHD_MISP_UNAVAILABLE", async (status) => {
    const misp = await standin();
    misp.failNext(1, status);
    const { client: c, metrics } = client(misp.url);
    const error = await failure(c.getVersion());
    expect(error.code).toBe("ENRICHD_MISP_UNAVAILABLE");
    expect(isRetriable(error)).toBe(true);
    expect(error.details.status).toBe(status);
    expect(metrics.get("misp_enrichd_misp_requests_total", { endpoint: "servers/getVersion", outcome: "unavailable" })).toBe(1);
    expect((await c.getVersion()).version).toBe("2.5.1");
  });

  it("gives up after timeoutMs with a retriable ENRICHD_MISP_UNAVAILABLE", async () => {
    const misp = await standin();
    misp.failNext(1, "hang");
    const { client: c } = client(misp.url, { timeoutMs: 150 });
    const error = await failure(c.getSelf());
    expect(error.code).toBe("ENRICHD_MISP_UNAVAILABLE");
    expect(error.details).toMatchObject({ timedOut: true, timeoutMs: 150 });
    expect(error.message).toContain("did not answer within 150 ms");
  });

  it("reports a MISP that cannot be reached as retriable", async () => {
    const misp = await standin();
    const url = misp.url;
    await misp.close();
    const { client: c } = client(url);
    const error = await failure(c.getVersion());
    expect(error.code).toBe("ENRICHD_MISP_UNAVAILABLE");
    expect(error.details.timedOut).toBe(false);
    expect(isRetriable(error)).toBe(true);
  });

  it("passes the caller's abort through untouched", async () => {
    const misp = await standin();
    misp.failNext(1, "hang");
    const { client: c } = client(misp.url);
    const controller = new AbortController();
    const pending = c.getVersion(controller.signal);
    controller.abort(new Error("shutting down"));
    await expect(pending).rejects.toThrow("shutting down");
  });

  it("does not follow MISP's redirect to the login page and says why", async () => {
    const url = await rawServer((_req, res) => {
      res.writeHead(302, { location: "http://misp.example/users/login", "content-type": "text/html; charset=UTF-8" });
      res.end();
    });
    const { client: c } = client(url);
    const error = await failure(c.getVersion());
    expect(error.code).toBe("ENRICHD_MISP_RESPONSE_INVALID");
    expect(error.details).toMatchObject({ status: 302, location: "http://misp.example/users/login" });
    expect(isRetriable(error)).toBe(false);
  });

  it("refuses a 200 that is not JSON, and a legacy 200 carrying saved:false", async () => {
    let legacy = false;
    const url = await rawServer((_req, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(legacy ? JSON.stringify({ saved: false, errors: "Tag could not be added." }) : "<html>login</html>");
    });
    const { client: c } = client(url);
    expect((await failure(c.getVersion())).code).toBe("ENRICHD_MISP_RESPONSE_INVALID");
    legacy = true;
    const rejected = await failure(c.attachTags(crypto.randomUUID(), ["x"], true));
    expect(rejected.code).toBe("ENRICHD_MISP_REJECTED");
    expect(rejected.details.errors).toBe("Tag could not be added.");
  });

  it("checks the 2xx answers of writes whose body it does not read: HTML, torn JSON and saved:false still fail", async () => {
    let answer = "";
    const url = await rawServer((_req, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(answer);
    });
    const { client: c } = client(url);
    const object = { uuid: crypto.randomUUID(), name: "geolocation", metaCategory: "misc", description: "d", templateUuid: GEO_TEMPLATE, templateVersion: "8", comment: "c", distribution: 5, attributes: [] };
    const event = crypto.randomUUID();
    answer = JSON.stringify({ Object: { uuid: object.uuid, Attribute: [{ value: "says \"saved\" in a value" }] } });
    expect(await c.addObject(event, object)).toBe("created");
    answer = "";
    expect(await c.addObject(event, object)).toBe("created");
    for (const bad of ["<html>login</html>", '{"Object": {"uuid": "torn', "  [1, 2"]) {
      answer = bad;
      expect((await failure(c.addObject(event, object))).code, bad).toBe("ENRICHD_MISP_RESPONSE_INVALID");
      expect((await failure(c.addReference(object.uuid, crypto.randomUUID(), "related-to"))).code, bad).toBe("ENRICHD_MISP_RESPONSE_INVALID");
    }
    answer = JSON.stringify({ saved: false, errors: "Object could not be saved." });
    const rejected = await failure(c.addObject(event, object));
    expect(rejected.code).toBe("ENRICHD_MISP_REJECTED");
    expect(rejected.details.errors).toBe("Object could not be saved.");
    expect((await failure(c.editAttribute(crypto.randomUUID(), { distribution: 0 }))).code).toBe("ENRICHD_MISP_REJECTED");
  });

  it("never lets the API key reach a log line or an error, even when a server echoes it", async () => {
    const url = await rawServer((req, res) => {
      const status = req.url?.includes("getVersion") ? 400 : 503;
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify({ name: `bad key ${String(req.headers.authorization)}`, message: `bad key ${String(req.headers.authorization)}`, url: "/", errors: { key: [String(req.headers.authorization)] } }));
    });
    const { client: c, logs } = client(url);
    const errors = [await failure(c.getVersion()), await failure(c.getSelf())];
    const misp = await standin({ key: "another-key-0000000000000000000000000000" });
    const other = client(misp.url);
    errors.push(await failure(other.client.getVersion()));
    for (const error of errors) {
      expect(error.message).not.toContain(KEY);
      expect(JSON.stringify(error.details)).not.toContain(KEY);
    }
    expect(errors[0]?.message).toContain("bad key [redacted]");
    expect(logs.lines().length).toBeGreaterThan(0);
    expect(logs.text()).not.toContain(KEY);
    expect(other.logs.text()).not.toContain(KEY);
  });
});
