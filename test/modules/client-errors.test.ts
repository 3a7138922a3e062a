import { describe, it, expect, vi } from "vitest";
import { createServer, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { MODULE_QUERIES_METRIC } from "../../src/modules/client.js";
import { answerTornado, fixtureText, makeAttribute, makeClient, rejectionOf, startModuleServer } from "./helpers.js";

const TORNADO_500 = fixtureText("pypi-3.1.0/tornado-500.html");

/** A module server whose /query always answers `status` and `body`, labelled text/html. */
function answering(status: number, body: string) {
  return startModuleServer((_req, res) => answerTornado(res, status, body));
}

describe("modules client: what a /query answer means", () => {
  it("parses JSON labelled text/html", async () => {
    const server = await answering(200, '{"results":{"Attribute":[{"type":"text","value":"hi","uuid":"u-2"}]}}');
    const { client } = makeClient(server.url);
    const result = await client.query("mmdb_lookup", makeAttribute());
    expect(result.attributes).toEqual([{ type: "text", value: "hi", tags: [] }]);
  });

  it("turns {error: 'Timeout.'} into a retriable ENRICHD_MODULE_TIMEOUT", async () => {
    const server = await answering(200, '{"error":"Timeout."}');
    const { client, metrics } = makeClient(server.url);
    const error = await rejectionOf(client.query("mmdb_lookup", makeAttribute()));
    expect([error.code, error.retriable]).toEqual(["ENRICHD_MODULE_TIMEOUT", true]);
    expect(metrics.get(MODULE_QUERIES_METRIC, { module: "mmdb_lookup", outcome: "timeout" })).toBe(1);
  });

  it("turns any other {error} into a final ENRICHD_MODULE_ERROR carrying the module's message and the input", async () => {
    const server = await answering(200, '{"error":"Something went wrong, look in the server logs for details"}');
    const { client } = makeClient(server.url);
    const error = await rejectionOf(client.query("mmdb_lookup", makeAttribute({ value: "8.8.4.4" })));
    expect(error.code).toBe("ENRICHD_MODULE_ERROR");
    expect(error.retriable).toBe(false);
    expect(error.message).toContain("Something went wrong, look in the server logs for details");
    expect(error.details).toMatchObject({ module: "mmdb_lookup", attributeType: "ip-dst", value: "8.8.4.4" });
  });

  it("turns a module's 'nothing found' into ENRICHD_MODULE_NOTHING_FOUND, with the module's words", async () => {
    const server = await answering(200, '{"error":"NXDOMAIN"}');
    const { client, metrics } = makeClient(server.url);
    const error = await rejectionOf(client.query("dns", makeAttribute({ type: "hostname", value: "nowhere.example" })));
    expect([error.code, error.retriable, error.message]).toEqual(["ENRICHD_MODULE_NOTHING_FOUND", false, "module dns found nothing for nowhere.example: NXDOMAIN"]);
    expect(error.details).toMatchObject({ module: "dns", value: "nowhere.example", moduleMessage: "NXDOMAIN" });
    expect(metrics.get(MODULE_QUERIES_METRIC, { module: "dns", outcome: "nothing_found" })).toBe(1);
  });

  it("turns a bare false into ENRICHD_MODULE_ERROR", async () => {
    const server = await answering(200, "false");
    const { client } = makeClient(server.url);
    const error = await rejectionOf(client.query("dns", makeAttribute({ type: "hostname", value: "circl.lu" })));
    expect([error.code, error.message]).toEqual(["ENRICHD_MODULE_ERROR", "module dns found none of its input"]);
  });

  it("turns Tornado's 500 page into a retriable ENRICHD_MODULE_UNAVAILABLE", async () => {
    const server = await answering(500, TORNADO_500);
    const { client, metrics } = makeClient(server.url);
    const error = await rejectionOf(client.query("mmdb_lookup", makeAttribute()));
    expect([error.code, error.retriable, error.details.status]).toEqual(["ENRICHD_MODULE_UNAVAILABLE", true, 500]);
    expect(metrics.get(MODULE_QUERIES_METRIC, { module: "mmdb_lookup", outcome: "unavailable" })).toBe(1);
  });

  it("carries a 429's or 503's Retry-After as details.retryAfterMs, and no other status's", async () => {
    for (const [status, expected] of [[429, 2_000], [503, 2_000], [500, undefined]] as const) {
      const server = await startModuleServer((_req, res) => {
        res.writeHead(status, { "Content-Type": "text/html; charset=UTF-8", "Retry-After": "2" });
        res.end("busy");
      });
      const { client } = makeClient(server.url);
      const error = await rejectionOf(client.query("mmdb_lookup", makeAttribute()));
      expect([error.code, error.details.retryAfterMs]).toEqual(["ENRICHD_MODULE_UNAVAILABLE", expected]);
    }
  });

  it("turns an unparseable 200 into ENRICHD_MODULE_RESPONSE_INVALID", async () => {
    const server = await answering(200, "<html>surprise</html>");
    const { client } = makeClient(server.url);
    const error = await rejectionOf(client.query("mmdb_lookup", makeAttribute()));
    expect([error.code, error.retriable]).toEqual(["ENRICHD_MODULE_RESPONSE_INVALID", false]);
  });

  it("turns a 200 of the wrong shape into ENRICHD_MODULE_RESPONSE_INVALID", async () => {
    const server = await answering(200, '{"data":true}');
    const { client, metrics } = makeClient(server.url);
    expect((await rejectionOf(client.query("mmdb_lookup", makeAttribute()))).code).toBe("ENRICHD_MODULE_RESPONSE_INVALID");
    expect(metrics.get(MODULE_QUERIES_METRIC, { module: "mmdb_lookup", outcome: "invalid" })).toBe(1);
  });

  it("treats a 404 (a wrong base URL) as a final error", async () => {
    const server = await answering(404, "<html><title>404: Not Found</title></html>");
    const { client } = makeClient(server.url);
    const error = await rejectionOf(client.query("mmdb_lookup", makeAttribute()));
    expect([error.code, error.retriable]).toEqual(["ENRICHD_MODULE_RESPONSE_INVALID", false]);
  });
});

describe("modules client: transport failures", () => {
  it("says ENRICHD_MODULE_UNAVAILABLE when nothing listens", async () => {
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
    const { port } = probe.address() as AddressInfo;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const { client } = makeClient(`http://127.0.0.1:${port}`);
    const error = await rejectionOf(client.query("mmdb_lookup", makeAttribute()));
    expect([error.code, error.retriable, error.details.errorCode]).toEqual(["ENRICHD_MODULE_UNAVAILABLE", true, "ECONNREFUSED"]);
    expect((await rejectionOf(client.list())).code).toBe("ENRICHD_MODULE_UNAVAILABLE");
  });

  it("says ENRICHD_MODULE_UNAVAILABLE when the server resets the connection", async () => {
    const server = await startModuleServer((_req, res) => res.socket?.destroy());
    const { client } = makeClient(server.url);
    const error = await rejectionOf(client.query("mmdb_lookup", makeAttribute()));
    expect([error.code, error.retriable]).toEqual(["ENRICHD_MODULE_UNAVAILABLE", true]);
  });

  it("gives up after timeoutMs with ENRICHD_MODULE_TIMEOUT while the server still works", async () => {
    const held: ServerResponse[] = [];
    const server = await startModuleServer((_req, res) => held.push(res));
    const { client, metrics } = makeClient(server.url, { timeoutMs: 200 });
    const error = await rejectionOf(client.query("mmdb_lookup", makeAttribute()));
    expect([error.code, error.retriable, error.details.timeoutMs]).toEqual(["ENRICHD_MODULE_TIMEOUT", true, 200]);
    expect(metrics.get(MODULE_QUERIES_METRIC, { module: "mmdb_lookup", outcome: "timeout" })).toBe(1);
    // The server answers eventually, to nobody: the client must not care.
    for (const res of held) answerTornado(res, 200, '{"results":{}}');
  });

  it("gives up when the caller's signal aborts, with a retriable ENRICHD_MODULE_TIMEOUT", async () => {
    const held: ServerResponse[] = [];
    const server = await startModuleServer((_req, res) => held.push(res));
    const { client } = makeClient(server.url);
    const controller = new AbortController();
    const pending = rejectionOf(client.query("mmdb_lookup", makeAttribute(), { signal: controller.signal }));
    await vi.waitFor(() => expect(held).toHaveLength(1));
    controller.abort(new Error("shutting down"));
    const error = await pending;
    expect([error.code, error.retriable, error.details.aborted]).toEqual(["ENRICHD_MODULE_TIMEOUT", true, true]);
    for (const res of held) answerTornado(res, 200, '{"results":{}}');
  });

  it("never sends a query whose signal aborted while it waited for a slot", async () => {
    const held: ServerResponse[] = [];
    const server = await startModuleServer((_req, res) => held.push(res));
    const { client } = makeClient(server.url, { concurrency: 1 });
    const first = client.query("mmdb_lookup", makeAttribute({ value: "1.1.1.1" }));
    await vi.waitFor(() => expect(held).toHaveLength(1));
    const controller = new AbortController();
    const queued = rejectionOf(client.query("mmdb_lookup", makeAttribute({ value: "9.9.9.9" }), { signal: controller.signal }));
    controller.abort();
    expect((await queued).code).toBe("ENRICHD_MODULE_TIMEOUT");
    for (const res of held) answerTornado(res, 200, '{"results":{}}');
    await first;
    const sent = server.received.filter((r) => r.path === "/query");
    const queries = sent.map((r) => (JSON.parse(r.body) as { attribute: { value: string } }).attribute.value);
    expect(queries).toEqual(["1.1.1.1"]);
  });
});
