import { createServer, type Socket } from "node:net";
import { once } from "node:events";
import { describe, it, expect, inject, onTestFinished, vi } from "vitest";
import { request } from "undici";
import { startMmdbServer, startRealModules } from "@misp-enrichd/standins";
import { attribute, getJson, query, type StandardResults } from "./helpers.js";

const ctx = inject("mispModules");

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Accepts connections and never answers: the upstream that pins a misp-modules worker thread. */
async function startSilentUpstream(): Promise<{ url: string; accepted: () => number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => sockets.add(socket));
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    accepted: () => sockets.size,
    async close() {
      for (const socket of sockets) socket.destroy();
      server.close();
      await once(server, "close");
    },
  };
}

// Each test runs a server of its own: the shared one must never go away under other files' tests.
describe.skipIf(ctx === undefined)("startRealModules", () => {
  const venv = ctx?.venv ?? "";

  it("answers on the same URL after a restart in place and after stop then restart", async () => {
    const server = await startRealModules({ venv });
    onTestFinished(() => server.stop());
    const mmdb = await startMmdbServer();
    onTestFinished(() => mmdb.close());
    const { url } = server;

    const firstPid = server.pid;
    await server.restart();
    expect(isAlive(firstPid)).toBe(false);
    expect(server.url).toBe(url);
    expect((await getJson(`${url}/healthcheck`)).body).toEqual({ status: true });

    const secondPid = server.pid;
    await server.stop();
    expect(isAlive(secondPid)).toBe(false);
    await expect(request(`${url}/healthcheck`)).rejects.toMatchObject({ code: "ECONNREFUSED" });

    await server.restart();
    expect(server.pid).not.toBe(secondPid);
    const answer = await query(url, {
      module: "mmdb_lookup",
      attribute: attribute("ip-dst", "8.8.8.8"),
      config: { custom_API: mmdb.url },
    });
    expect((answer.body as StandardResults).results.Object).toHaveLength(1);
  });

  it("is gone at once after kill() and answers on the same URL after restart()", async () => {
    const server = await startRealModules({ venv });
    onTestFinished(() => server.stop());
    const { url, pid } = server;
    await server.kill();
    expect(isAlive(pid)).toBe(false);
    await expect(request(`${url}/healthcheck`)).rejects.toMatchObject({ code: "ECONNREFUSED" });
    await server.restart();
    expect(server.pid).not.toBe(pid);
    expect((await getJson(`${url}/healthcheck`)).body).toEqual({ status: true });
  });

  it("kills a server whose module is stuck on a silent upstream", async () => {
    const silent = await startSilentUpstream();
    onTestFinished(() => silent.close());
    const server = await startRealModules({ venv, stopTimeoutMs: 300 });
    onTestFinished(() => server.stop());
    const pending = query(server.url, {
      module: "mmdb_lookup",
      attribute: attribute("ip-dst", "8.8.8.8"),
      config: { custom_API: silent.url },
    }).catch((error: unknown) => error);
    await vi.waitFor(() => expect(silent.accepted()).toBe(1));

    // Python joins the pinned worker thread at exit, so SIGTERM alone would wait for the upstream forever.
    await server.stop();
    expect(isAlive(server.pid)).toBe(false);
    expect(await pending).toBeInstanceOf(Error);
  });

  it("fails fast with the server's own output when it exits during start-up", async () => {
    // A -c folder that does not exist makes misp-modules exit 1 at start-up (modules.md §8).
    const start = startRealModules({ venv, customDir: "/nonexistent/misp-modules-custom", readyTimeoutMs: 25_000 });
    await expect(start).rejects.toThrow(/exited \(exit code 1\) before it was ready:\n[\s\S]*nonexistent/);
  });

  it("refuses a port that is already taken instead of talking to whoever holds it", async () => {
    const squatter = await startSilentUpstream();
    onTestFinished(() => squatter.close());
    const port = Number(new URL(squatter.url).port);
    await expect(startRealModules({ venv, port })).rejects.toThrow(/exited \(exit code 1\)[\s\S]*Could not listen/);
  });
});
