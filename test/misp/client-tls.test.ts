// TLS to MISP: a private CA from caFile is trusted on top of the public roots; without it the
// self-signed test certificate (test/fixtures/misp/tls, a test-only key) is refused.

import { readFileSync } from "node:fs";
import { createServer } from "node:https";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import { describe, expect, it, onTestFinished } from "vitest";
import { EnrichdError } from "../../src/errors.js";
import { client } from "./helpers.js";

const TLS = new URL("../fixtures/misp/tls/", import.meta.url);
const CERT = fileURLToPath(new URL("cert.pem", TLS));

async function httpsMisp(): Promise<string> {
  const server = createServer({ key: readFileSync(new URL("key.pem", TLS)), cert: readFileSync(CERT) }, (req, res) => {
    req.resume();
    res.writeHead(200, { "content-type": "application/json; charset=UTF-8" });
    res.end(JSON.stringify({ version: "2.5.1", perm_sync: false, perm_sighting: true }));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  onTestFinished(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  return `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe("MISP client over TLS", () => {
  it("refuses a certificate it cannot verify", async () => {
    const url = await httpsMisp();
    const error = await client(url).client.getVersion().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EnrichdError);
    expect(error).toMatchObject({ code: "ENRICHD_MISP_UNAVAILABLE" });
    expect((error as Error).message).toMatch(/certificate/i);
  });

  it("trusts the CA in caFile", async () => {
    const url = await httpsMisp();
    expect((await client(url, { caFile: CERT }).client.getVersion()).version).toBe("2.5.1");
  });

  it("skips verification only when told to", async () => {
    const url = await httpsMisp();
    expect((await client(url, { rejectUnauthorized: false }).client.getVersion()).version).toBe("2.5.1");
  });
});
