import { describe, it, expect } from "vitest";
import { readRecord, toBool, toInt, toNullableStr } from "../../src/decode/scalars.js";

describe("MISP scalar narrowing", () => {
  it("reads string and number integers", () => {
    expect(toInt("1337", "t", "Attribute.id")).toBe(1337);
    expect(toInt(42, "t", "Attribute.id")).toBe(42);
    expect(toInt("-1", "t", "x")).toBe(-1);
  });

  it("refuses non-integers, naming the topic, the field and the bad value", () => {
    for (const bad of ["13.5", "", " 1", "1e3", "abc", 1.5, null, true, "99999999999999999"]) {
      expect(() => toInt(bad, "misp_json_attribute", "Attribute.id")).toThrow(
        expect.objectContaining({
          code: "ENRICHD_MESSAGE_INVALID",
          details: expect.objectContaining({ topic: "misp_json_attribute", field: "Attribute.id" }),
        }),
      );
    }
    expect(() => toInt("abc", "misp_json_attribute", "Attribute.id")).toThrow('misp_json_attribute: Attribute.id must be an integer or an integer string, got "abc"');
  });

  it("reads every boolean spelling MISP uses", () => {
    expect([true, 1, "1"].map((v) => toBool(v, "t", "f"))).toEqual([true, true, true]);
    expect([false, 0, "0"].map((v) => toBool(v, "t", "f"))).toEqual([false, false, false]);
    expect(() => toBool("yes", "t", "Attribute.to_ids")).toThrow(/Attribute\.to_ids must be a boolean.*got "yes"/);
  });

  it("reads nullable strings and says when a required one is missing", () => {
    expect(toNullableStr(null, "t", "f")).toBeNull();
    expect(toNullableStr("2024-10-21T08:15:02.000000+00:00", "t", "f")).toBe("2024-10-21T08:15:02.000000+00:00");
    expect(() => toNullableStr(5, "t", "Attribute.first_seen")).toThrow(/first_seen must be a string or null, got 5/);
    expect(() => readRecord({ Attribute: {} }, "t", "").record("Attribute").str("uuid")).toThrow(
      expect.objectContaining({ message: "t: Attribute.uuid must be a string, it is missing", details: expect.objectContaining({ field: "Attribute.uuid" }) }),
    );
  });

  it("treats PHP's empty array as an absent object and a gapped list as a list", () => {
    const reader = readRecord({ Object: [], Attribute: { "0": { id: "1" }, "2": { id: "3" } } }, "t", "");
    expect(reader.optRecord("Object")).toBeUndefined();
    expect(reader.optList("Attribute")?.map((r) => r.int("id"))).toEqual([1, 3]);
    expect(reader.optList("Object")).toEqual([]);
    expect(() => readRecord({ Attribute: "x" }, "t", "").optList("Attribute")).toThrow(/Attribute must be an array/);
  });
});
