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
  return `a ${typeof value}`;
}
