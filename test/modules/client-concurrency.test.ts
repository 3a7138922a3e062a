import { describe, it, expect, vi } from "vitest";
import type { ServerResponse } from "node:http";
import { answerTornado, makeAttribute, makeClient, startModuleServer } from "./helpers.js";

describe("modules client: concurrency", () => {
  it("never has more than `concurrency` queries open at the server, and starts the rest in order", async () => {
    const limit = 3;
    const total = 20;
    const held: ServerResponse[] = [];
    let open = 0;
    let maxOpen = 0;
    let arrivals: string[] = [];
    const rounds: string[][] = [];
    const server = await startModuleServer((request, res) => {
      open += 1;
      maxOpen = Math.max(maxOpen, open);
      arrivals.push((JSON.parse(request.body) as { attribute: { value: string } }).attribute.value);
      res.on("finish", () => (open -= 1));
      held.push(res);
    });
    const { client } = makeClient(server.url, { concurrency: limit });

    const values = Array.from({ length: total }, (_, i) => `192.0.2.${i + 1}`);
    const queries = values.map((value) => client.query("mmdb_lookup", makeAttribute({ value })));

    // Release whatever the server holds, round after round; each round must fill the limit again.
    let answered = 0;
    while (answered < total) {
      const expected = Math.min(limit, total - answered);
      await vi.waitFor(() => expect(held).toHaveLength(expected));
      rounds.push(arrivals.sort());
      arrivals = [];
      for (const res of held.splice(0)) answerTornado(res, 200, '{"results":{}}');
      answered += expected;
    }
    await Promise.all(queries);

    expect(maxOpen).toBe(limit);
    // Several connections may deliver one round in any order, but each round is the next slice in FIFO order.
    const slices = Array.from({ length: Math.ceil(total / limit) }, (_, i) => values.slice(i * limit, (i + 1) * limit).sort());
    expect(rounds).toEqual(slices);
  });

  it("defaults to 8 open queries, below the real server's 10 workers", async () => {
    const held: ServerResponse[] = [];
    let hold = true;
    const server = await startModuleServer((_request, res) => (hold ? held.push(res) : answerTornado(res, 200, '{"results":{}}')));
    const queryCount = (): number => server.received.filter((r) => r.path === "/query").length;
    const { client } = makeClient(server.url);
    const queries = Array.from({ length: 12 }, (_, i) => client.query("mmdb_lookup", makeAttribute({ value: `192.0.2.${i + 1}` })));
    await vi.waitFor(() => expect(held).toHaveLength(8));
    // The four others wait in the client: answering one lets exactly one more in.
    answerTornado(held.shift() as ServerResponse, 200, '{"results":{}}');
    await vi.waitFor(() => expect(queryCount()).toBe(9));
    expect(held).toHaveLength(8);
    hold = false;
    for (const res of held.splice(0)) answerTornado(res, 200, '{"results":{}}');
    await Promise.all(queries);
    expect(queryCount()).toBe(12);
  });
});
