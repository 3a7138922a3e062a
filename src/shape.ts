// Checks a peer's JSON answer (MISP REST, misp-modules) against a zod schema and names the first
// problem the way the daemon's errors do: a JSONPath (`$.results.Object[0].name`) and what was
// expected and found ("expected text, got an object"). The bus hot path does not come here: decode/
// narrows frames by hand.

import type { z } from "zod";
import { describeValue } from "./json.js";

export interface ShapeProblem {
  /** `$` for the answer itself, then `.key` and `[index]` segments. */
  readonly path: string;
  readonly reason: string;
}

export type ShapeResult<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly problem: ShapeProblem };

/** `{ error }` for a schema whose default message would not say what it wanted (unions, refinements). */
export function expected(what: string): { error: (issue: { readonly input?: unknown }) => string } {
  return { error: (issue) => `expected ${what}, got ${describeValue(issue.input)}` };
}

const KINDS: Readonly<Record<string, string>> = { array: "a list", object: "an object", string: "text", number: "a number", boolean: "a boolean" };

/** What zod says by default, re-worded: "expected a list, got a string "x"". */
function message(issue: { readonly code?: string; readonly expected?: string; readonly input?: unknown }): string | undefined {
  if (issue.code === "invalid_type" && issue.expected !== undefined) return `expected ${KINDS[issue.expected] ?? issue.expected}, got ${describeValue(issue.input)}`;
  return undefined;
}

/** Parses `value`; `at` is where it sits in the whole answer (for a part checked on its own). */
export function parseShape<S extends z.ZodType>(schema: S, value: unknown, at: readonly PropertyKey[] = []): ShapeResult<z.output<S>> {
  const parsed = schema.safeParse(value, { error: message });
  if (parsed.success) return { ok: true, value: parsed.data };
  const issue = parsed.error.issues[0];
  return { ok: false, problem: { path: jsonPath([...at, ...(issue?.path ?? [])]), reason: issue?.message ?? "unexpected shape" } };
}

export function jsonPath(segments: readonly PropertyKey[]): string {
  return `$${segments.map((s) => (typeof s === "number" ? `[${s}]` : `.${String(s)}`)).join("")}`;
}
