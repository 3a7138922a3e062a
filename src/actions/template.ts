// `{{path.to.value}}` templates for webhooks. Deliberately tiny: lookups only, no code, so a
// subscriber's template can never execute anything. A whole-string placeholder keeps the value's
// JSON type; inside a longer string the value is stringified.

const PLACEHOLDER = /\{\{\s*([\w.\-\[\]]+)\s*\}\}/g;
const WHOLE = /^\{\{\s*([\w.\-\[\]]+)\s*\}\}$/;

export function lookup(data: unknown, path: string): unknown {
  let node: unknown = data;
  for (const part of path.replace(/\[(\d+)\]/g, ".$1").split(".")) {
    if (part === "") continue;
    if (node === null || typeof node !== "object") return undefined;
    node = (node as Record<string, unknown>)[part];
  }
  return node;
}

function asText(value: unknown): string {
  if (value === undefined || value === null) return "";
  return typeof value === "object" ? JSON.stringify(value) : String(value);
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
