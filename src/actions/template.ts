// Templates as the actions use them, each compiled once at start-up for where its text goes:
// - "text": as written (autoescape off), values as text, objects as JSON;
// - "json-string": inside a JSON document's strings, every value JSON-escaped, so quotes, backslashes
//   and newlines in an event title arrive intact and the body stays valid JSON (`| tojson` emits a
//   whole JSON value instead);
// - "url": every value percent-encoded (a `/` in an attribute value stays inside its path segment),
//   except `env.NAME`, the administrator's own setting (a secret hook URL in the environment);
// - "header": as text, refusing a value with a line break (header injection).
// A value template (a YAML mapping body) is a JSON value whose string leaves are "text" templates; a
// leaf that is nothing but `{{ expression }}` keeps the expression's type (a number, true, a list).

import { wellFormed } from "../json.js";
import { compileParsed, defineEscape, endsWithFilter, parseTemplate, soleExpression, TemplateSyntaxError, type ParsedTemplate } from "./template-engine.js";

export { TemplateSyntaxError } from "./template-engine.js";

export type TextMode = "text" | "json-string" | "url" | "header";

export interface TextTemplate {
  readonly source: string;
  /** `X` of every `env.X` it reads. */
  readonly envNames: readonly string[];
  /** Top-level names it reads (`Event`, `Attribute`, …). */
  readonly names: ReadonlySet<string>;
  /** Throws TemplateRenderError when a value cannot go where the template puts it. */
  render(scope: object): string;
}

export interface ValueTemplate {
  readonly envNames: readonly string[];
  readonly names: ReadonlySet<string>;
  render(scope: object): unknown;
}

/** A value that cannot be placed where its template puts it (a line break in a header, ".." as a URL segment). */
export class TemplateRenderError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "TemplateRenderError";
  }
}

/**
 * How a value reads as text: nothing for null/undefined, JSON for objects and lists. Nothing for a
 * function either: a lookup of an inherited method (`{{ Event.toString }}`) finds JavaScript, not data.
 */
export function asText(value: unknown): string {
  if (value === undefined || value === null || typeof value === "function") return "";
  return typeof value === "object" ? JSON.stringify(value) : String(value);
}

defineEscape("__text", asText);
defineEscape("__json_string", (value) => JSON.stringify(asText(value)).slice(1, -1));
defineEscape("__url", (value) => {
  const text = asText(value);
  // WHATWG URL parsing resolves "." and ".." segments (also percent-encoded): a value may not move the path.
  if (text === "." || text === "..") throw new TemplateRenderError(`the value ${JSON.stringify(text)} cannot be placed in a URL`);
  // A lone surrogate (JSON may carry one) would make encodeURIComponent throw: U+FFFD instead.
  return encodeURIComponent(wellFormed(text));
});
defineEscape("__header", (value) => {
  const text = asText(value);
  if (/[\r\n\0]/.test(text)) throw new TemplateRenderError("a header value may not contain a line break");
  return text;
});

const ESCAPE: Readonly<Record<TextMode, `__${string}`>> = { text: "__text", "json-string": "__json_string", url: "__url", header: "__header" };
const RAW_JSON = new Set(["tojson", "dump"]);

function isEnvRead(expression: { typename: string; target?: { typename: string; value?: unknown } }): boolean {
  return expression.typename === "LookupVal" && expression.target?.typename === "Symbol" && expression.target.value === "env";
}

/** Throws TemplateSyntaxError (with the line) for a template that does not parse or is not allowed. */
export function compileText(source: string, mode: TextMode): TextTemplate {
  const parsed = parseTemplate(source);
  const keep = mode === "json-string" ? (e: Parameters<typeof endsWithFilter>[0]) => endsWithFilter(e, RAW_JSON) : mode === "url" ? isEnvRead : undefined;
  const render = compileParsed(parsed, ESCAPE[mode], keep);
  return { source, envNames: parsed.envNames, names: parsed.names, render: (scope) => unwrap(() => render(scope)) };
}

/** nunjucks wraps a filter's exception in its own error: surface ours as it was thrown. */
function unwrap<T>(fn: () => T): T {
  try {
    return fn();
  } catch (error) {
    const cause = (error as { cause?: unknown }).cause;
    if (cause instanceof TemplateRenderError) throw cause;
    if (error instanceof Error && /TemplateRenderError: /.test(error.message)) {
      throw new TemplateRenderError(error.message.replace(/^[\s\S]*TemplateRenderError: /, ""));
    }
    throw error;
  }
}

/** A typed leaf: `{{ expression }}` alone renders the expression's JSON value. */
function compileLeaf(source: string, parsed: ParsedTemplate): (scope: object) => unknown {
  if (soleExpression(parsed) === undefined) {
    const render = compileParsed(parsed, ESCAPE.text);
    return (scope) => unwrap(() => render(scope));
  }
  const render = compileParsed(parsed, "dump");
  return (scope) => {
    const json = unwrap(() => render(scope)).trim();
    return json === "" ? null : (JSON.parse(json) as unknown);
  };
}

/**
 * A JSON value whose string leaves are templates. Throws TemplateSyntaxError whose message starts
 * with the leaf's path (`text`, `fields[2].value`).
 */
export function compileValue(value: unknown): ValueTemplate {
  const envNames = new Set<string>();
  const names = new Set<string>();
  const build = (node: unknown, path: string): ((scope: object) => unknown) => {
    if (typeof node === "string") {
      let parsed: ParsedTemplate;
      try {
        parsed = parseTemplate(node);
      } catch (error) {
        if (!(error instanceof TemplateSyntaxError) || path === "") throw error;
        throw new TemplateSyntaxError(`${path}: ${error.message.replace(/ \(line \d+, column \d+\)$/, "")}`, error.line, error.column);
      }
      parsed.envNames.forEach((n) => envNames.add(n));
      parsed.names.forEach((n) => names.add(n));
      return compileLeaf(node, parsed);
    }
    if (Array.isArray(node)) {
      const items = node.map((item, i) => build(item, `${path}[${i}]`));
      return (scope) => items.map((item) => item(scope));
    }
    if (node !== null && typeof node === "object") {
      const entries = Object.entries(node).map(([k, v]) => [k, build(v, path ? `${path}.${k}` : k)] as const);
      return (scope) => Object.fromEntries(entries.map(([k, render]) => [k, render(scope)]));
    }
    return () => node;
  };
  const render = build(value, "");
  return { envNames: [...envNames], names, render };
}
