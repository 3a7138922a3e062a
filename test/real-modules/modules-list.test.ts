import { describe, it, expect, inject } from "vitest";
import { getJson } from "./helpers.js";

const ctx = inject("mispModules");

interface Descriptor {
  name: string;
  type: string;
  mispattributes: { input?: string[]; format?: string };
  meta: { config?: unknown; "module-type"?: string[] };
}

describe.skipIf(ctx === undefined)("the real misp-modules server: discovery", () => {
  const url = ctx?.url ?? "";

  it("answers /healthcheck with status true, labelled text/html", async () => {
    const answer = await getJson(`${url}/healthcheck`);
    expect(answer).toEqual({ status: 200, contentType: "text/html; charset=UTF-8", body: { status: true } });
  });

  it("is the pinned 3.1.0 from PyPI", async () => {
    expect((await getJson(`${url}/version`)).body).toEqual({ version: "3.1.0" });
  });

  it("lists mmdb_lookup, onion_lookup and geoip_city as misp_standard expansion modules with their inputs", async () => {
    const answer = await getJson(`${url}/modules`);
    expect(answer.status).toBe(200);
    expect(answer.contentType).toBe("text/html; charset=UTF-8");
    const modules = answer.body as Descriptor[];
    const byName = (name: string): Descriptor[] => modules.filter((m) => m.name === name);

    expect(byName("mmdb_lookup")).toEqual([
      expect.objectContaining({
        type: "expansion",
        mispattributes: { input: ["ip-src", "ip-src|port", "ip-dst", "ip-dst|port"], format: "misp_standard" },
        meta: expect.objectContaining({ config: ["custom_API", "db_source_filter", "max_country_info_qt"] }),
      }),
    ]);
    expect(byName("geoip_city")).toEqual([
      expect.objectContaining({
        type: "expansion",
        mispattributes: { input: ["ip-src", "ip-dst", "domain|ip"], format: "misp_standard" },
        meta: expect.objectContaining({ config: ["local_geolite_db"] }),
      }),
    ]);
    // Our -c override replaces the built-in module under the same name: listed once, same descriptor.
    expect(byName("onion_lookup")).toEqual([
      expect.objectContaining({
        type: "expansion",
        mispattributes: { input: ["onion-address"], format: "misp_standard" },
        meta: expect.objectContaining({ config: [], "module-type": ["expansion", "hover"] }),
      }),
    ]);
  });
});
