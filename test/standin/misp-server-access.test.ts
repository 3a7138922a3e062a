// The stand-in's first decisions, in MISP's order (rest.md §0, docs/real-misp-observations.md a3-a5):
// REST or not, the key, the JSON body, the route, the role.

import { describe, expect, it } from "vitest";
import { KEY, standin } from "../misp/helpers.js";
import { call, keys, numbersIn } from "./helpers.js";

const AUTH_FAILED = "Authentication failed. Please make sure you pass the API key of an API enabled user along in the Authorization header.";

describe("MISP stand-in: access rules", () => {
  it("answers application/json, with or without a charset, and the .json extension", async () => {
    const misp = await standin();
    for (const accept of ["application/json", "application/json; charset=utf-8"]) {
      const answer = await call(misp.url, "GET", "/servers/getVersion", undefined, { accept });
      expect(answer.status).toBe(200);
      expect(answer.headers["content-type"]).toBe("application/json; charset=UTF-8");
      expect(keys(answer.json)).toEqual(["version", "pymisp_recommended_version", "perm_sync", "perm_sighting", "perm_galaxy_editor", "perm_analyst_data", "uuid", "request_encoding", "filter_sightings"]);
    }
    expect((await call(misp.url, "GET", "/servers/getVersion.json", undefined, { accept: undefined })).status).toBe(200);
  });

  it("sends any other Accept, or none, to the login page before looking at the key", async () => {
    const misp = await standin();
    for (const accept of ["text/html", "*/*", undefined]) {
      for (const authorization of [KEY, "wrong"]) {
        const answer = await call(misp.url, "GET", "/users/view/me", undefined, { accept, authorization });
        expect(answer.status).toBe(302);
        expect(answer.headers.location).toBe(`${misp.url}/users/login`);
        expect(answer.text).toBe("");
      }
    }
  });

  it("authenticates restSearch (an automation action) whatever the Accept", async () => {
    const misp = await standin();
    expect((await call(misp.url, "POST", "/attributes/restSearch", { returnFormat: "json" }, { accept: "*/*" })).status).toBe(200);
    expect((await call(misp.url, "POST", "/attributes/restSearch", { returnFormat: "json" }, { accept: "*/*", authorization: "wrong" })).status).toBe(403);
  });

  it("refuses a wrong, missing, Bearer or Basic key with MISP's 403 body", async () => {
    const misp = await standin();
    for (const authorization of ["wrong", undefined, `Bearer ${KEY}`, `Basic ${KEY}`]) {
      const answer = await call(misp.url, "GET", "/servers/getVersion", undefined, { authorization });
      expect(answer.status).toBe(403);
      expect(answer.json).toEqual({ name: AUTH_FAILED, message: AUTH_FAILED, url: "/servers/getVersion" });
    }
  });

  it("takes X-MISP-AUTH over Authorization, and one of several comma-separated keys", async () => {
    const misp = await standin();
    expect((await call(misp.url, "GET", "/servers/getVersion", undefined, { authorization: "wrong", "x-misp-auth": KEY })).status).toBe(200);
    expect((await call(misp.url, "GET", "/servers/getVersion", undefined, { authorization: KEY, "x-misp-auth": "wrong" })).status).toBe(403);
    expect((await call(misp.url, "GET", "/servers/getVersion", undefined, { authorization: `other, ${KEY}` })).status).toBe(200);
  });

  it("refuses a body that is not JSON with 405", async () => {
    const misp = await standin();
    const answer = await call(misp.url, "POST", "/tags/attachTagToObject", "{not json");
    expect(answer.status).toBe(405);
    expect((answer.json as { name: string }).name).toMatch(/^Invalid JSON input/);
  });

  it("answers an unknown action with a 404 Not Found and a wrong method with 405", async () => {
    const misp = await standin();
    expect(await call(misp.url, "GET", "/nothing/here")).toMatchObject({ status: 404, json: { name: "Not Found", message: "Not Found", url: "/nothing/here" } });
    const get = await call(misp.url, "GET", "/tags/attachTagToObject");
    expect(get).toMatchObject({ status: 405, json: { name: "This method is only accessible via POST requests." } });
  });

  it("refuses an action the role lacks with MISP's permission message", async () => {
    const misp = await standin({ role: { permTagger: false } });
    const answer = await call(misp.url, "POST", "/tags/attachTagToObject", { uuid: crypto.randomUUID(), tag: "x", local: 1 });
    expect(answer).toMatchObject({ status: 403, json: { name: "You do not have permission to use this functionality." } });
  });

  it("describes the key's user, role and organisation with string ids and no key", async () => {
    const misp = await standin({ orgId: 2, hostOrgId: 1 });
    const answer = await call(misp.url, "GET", "/users/view/me");
    expect(answer.status).toBe(200);
    expect(keys(answer.json)).toEqual(["User", "Role", "UserSetting", "Organisation"]);
    const me = answer.json as { User: Record<string, unknown>; Role: Record<string, unknown>; UserSetting: unknown };
    expect(me.User).toMatchObject({ id: "7", org_id: "2", password: "*****" });
    expect(me.User).not.toHaveProperty("authkey");
    expect(me.UserSetting).toEqual([]);
    expect(me.Role).toMatchObject({ perm_add: true, perm_tagger: true, perm_site_admin: false });
    expect(numbersIn(answer.json)).toEqual([]);
    expect((await call(misp.url, "GET", "/users/view/1")).status).toBe(404);
  });

  it("shows the instance uuid in getVersion to sync users only", async () => {
    const plain = await standin();
    expect((await call(plain.url, "GET", "/servers/getVersion")).json).toMatchObject({ perm_sync: false, uuid: "-" });
    const sync = await standin({ role: { permSync: true } });
    expect((await call(sync.url, "GET", "/servers/getVersion")).json).toMatchObject({ perm_sync: true, uuid: expect.stringMatching(/^[0-9a-f-]{36}$/) });
  });

  it("fails the next requests on demand, optionally only on matching paths, then recovers", async () => {
    const misp = await standin();
    misp.failNext(1, 503);
    misp.failNext(1, 429, "/users/");
    const unavailable = await call(misp.url, "GET", "/servers/getVersion");
    expect(unavailable.status).toBe(503);
    expect(unavailable.headers["content-type"]).toBe("text/html");
    expect((await call(misp.url, "GET", "/servers/getVersion")).status).toBe(200);
    const limited = await call(misp.url, "GET", "/users/view/me");
    expect(limited).toMatchObject({ status: 429, json: { name: "Rate limit exceeded.", url: "/users/view" } });
    misp.failNext(1, 500);
    expect(await call(misp.url, "GET", "/servers/getVersion")).toMatchObject({ status: 500, json: { name: "An Internal Error Has Occurred." } });
    expect(misp.calls.map((c) => c.status)).toEqual([503, 200, 429, 500]);
  });

  it("records every call with its parsed body and status", async () => {
    const misp = await standin();
    await call(misp.url, "POST", "/attributes/restSearch", { returnFormat: "json", type: "ip-dst" });
    expect(misp.calls).toEqual([
      expect.objectContaining({ method: "POST", path: "/attributes/restSearch", body: { returnFormat: "json", type: "ip-dst" }, status: 200 }),
    ]);
  });
});
