import { describe, it, expect, inject } from "vitest";
import { attribute, query, relations, GENERIC_ERROR, type StandardResults } from "./helpers.js";

const ctx = inject("mispModules");

const V3 = "vugqd7hwj3rgope5bi7cj2vvsahm5l3agevcgnfxv2rbjlb42ueqaaid.onion";
const V2 = "expyuzz4wqqyqhjn.onion";

describe.skipIf(ctx === undefined)("the real onion_lookup, overridden to use the onion-lookup stand-in", () => {
  const url = ctx?.url ?? "";

  it.each([
    [V3, ['dark-web:topic="legitimate"', 'dark-web:motivation="information-sharing-reportage"', 'infoleak:automatic-detection="onion"'], ["en"]],
    [V2, ['dark-web:topic="legitimate"', 'infoleak:automatic-detection="onion"'], ["en", "de"]],
  ])("tags the input and adds a tor-hiddenservice object for %s", async (onion, tags, languages) => {
    const input = attribute("onion-address", onion);
    const answer = await query(url, { module: "onion_lookup", event_id: "1", attribute: input });
    expect(answer.status).toBe(200);
    expect(answer.contentType).toBe("text/html; charset=UTF-8");
    const { results } = answer.body as StandardResults;
    const tagList = tags.map((name) => ({ name }));

    // The input comes back with the same uuid and the onion's tags: tag the source, add nothing.
    expect(results.Attribute).toEqual([expect.objectContaining({ uuid: input.uuid, value: onion, comment: "", Tag: tagList })]);
    expect(results.Object).toHaveLength(1);
    const service = results.Object![0]!;
    expect(service.name).toBe("tor-hiddenservice");
    expect(service.ObjectReference).toEqual([
      expect.objectContaining({ object_uuid: service.uuid, referenced_uuid: input.uuid, relationship_type: "expanded-from" }),
    ]);
    expect(service.Attribute.find((a) => a.object_relation === "address")).toMatchObject({ value: onion, Tag: tagList });
    expect(service.Attribute.filter((a) => a.object_relation === "language").map((a) => a.value)).toEqual(languages);
    expect(relations(service)).toHaveProperty("first-seen", expect.stringMatching(/^\d{4}-\d{2}-\d{2}T00:00:00$/));
    // The comment names the upstream it used: proof the override sent the server to our stand-in.
    expect(service.comment).toBe(`Enriched via onion-lookup: ${ctx?.onionUrl}/api/lookup/${onion}`);
  });

  it("answers the generic error for an onion the service does not know", async () => {
    const input = attribute("onion-address", `${"a".repeat(56)}.onion`);
    const answer = await query(url, { module: "onion_lookup", attribute: input });
    expect(answer).toMatchObject({ status: 200, body: GENERIC_ERROR });
  });
});
