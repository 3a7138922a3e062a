import { describe, it, expect } from "vitest";
import { parseFilterQuery, permittedQueries } from "../../src/route/filter-query.js";

describe("parseFilterQuery", () => {
  it("parses a kind alone and a kind with an action", () => {
    expect(parseFilterQuery("publish")).toEqual({ kind: "publish" });
    expect(parseFilterQuery("attribute:add")).toEqual({ kind: "attribute", action: "add" });
    expect(parseFilterQuery("tag:attached-to-attribute")).toEqual({ kind: "tag", action: "attached-to-attribute" });
    expect(parseFilterQuery("object-reference:soft-delete")).toEqual({ kind: "object-reference", action: "soft-delete" });
  });

  it("refuses an unknown kind, listing every kind", () => {
    expect(() => parseFilterQuery("attributes:add")).toThrow(
      expect.objectContaining({
        code: "ENRICHD_SUBSCRIBER_INVALID",
        message: expect.stringMatching(/kind "attributes"\. Permitted values are: attribute, object, object-reference, tag, event, publish, sighting/),
      }),
    );
  });

  it("refuses an action the kind lacks, listing the kind's queries", () => {
    expect(() => parseFilterQuery("sighting:edit")).toThrow(
      'filter query "sighting:edit": sighting has no action "edit". Permitted values are: sighting, sighting:add, sighting:delete',
    );
  });

  it("suggests the normalised spelling of MISP's raw action words", () => {
    expect(() => parseFilterQuery("tag:attached to attribute")).toThrow(/did you mean "tag:attached-to-attribute"\?/);
    expect(() => parseFilterQuery("event:manual_publish")).toThrow(/did you mean "event:manual-publish"\?/);
  });

  it("refuses an empty query, an empty action and a non-string", () => {
    expect(() => parseFilterQuery("")).toThrow(/Permitted values are/);
    expect(() => parseFilterQuery("attribute:")).toThrow(/attribute has no action ""/);
    expect(() => parseFilterQuery(42 as unknown as string)).toThrow(/42 is not a string\. Permitted values are/);
  });

  it("lists every kind and kind:action the grammar accepts", () => {
    const all = permittedQueries();
    expect(all).toContain("heartbeat:beat");
    expect(all).toContain("shadow-attribute:discard");
    expect(all.every((q) => parseFilterQuery(q).kind.length > 0)).toBe(true);
  });
});
