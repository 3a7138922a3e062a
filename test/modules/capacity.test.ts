import { describe, expect, it } from "vitest";
import { judgeCapacity, looksLikeStockServer } from "../../src/modules/capacity.js";

describe("judgeCapacity", () => {
  it("warns above 9 queries in flight against a server that names itself Tornado, and not at 9", () => {
    expect(judgeCapacity("http://m:6666", 10, "TornadoServer/6.4.1")?.text).toMatch(/^modules\.concurrency is 10, but http:\/\/m:6666 answers as one misp-modules instance \(Server: TornadoServer\/6\.4\.1\)/);
    expect(judgeCapacity("http://m:6666", 9, "TornadoServer/6.4.1")).toBeUndefined();
  });

  it("trusts a load balancer or proxy in front, whose Server header is its own", () => {
    expect(judgeCapacity("http://farm", 256, "nginx/1.24.0")).toBeUndefined();
    expect(judgeCapacity("http://farm", 256, undefined)).toBeUndefined();
  });

  it("recognises Tornado's header however it is spelled", () => {
    expect(looksLikeStockServer("TornadoServer/6.6.1")).toBe(true);
    expect(looksLikeStockServer(" tornadoserver ")).toBe(true);
    expect(looksLikeStockServer("TornadoServerless")).toBe(false);
    expect(looksLikeStockServer("Apache")).toBe(false);
  });
});
