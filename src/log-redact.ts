// The secret keys removed from every log line, as pino's `redact` paths would remove them:
//   key, apiKey, password, authorization, headers.authorization, headers.Authorization, moduleConfig,
//   and the same one level down (`*.key`, …, `*.headers.authorization`, `*.moduleConfig`).
// pino redacts the top-level paths itself (a lookup per key). The one-level-down ones are done here, as
// a pino `formatters.log` / `formatters.bindings` hook: given to pino as wildcard paths, they send every
// top-level value of every line through a redactor that clones and serialises it, about 12 µs per
// info line (five times the line itself). This walks the line's top-level values once and copies only
// a value that holds a secret key. test/log-redact.test.ts checks it against pino's own redaction.

export const REDACTED = "[redacted]";

/** Every path censored, as pino `redact` paths: the specification of this file (its test runs pino with them). */
export const SECRET_PATHS: readonly string[] = [
  "key",
  "apiKey",
  "password",
  "authorization",
  "headers.authorization",
  "headers.Authorization",
  "moduleConfig",
  "*.key",
  "*.apiKey",
  "*.password",
  "*.authorization",
  "*.headers.authorization",
  "*.headers.Authorization",
  "*.moduleConfig",
];

/** The part pino redacts by itself: the top-level keys (and headers' authorization). */
export const TOP_LEVEL_REDACT_PATHS: readonly string[] = ["key", "apiKey", "password", "authorization", "headers.authorization", "headers.Authorization", "moduleConfig"];

/** Keys censored inside any top-level value (its own properties, as pino's `*.<key>` paths). */
const NESTED_KEYS = ["key", "apiKey", "password", "authorization", "moduleConfig"] as const;
const HEADER_KEYS = ["authorization", "Authorization"] as const;

const hasOwn = (value: object, key: string): boolean => Object.prototype.hasOwnProperty.call(value, key);

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null;
}

/** Whether a top-level value holds a secret one level down (or in its headers). */
function holdsSecret(value: Record<string, unknown>): boolean {
  for (const key of NESTED_KEYS) if (hasOwn(value, key)) return true;
  const headers = value.headers;
  if (hasOwn(value, "headers") && isObject(headers)) for (const key of HEADER_KEYS) if (hasOwn(headers, key)) return true;
  return false;
}

/**
 * A copy with the same prototype and properties (an Error stays an Error for pino's `err` serializer,
 * a getter stays a getter); an array copies its items, all that JSON shows of it.
 */
function copyOf(value: Record<string, unknown>): Record<string, unknown> {
  if (Array.isArray(value)) return Object.assign([], value) as unknown as Record<string, unknown>;
  return Object.create(Object.getPrototypeOf(value) as object | null, Object.getOwnPropertyDescriptors(value)) as Record<string, unknown>;
}

/** Replaces an own property (a getter or a read-only one too), keeping whether JSON shows it. */
function replace(target: Record<string, unknown>, key: string, value: unknown): void {
  const enumerable = Object.getOwnPropertyDescriptor(target, key)?.enumerable ?? true;
  Object.defineProperty(target, key, { value, enumerable, writable: true, configurable: true });
}

/** A copy of the value with its secret keys censored. */
function censored(value: Record<string, unknown>): Record<string, unknown> {
  const copy = copyOf(value);
  for (const key of NESTED_KEYS) if (hasOwn(value, key)) replace(copy, key, REDACTED);
  const headers = value.headers;
  if (hasOwn(value, "headers") && isObject(headers)) {
    const clean = copyOf(headers);
    for (const key of HEADER_KEYS) if (hasOwn(headers, key)) replace(clean, key, REDACTED);
    replace(copy, "headers", clean);
  }
  return copy;
}

/**
 * The log object with every secret one level down censored; the object itself when it holds none
 * (the usual case: nothing is allocated). The caller's objects are never changed.
 */
export function redactNested<T extends Record<string, unknown>>(object: T): T {
  let out: Record<string, unknown> | undefined;
  for (const key in object) {
    if (!hasOwn(object, key)) continue;
    const value = object[key];
    if (!isObject(value) || !holdsSecret(value)) continue;
    out ??= { ...object };
    out[key] = censored(value);
  }
  return (out ?? object) as T;
}
