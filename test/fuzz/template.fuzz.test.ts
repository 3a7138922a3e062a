// The webhook template renderer (actions/template.ts), fuzzed with hostile templates and messages:
// it never throws, a value is substituted once and never read as a template itself, and a
// placeholder reaches only the data's own fields, never what objects inherit.

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { lookup, renderTemplate, renderUrlTemplate } from "../../src/actions/template.js";
import { wellFormed } from "../../src/json.js";
import { errorCode } from "../../src/errors.js";
import { fuzzParameters, hostileJson, mutatedPayload, nastyString } from "./arbitraries.js";

const path = fc.oneof(
  fc.constantFrom("attribute.value", "event.info", "tag.name", "raw.Attribute.value", "a", "a.b", "list[0]", "constructor", "__proto__", "toString", "a.constructor.name", "raw.__proto__.polluted"),
  fc.array(fc.stringMatching(/^[\w\-]{1,8}$/), { minLength: 1, maxLength: 3 }).map((parts) => parts.join(".")),
);
const templateString = fc.oneof(
  nastyString,
  path.map((p) => `{{${p}}}`),
  fc.tuple(nastyString, path, nastyString).map(([a, p, b]) => `${a}{{ ${p} }}${b}`),
);
// Templates come from the configuration (trusted, shallow); the data they read comes from the bus.
const template: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  node: fc.oneof({ depthSize: "small" }, templateString, fc.jsonValue({ maxDepth: 2 }), fc.array(tie("node"), { maxLength: 3 }), fc.dictionary(nastyString, tie("node"), { maxKeys: 3 })),
})).node;
const data: fc.Arbitrary<unknown> = fc.oneof(
  mutatedPayload.map(({ json }) => ({ raw: json, attribute: { value: "8.8.8.8" } })),
  hostileJson,
  fc.dictionary(fc.oneof(nastyString, fc.constantFrom("a", "b", "raw", "list")), hostileJson, { maxKeys: 4 }),
);

describe("the template renderer, fuzzed", () => {
  it("never throws on hostile templates and data (deeply nested included), and leaves non-string leaves as they are", () => {
    fc.assert(
      fc.property(template, data, (t, d) => {
        const out = renderTemplate(t, d);
        if (typeof t === "number" || typeof t === "boolean" || t === null) expect(out).toBe(t);
      }),
      fuzzParameters,
    );
  });

  it("substitutes a value once: a value that looks like a template is not rendered again", () => {
    fc.assert(
      fc.property(nastyString, nastyString, (prefix, secret) => {
        const d = { a: "{{b}}", b: secret, c: `{{${"b"}}}${prefix}` };
        expect(renderTemplate(`${prefix.replace(/[{}]/g, "")}:{{a}}`, d)).toBe(`${prefix.replace(/[{}]/g, "")}:{{b}}`);
        expect(renderTemplate("{{c}}", d)).toBe(d.c);
      }),
      fuzzParameters,
    );
  });

  it("reaches only the data's own fields: nothing inherited, nothing from Object.prototype", () => {
    fc.assert(
      fc.property(data, fc.constantFrom("constructor", "__proto__", "toString", "hasOwnProperty", "a.constructor", "raw.constructor.name", "valueOf"), (d, p) => {
        const own = (p.split(".").reduce<unknown>((node, k) => (node !== null && typeof node === "object" && Object.hasOwn(node, k) ? (node as Record<string, unknown>)[k] : undefined), d));
        expect(lookup(d, p)).toBe(own);
        const text = renderTemplate(`x{{${p}}}`, d) as string;
        expect(text).not.toContain("[native code]");
        expect(text).not.toContain("function");
      }),
      fuzzParameters,
    );
  });

  it("substitutes a value into a URL as one encoded component: never a new segment, a query or a fragment; a dot segment is refused", () => {
    fc.assert(
      fc.property(nastyString, nastyString, (value, other) => {
        let out: string;
        try {
          out = renderUrlTemplate("https://hooks.test/a/{{v}}/b{{w}}/{{v}}{{w}}?x={{v}}&y=1#{{w}}", { v: value, w: other });
        } catch (error) {
          expect(errorCode(error)).toBe("ENRICHD_HANDLER_FAILED");
          expect([value, other, `${value}${other}`].some((s) => s === "." || s === "..")).toBe(true);
          return;
        }
        value = wellFormed(value);
        other = wellFormed(other);
        const url = new URL(out);
        expect(url.origin).toBe("https://hooks.test");
        const segments = url.pathname.split("/").map((segment) => decodeURIComponent(segment));
        expect(segments).toEqual(["", "a", value, `b${other}`, `${value}${other}`]);
        expect([...url.searchParams]).toEqual([["x", value], ["y", "1"]]);
        expect(decodeURIComponent(url.hash.slice(1))).toBe(other);
      }),
      fuzzParameters,
    );
  });
});
