// `{{path.to.value}}` templates for webhooks. Deliberately tiny: lookups only, no code, so a
// subscriber's template can never execute anything. A whole-string placeholder keeps the value's
// JSON type; inside a longer string the value is stringified (URL-encoded in a URL template).

import { PermanentError } from "../errors.js";
import { wellFormed } from "../json.js";

const PLACEHOLDER = /\{\{\s*([\w.\-\[\]]+)\s*\}\}/g;
const WHOLE = /^\{\{\s*([\w.\-\[\]]+)\s*\}\}$/;

/** Follows `a.b[0].c` through the data's own properties only: `{{constructor}}` or `{{__proto__}}` find nothing. */
export function lookup(data: unknown, path: string): unknown {
  let node: unknown = data;
  for (const part of path.replace(/\[(\d+)\]/g, ".$1").split(".")) {
    if (part === "") continue;
    if (node === null || typeof node !== "object" || !Object.hasOwn(node, part)) return undefined;
    node = (node as Record<string, unknown>)[part];
  }
  return node;
}

function asText(value: unknown): string {
  if (value === undefined || value === null) return "";
  if (typeof value !== "object") return String(value);
  try {
    return JSON.stringify(value);
  } catch {
    // JSON.parse accepts nesting that JSON.stringify's recursion cannot write back.
    return "[not renderable: nested too deeply]";
  }
}

/**
 * A URL template: each `{{path}}` inside it is substituted URL-encoded (encodeURIComponent), so a
 * value can never add a path segment, a query or a fragment. A rendering whose path holds a `.` or
 * `..` segment (which every URL parser resolves, encoded or not) is refused. A template that is one
 * placeholder is taken as the URL. Throws ENRICHD_HANDLER_FAILED (never retried) on refusal.
 */
export function renderUrlTemplate(template: string, data: unknown): string {
  const whole = WHOLE.exec(template);
  if (whole) return asText(lookup(data, whole[1] as string));
  // A lone surrogate (JSON may carry one) cannot be URL-encoded: it becomes U+FFFD first.
  const rendered = template.replace(PLACEHOLDER, (_, path: string) => encodeURIComponent(wellFormed(asText(lookup(data, path)))));
  // Values cannot hold "?" or "#" any more: the first one is the template's own.
  const path = (rendered.split(/[?#]/)[0] as string).replace(/^[a-z][a-z0-9+.-]*:\/\/[^/]*/i, "");
  if (path.split("/").some((segment) => /^(\.|%2e){1,2}$/i.test(segment))) {
    throw new PermanentError("a value would make a . or .. segment of the webhook URL's path; not sent");
  }
  return rendered;
}
export function renderTemplate(template: unknown, data: unknown): unknown {
  if (typeof template === "string") {
    const whole = WHOLE.exec(template);
    if (whole) return lookup(data, whole[1] as string) ?? null;
    return template.replace(PLACEHOLDER, (_, path: string) => asText(lookup(data, path)));
  }
  if (Array.isArray(template)) return template.map((item) => renderTemplate(item, data));
  if (template !== null && typeof template === "object") {
    return Object.fromEntries(Object.entries(template).map(([k, v]) => [k, renderTemplate(v, data)]));
  }
  return template;
}
