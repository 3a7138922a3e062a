// Narrowing of MISP's loosely typed scalars. MySQL rows arrive with integers as strings
// ("1337"), tinyint(1) as booleans (or "0"/"1" from some paths) and nullable columns as null
// (pubsub.md §4). Every failure names the topic, the field path and the bad value.

import { EnrichdError } from "../errors.js";
import { isRecord, type JsonRecord } from "../json.js";

export { isRecord, type JsonRecord };

const INTEGER = /^-?\d{1,16}$/;

/** The error for a field that is missing or of the wrong shape. */
export function invalidField(topic: string, field: string, value: unknown, expected: string): EnrichdError {
  const got = value === undefined ? "it is missing" : `got ${preview(value)}`;
  return new EnrichdError("ENRICHD_MESSAGE_INVALID", `${topic}: ${field} must be ${expected}, ${got}`, {
    details: { topic, field, value: value === undefined ? undefined : preview(value) },
  });
}

function preview(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/** A MISP integer: a JSON number or a decimal string ("1337"), within the safe range. */
export function toInt(value: unknown, topic: string, field: string): number {
  if (typeof value === "number" && Number.isSafeInteger(value)) return value;
  if (typeof value === "string" && INTEGER.test(value)) {
    const parsed = Number(value);
    if (Number.isSafeInteger(parsed)) return parsed;
  }
  throw invalidField(topic, field, value, "an integer or an integer string");
}

/** A MISP boolean: true/false, 0/1 or "0"/"1". */
export function toBool(value: unknown, topic: string, field: string): boolean {
  if (value === true || value === 1 || value === "1") return true;
  if (value === false || value === 0 || value === "0") return false;
  throw invalidField(topic, field, value, 'a boolean, 0/1 or "0"/"1"');
}

export function toStr(value: unknown, topic: string, field: string): string {
  if (typeof value === "string") return value;
  throw invalidField(topic, field, value, "a string");
}

/** A nullable column: a string or null (absent counts as null). */
export function toNullableStr(value: unknown, topic: string, field: string): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value === "string") return value;
  throw invalidField(topic, field, value, "a string or null");
}

/**
 * One JSON object of a payload, read field by field with its path (`Attribute`, `Event.Orgc`)
 * so an error says exactly which field was wrong.
 */
export interface RecordReader {
  readonly topic: string;
  readonly path: string;
  readonly value: JsonRecord;
  has(key: string): boolean;
  int(key: string): number;
  /** Absent or null gives the fallback: for columns MISP may leave NULL (sharing_group_id). */
  intOr(key: string, fallback: number): number;
  optInt(key: string): number | undefined;
  bool(key: string): boolean;
  boolOr(key: string, fallback: boolean): boolean;
  optBool(key: string): boolean | undefined;
  str(key: string): string;
  strOr(key: string, fallback: string): string;
  optStr(key: string): string | undefined;
  /** A string column some paths hand over as a number ("7" or 7). */
  text(key: string): string;
  nullableStr(key: string): string | null;
  record(key: string): RecordReader;
  /** Absent, null or `[]` (PHP's encoding of an empty array) give undefined. */
  optRecord(key: string): RecordReader | undefined;
  /** The objects of an array field; absent gives undefined, a non-array or non-object item throws. */
  optList(key: string): RecordReader[] | undefined;
}

function isEmptyList(value: unknown): boolean {
  return Array.isArray(value) && value.length === 0;
}

/** Narrows `value` to an object, or throws naming `path`. */
export function readRecord(value: unknown, topic: string, path: string): RecordReader {
  if (!isRecord(value)) throw invalidField(topic, path || "payload", value, "an object");
  const at = (key: string): string => (path ? `${path}.${key}` : key);
  const present = (key: string): boolean => value[key] !== undefined && value[key] !== null;
  const reader: RecordReader = {
    topic,
    path,
    value,
    has: (key) => value[key] !== undefined,
    int: (key) => toInt(value[key], topic, at(key)),
    intOr: (key, fallback) => (present(key) ? toInt(value[key], topic, at(key)) : fallback),
    optInt: (key) => (present(key) ? toInt(value[key], topic, at(key)) : undefined),
    bool: (key) => toBool(value[key], topic, at(key)),
    boolOr: (key, fallback) => (present(key) ? toBool(value[key], topic, at(key)) : fallback),
    optBool: (key) => (present(key) ? toBool(value[key], topic, at(key)) : undefined),
    str: (key) => toStr(value[key], topic, at(key)),
    strOr: (key, fallback) => (present(key) ? toStr(value[key], topic, at(key)) : fallback),
    optStr: (key) => (present(key) ? toStr(value[key], topic, at(key)) : undefined),
    text: (key) => (typeof value[key] === "number" ? String(value[key]) : toStr(value[key], topic, at(key))),
    nullableStr: (key) => toNullableStr(value[key], topic, at(key)),
    record: (key) => readRecord(value[key], topic, at(key)),
    optRecord: (key) => (present(key) && !isEmptyList(value[key]) ? readRecord(value[key], topic, at(key)) : undefined),
    optList(key) {
      const list = value[key];
      if (list === undefined || list === null) return undefined;
      // PHP encodes a list with gaps (after unset()) as an object keyed "0", "2", ...
      const items = Array.isArray(list) ? list : isRecord(list) ? Object.values(list) : undefined;
      if (items === undefined) throw invalidField(topic, at(key), list, "an array");
      return items.map((item, i) => readRecord(item, topic, `${at(key)}[${i}]`));
    },
  };
  return reader;
}
