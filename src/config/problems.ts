// Zod's validation issues as the one-line start-up error's phrases: the key, what is permitted, and
// what was given (its type and value; a secret's type only), with the nearest key for a typo.

import type { z } from "zod";
import { keysAt } from "./keys.js";
import { nearestName } from "./nearest.js";

/** A key that names a secret: its value is never shown (also used to collect secrets for the logger). */
const SECRET_KEY = /key|token|secret|pass|auth|sasl/i;

export function isSecretKey(name: string): boolean {
  return SECRET_KEY.test(name);
}

/** What zod's `expected` means in the words of a YAML file. */
const EXPECTED: Readonly<Record<string, string>> = {
  string: "a string",
  number: "a number",
  int: "a whole number",
  boolean: "true or false",
  object: "a mapping",
  record: "a mapping",
  array: "a list",
};

type Issue = z.core.$ZodIssue;

export function formatPath(path: readonly PropertyKey[]): string {
  if (path.length === 0) return "(top level)";
  return path.map((key, i) => (typeof key === "number" ? `[${key}]` : i === 0 ? String(key) : `.${String(key)}`)).join("");
}

function valueAt(doc: unknown, path: readonly PropertyKey[]): unknown {
  let node = doc;
  for (const key of path) {
    if (node === null || typeof node !== "object") return undefined;
    node = (node as Record<PropertyKey, unknown>)[key];
  }
  return node;
}

/** "the string \"15000\"", "the number 5", "a list"…; a secret says its type only. */
function given(value: unknown, secret: boolean): string {
  if (value === null) return "an empty value";
  if (Array.isArray(value)) return "a list";
  switch (typeof value) {
    case "string":
      return secret ? "a string" : `the string ${JSON.stringify(value.length > 80 ? `${value.slice(0, 77)}...` : value)}`;
    case "number":
      return secret ? "a number" : `the number ${value}`;
    case "boolean":
      return secret ? "a boolean" : String(value);
    case "object":
      return "a mapping";
    default:
      return `a ${typeof value}`;
  }
}

/** The phrases for one issue (an unknown-key issue names each key; a union, its closest branch). */
export function describeIssue(issue: Issue, doc: unknown, base: readonly PropertyKey[] = []): string[] {
  const path = [...base, ...issue.path];
  const where = formatPath(path);
  const value = valueAt(doc, path);
  const got = `, got ${given(value, path.some((key) => typeof key === "string" && isSecretKey(key)))}`;
  switch (issue.code) {
    case "invalid_type":
      return [value === undefined ? `${where} is required` : `${where} must be ${EXPECTED[issue.expected] ?? issue.expected}${got}`];
    case "invalid_value":
      return [`${where} must be ${alternatives(issue.values.map(String))}${got}`];
    case "too_small":
      return [`${where} ${tooSmall(issue)}${issue.origin === "number" ? got : ""}`];
    case "too_big":
      return [`${where} must be ${issue.inclusive ? "at most" : "less than"} ${String(issue.maximum)}${issue.origin === "number" ? got : ""}`];
    case "unrecognized_keys":
      return issue.keys.map((key) => unknownKey(path, key));
    case "invalid_union":
      return union(issue, doc, path, got);
    case "custom":
      // Cross-field rules (schema.ts's superRefine) phrase themselves; value rules say what was given.
      return [`${where} ${issue.message}${issue.params?.crossField ? "" : got}`];
    default:
      return [`${where} ${issue.message}${got}`];
  }
}

function tooSmall(issue: Extract<Issue, { code: "too_small" }>): string {
  const minimum = Number(issue.minimum);
  if (issue.origin === "string") return minimum === 1 ? "must not be empty" : `must be at least ${minimum} characters long`;
  if (issue.origin === "array") return `must list at least ${minimum} item${minimum === 1 ? "" : "s"}`;
  return `must be ${issue.inclusive ? "at least" : "greater than"} ${minimum}`;
}

function unknownKey(path: readonly PropertyKey[], key: string): string {
  const permitted = keysAt(path);
  const owner = path.length === 0 ? "the configuration" : formatPath(path);
  const near = nearestName(key, permitted);
  const hint = near ? `; did you mean ${near}?` : permitted.length > 0 ? `; permitted: ${permitted.join(", ")}` : "";
  return `${formatPath([...path, key])} is not a key of ${owner}${hint}`;
}

/** A value of the union's type (a mapping for `ssl`) is judged by that branch; another, by the list of types. */
function union(issue: Extract<Issue, { code: "invalid_union" }>, doc: unknown, path: readonly PropertyKey[], got: string): string[] {
  const wrongType = (errors: readonly Issue[]): boolean => errors.some((e) => e.code === "invalid_type" && e.path.length === 0);
  const matching = issue.errors.find((errors) => !wrongType(errors));
  if (matching) return matching.flatMap((e) => describeIssue(e, doc, path));
  const types = issue.errors.flatMap((errors) => errors.flatMap((e) => (e.code === "invalid_type" && e.path.length === 0 ? [EXPECTED[e.expected] ?? e.expected] : [])));
  return [`${formatPath(path)} must be ${alternatives(types)}${got}`];
}

/** "a, b or c". */
function alternatives(words: readonly string[]): string {
  return words.length < 2 ? words.join("") : `${words.slice(0, -1).join(", ")} or ${words.at(-1) as string}`;
}
