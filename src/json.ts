// The one guard for "a JSON object" (not null, not an array), and how an unexpected value is named in
// error messages. Every narrowing of unknown JSON — bus payloads, MISP and module answers, where-objects
// — starts from these.

export type JsonRecord = Readonly<Record<string, unknown>>;

export function isRecord(value: unknown): value is JsonRecord {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** "null", "an array", "a string"…: for error messages about a value of the wrong kind. */
export function describeKind(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (value === undefined) return "missing";
  return typeof value === "object" ? "an object" : `a ${typeof value}`;
}

/** `a string "abc"`, `a number 7`, `null`, `an object`…: what was found, for an error message. */
export function describeValue(value: unknown): string {
  if (typeof value === "string") return `a string ${JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}…` : value)}`;
  if (typeof value === "number" || typeof value === "boolean") return `a ${typeof value} ${String(value)}`;
  return describeKind(value);
}

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/**
 * The string with each lone surrogate (JSON may carry one, `"\udc00"`) replaced by U+FFFD, as
 * String.prototype.toWellFormed does: encodeURIComponent throws on a lone surrogate.
 */
export function wellFormed(text: string): string {
  return text.replace(LONE_SURROGATE, "\ufffd");
}
