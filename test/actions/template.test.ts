// Templates: Jinja syntax through nunjucks, checked at load, and escaped for where the text goes.
// The property tests throw random strings (quotes, backslashes, newlines, slashes, unicode) at the
// escaping: a JSON body always parses and gives the value back; a URL path segment always decodes
// to the value and never adds a segment.

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { compileText, compileValue, TemplateRenderError, TemplateSyntaxError } from "../../src/actions/template.js";

const scope = (info: string, value: string) => ({ Event: { info, id: 12 }, Attribute: { value, to_ids: true, Tag: [{ name: "tlp:red" }] }, env: { TOKEN: "s3cr3t" } });

describe("text templates", () => {
  it("render Jinja expressions and filters", () => {
    const t = compileText("{{ Event.info | upper }} #{{ Event.id }} {% if Attribute.to_ids %}IDS{% endif %} {{ Attribute.Tag[0].name }}", "text");
    expect(t.render(scope("phish", "x"))).toBe("PHISH #12 IDS tlp:red");
  });

  it("name the line of a syntax error", () => {
    expect(() => compileText("line one\n{{ Event.info | }}", "text")).toThrow(/template syntax error: .*\(line 2, column \d+\)/);
  });

  it("refuse method calls, constructor lookups, includes and unknown filters at load", () => {
    expect(() => compileText("{{ Event.info.toUpperCase() }}", "text")).toThrow(TemplateSyntaxError);
    expect(() => compileText('{{ range.constructor("return process")() }}', "text")).toThrow(/not allowed/);
    expect(() => compileText("{{ Event['__proto__'] }}", "text")).toThrow(/not allowed/);
    expect(() => compileText('{% include "/etc/passwd" %}', "text")).toThrow(/cannot read other files/);
    expect(() => compileText("{{ Event.info | shout }}", "text")).toThrow(/unknown filter "shout"/);
    expect(() => compileText("{{ Event.info | __text }}", "text")).toThrow(/unknown filter "__text"/);
  });

  it("list the env variables read, and refuse any other use of env", () => {
    expect(compileText("Token {{ env.TOKEN }} {{ env.OTHER }}", "header").envNames).toEqual(["TOKEN", "OTHER"]);
    expect(() => compileText("{{ env }}", "text")).toThrow(/env must be read as env.NAME/);
    expect(() => compileText("{{ env[Event.info] }}", "text")).toThrow(/env must be read as env.NAME/);
  });

  it("refuse a line break in a header value", () => {
    const t = compileText("Bearer {{ Event.info }}", "header");
    expect(t.render(scope("ok", ""))).toBe("Bearer ok");
    expect(() => t.render(scope("x\r\nX-Injected: 1", ""))).toThrow(TemplateRenderError);
  });

  it("keep env values whole in a URL, encode MISP's values", () => {
    const t = compileText("{{ env.HOOK }}/{{ Attribute.value }}?e={{ Event.info }}", "url");
    expect(t.render({ env: { HOOK: "https://chat.example/hooks/T0K" }, Attribute: { value: "a/b c" }, Event: { info: "x&y=1" } })).toBe(
      "https://chat.example/hooks/T0K/a%2Fb%20c?e=x%26y%3D1",
    );
    expect(() => t.render({ env: { HOOK: "https://h" }, Attribute: { value: ".." }, Event: { info: "" } })).toThrow(/cannot be placed in a URL/);
  });
});

describe("a JSON string body", () => {
  const body = compileText('{"title": "onions to review", "event_title": "{{ Event.info }}", "value": "{{ Attribute.value }}", "tags": {{ Attribute.Tag | tojson }}}', "json-string");

  it("JSON-escapes every interpolated value, and emits `| tojson` values whole", () => {
    const text = body.render(scope('say "hi" \\ back\nslash', "x"));
    expect(JSON.parse(text)).toEqual({ title: "onions to review", event_title: 'say "hi" \\ back\nslash', value: "x", tags: [{ name: "tlp:red" }] });
  });

  it("parses and gives back any title and value (property)", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary" }), fc.string({ unit: "binary" }), (info, value) => {
        const parsed = JSON.parse(body.render(scope(info, value))) as { event_title: string; value: string };
        expect(parsed.event_title).toBe(info);
        expect(parsed.value).toBe(value);
      }),
      { numRuns: 500 },
    );
  });
});

describe("a URL", () => {
  const url = compileText("https://cases.example/api/{{ Attribute.value }}/notes?title={{ Event.info }}", "url");

  it("never lets a value add a path segment or reach the query (property)", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary" }).filter((s) => s !== "." && s !== ".."), fc.string({ unit: "binary" }), (value, info) => {
        const parsed = new URL(url.render(scope(info, value)));
        const segments = parsed.pathname.split("/");
        expect(segments).toHaveLength(4);
        expect(decodeURIComponent(segments[2] as string)).toBe(value);
        expect(segments[3]).toBe("notes");
        expect(parsed.searchParams.get("title")).toBe(info);
        expect([...parsed.searchParams.keys()]).toEqual(["title"]);
        expect(parsed.hash).toBe("");
      }),
      { numRuns: 500 },
    );
  });
});

describe("value templates (a YAML mapping body)", () => {
  it("render string leaves, keep a lone expression's type, and leave other values alone", () => {
    const t = compileValue({ text: "{{ Tag.name }} on {{ Attribute.value }}", ids: "{{ Attribute.to_ids }}", id: " {{ Event.id }} ", tags: "{{ Attribute.Tag }}", fixed: 3, list: ["{{ Event.info }}", null] });
    expect(t.render({ ...scope("ev", "1.2.3.4"), Tag: { name: "case:open" } })).toEqual({
      text: "case:open on 1.2.3.4", ids: true, id: 12, tags: [{ name: "tlp:red" }], fixed: 3, list: ["ev", null],
    });
    expect(t.names.has("Tag")).toBe(true);
  });

  it("name the leaf and the line of a syntax error", () => {
    expect(() => compileValue({ blocks: [{ text: "ok" }, { text: "{% if %}" }] })).toThrow(/^blocks\[1\]\.text: template syntax error: .*\(line 1, column \d+\)/);
  });

  it("render a missing value as null when alone, as nothing inside text", () => {
    expect(compileValue({ a: "{{ Event.nope }}", b: "x{{ Event.nope }}y" }).render(scope("", ""))).toEqual({ a: null, b: "xy" });
  });
});
