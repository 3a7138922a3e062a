import { describe, expect, it } from "vitest";
import { attributeViewAnswer, parseAnswer, restSearchAnswer, selfAnswer } from "../../src/misp/answers.js";

const row = (extra: Record<string, unknown> = {}) => ({
  id: "1337",
  uuid: "3C1E9A2B-7D4F-4E8A-B6C5-0F1E2D3C4B5A",
  event_id: "42",
  object_id: "0",
  object_relation: null,
  category: "Network activity",
  type: "ip-dst",
  value: "198.51.100.23",
  to_ids: true,
  timestamp: "1729501300",
  distribution: "5",
  sharing_group_id: "0",
  comment: "",
  deleted: false,
  disable_correlation: "0",
  first_seen: null,
  last_seen: null,
  ...extra,
});

describe("MISP answer schemas", () => {
  it("reads MISP's string integers and tinyint flags, and a value named value1", () => {
    const { Attribute } = parseAnswer(attributeViewAnswer, { Attribute: row({ value: undefined, value1: "198.51.100.23", event_uuid: "AB-CD" }) }, "attributes/view");
    expect(Attribute.attribute).toMatchObject({ id: 1337, uuid: "3c1e9a2b-7d4f-4e8a-b6c5-0f1e2d3c4b5a", eventId: 42, value: "198.51.100.23", toIds: true, disableCorrelation: false, tags: [] });
    expect(Attribute.eventUuid).toBe("ab-cd");
  });

  it("takes restSearch's empty `response: []`, and names an embedded Event's uuid from the row", () => {
    expect(parseAnswer(restSearchAnswer, { response: [] }, "attributes/restSearch").response.Attribute).toEqual([]);
    const found = parseAnswer(restSearchAnswer, { response: { Attribute: [row({ event_uuid: "E-1", Event: { id: "42", info: "x", org_id: "1", orgc_id: "1" } })] } }, "attributes/restSearch");
    expect(found.response.Attribute[0]?.event).toEqual({ id: 42, uuid: "e-1", info: "x", date: "", published: false, orgId: 1, orgcId: 1, distribution: 0, sharingGroupId: 0 });
  });

  it("takes the organisation's id when users/view/me leaves User.org_id out", () => {
    const me = parseAnswer(selfAnswer, { User: { id: "3", email: "a@b" }, Role: { name: "Org Admin", perm_add: true }, Organisation: { id: "7", name: "CIRCL" } }, "users/view/me");
    expect([me.User.org_id, me.Organisation.name, me.Role.perm_add, me.Role.perm_site_admin]).toEqual([7, "CIRCL", true, false]);
  });

  it("refuses a wrong shape with ENRICHD_MISP_RESPONSE_INVALID, its path and what was found", () => {
    let error: unknown;
    try {
      parseAnswer(attributeViewAnswer, { Attribute: row({ id: "abc" }) }, "attributes/view");
    } catch (e) {
      error = e;
    }
    expect(error).toMatchObject({
      code: "ENRICHD_MISP_RESPONSE_INVALID",
      message: `MISP's attributes/view answer has an unexpected shape: expected an integer, got a string "abc" at $.Attribute.id`,
      details: { answer: "attributes/view", path: "$.Attribute.id" },
    });
  });
});
