// The action templates (actions/template.ts, nunjucks), fuzzed with hostile data from the bus: a
// JSON-string body always parses, a URL value stays one encoded component (a dot segment is
// refused), nothing inherited is ever reached, and deep or broken data never escapes as anything
// but a catchable error.

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { compileText, compileValue, TemplateRenderError, TemplateSyntaxError } from "../../src/actions/template.js";
import { wellFormed } from "../../src/json.js";
import { fuzzParameters, hostileJson, nastyString } from "./arbitraries.js";

const scopeOf = (info: unknown, value: unknown): object => ({ Event: { info }, Attribute: { value } });

describe("the action templates, fuzzed", () => {
  it("renders a JSON-string body to valid JSON whatever the data holds (deep, odd types, lone surrogates)", () => {
    const body = compileText('{"title": "{{ Event.info }}", "value": "{{ Attribute.value }}"}', "json-string");
    fc.assert(
      fc.property(fc.oneof(nastyString, hostileJson), fc.oneof(nastyString, hostileJson), (info, value) => {
        let text: string;
        try {
          text = body.render(scopeOf(info, value));
        } catch (error) {
          // Only data nested deeper than JSON.stringify goes may refuse to render, and it says so.
          expect(error).toBeInstanceOf(RangeError);
          return;
        }
        expect(() => JSON.parse(text)).not.toThrow();
      }),
      fuzzParameters,
    );
  });

  it("puts a value into a URL as one encoded component: never a new segment, a query or a fragment; a dot segment is refused", () => {
    const url = compileText("https://hooks.test/a/{{ Attribute.value }}/b{{ Event.info }}?x={{ Attribute.value }}&y=1#{{ Event.info }}", "url");
    fc.assert(
      fc.property(nastyString, nastyString, (value, info) => {
        let out: string;
        try {
          out = url.render(scopeOf(info, value));
        } catch (error) {
          expect(error).toBeInstanceOf(TemplateRenderError);
          expect([value, info].some((s) => s === "." || s === "..")).toBe(true);
          return;
        }
        const parsed = new URL(out);
        expect(parsed.origin).toBe("https://hooks.test");
        const segments = parsed.pathname.split("/").map((segment) => decodeURIComponent(segment));
        expect(segments).toEqual(["", "a", wellFormed(value), `b${wellFormed(info)}`]);
        expect([...parsed.searchParams]).toEqual([["x", wellFormed(value)], ["y", "1"]]);
        expect(decodeURIComponent(parsed.hash.slice(1))).toBe(wellFormed(info));
      }),
      fuzzParameters,
    );
  });

  it("reaches only what the data holds: inherited names are refused at load or render as nothing", () => {
    fc.assert(
      fc.property(fc.constantFrom("constructor", "__proto__", "toString", "hasOwnProperty", "valueOf", "prototype"), hostileJson, (name, info) => {
        let template;
        try {
          template = compileText(`x{{ Event.${name} }}y{{ Event.info.${name} }}`, "text");
        } catch (error) {
          expect(error).toBeInstanceOf(TemplateSyntaxError);
          return;
        }
        const text = template.render(scopeOf(info, "v"));
        expect(text).not.toContain("[native code]");
        expect(text).not.toMatch(/function/);
      }),
      fuzzParameters,
    );
  });

  it("renders a value that looks like a template as text: data is never read as a template", () => {
    const body = compileValue({ text: "{{ Event.info }}", nested: ["{{ Attribute.value }} and more"] });
    fc.assert(
      fc.property(nastyString, (secret) => {
        const info = `{{ Attribute.value }}${secret}`;
        const out = body.render(scopeOf(info, secret)) as { text: unknown; nested: unknown[] };
        expect(out.text).toBe(info);
        expect(out.nested[0]).toBe(`${secret} and more`);
      }),
      fuzzParameters,
    );
  });
});
