// The `if` of a rule: simple tests on the fetched data, as data (never evaluated as code), checked
// at load. A condition maps paths to tests, all of which must hold; `any: [ … ]` holds when one of
// its conditions does:
//   if: { Attribute.to_ids: true, Event.info: { contains: ransom }, Attribute.Tag.name: { matches: "^tlp:(red|amber)" } }
// A path walks the scope (`Attribute`, `Event`, `Tag`); through a list it reads every item
// (`Attribute.Tag.name` is the list of tag names) and a test holds when it holds for one of them.

import { isRecord } from "../json.js";

const OPERATORS = ["equals", "not", "in", "notIn", "gt", "gte", "lt", "lte", "contains", "matches", "exists"] as const;
type Operator = (typeof OPERATORS)[number];
const ROOTS = ["Attribute", "Event", "Tag"] as const;
const PATH = /^(Attribute|Event|Tag)(\.[A-Za-z_][A-Za-z0-9_-]*)*$/;

/** A compiled condition: true when it holds for the scope. */
export type Condition = (scope: Readonly<Record<string, unknown>>) => boolean;

export interface ParsedCondition {
  readonly test: Condition;
  /** Top-level names it reads (`Attribute`, `Event`, `Tag`). */
  readonly roots: ReadonlySet<string>;
}

type Scalar = string | number | boolean | null;
const isScalar = (v: unknown): v is Scalar => v === null || ["string", "number", "boolean"].includes(typeof v);
const show = (v: unknown): string => JSON.stringify(v) ?? String(v);

/** Every value at the path; lists along the way are read item by item. */
function valuesAt(scope: Readonly<Record<string, unknown>>, path: readonly string[]): unknown[] {
  let current: unknown[] = [scope];
  for (const key of path) {
    const next: unknown[] = [];
    for (const node of current.flatMap((n) => (Array.isArray(n) ? n : [n]))) {
      if (isRecord(node) && Object.hasOwn(node, key)) next.push(node[key]);
    }
    current = next;
  }
  return current.flatMap((v) => (Array.isArray(v) ? v : [v])).filter((v) => v !== undefined && v !== null);
}

function loose(a: unknown, b: Scalar): boolean {
  // MISP's ids and numbers come as strings or numbers depending on the source: compare them as text.
  if (typeof a === "number" || typeof b === "number") return String(a) === String(b);
  return a === b;
}

function compare(op: "gt" | "gte" | "lt" | "lte", a: unknown, b: number): boolean {
  const n = typeof a === "number" ? a : typeof a === "string" && a.trim() !== "" ? Number(a) : Number.NaN;
  if (Number.isNaN(n)) return false;
  return op === "gt" ? n > b : op === "gte" ? n >= b : op === "lt" ? n < b : n <= b;
}

function compileTest(op: Operator, operand: unknown, at: string, problems: string[]): ((values: unknown[]) => boolean) | undefined {
  switch (op) {
    case "equals":
    case "not": {
      if (!isScalar(operand)) return void problems.push(`${at}.${op}: ${show(operand)} must be a string, number, true, false or null`);
      const hit = (values: unknown[]): boolean => (operand === null ? values.length === 0 : values.some((v) => loose(v, operand)));
      return op === "equals" ? hit : (values) => !hit(values);
    }
    case "in":
    case "notIn": {
      if (!Array.isArray(operand) || operand.length === 0 || !operand.every(isScalar)) {
        return void problems.push(`${at}.${op}: ${show(operand)} must be a non-empty list of strings or numbers`);
      }
      const hit = (values: unknown[]): boolean => values.some((v) => operand.some((o) => loose(v, o as Scalar)));
      return op === "in" ? hit : (values) => !hit(values);
    }
    case "gt":
    case "gte":
    case "lt":
    case "lte":
      if (typeof operand !== "number") return void problems.push(`${at}.${op}: ${show(operand)} must be a number`);
      return (values) => values.some((v) => compare(op, v, operand));
    case "contains":
      if (typeof operand !== "string" && typeof operand !== "number") return void problems.push(`${at}.contains: ${show(operand)} must be a string`);
      // A string contains a substring; a list (of tag names…) contains an item.
      return (values) => values.some((v) => (typeof v === "string" ? v.includes(String(operand)) : loose(v, operand)));
    case "matches": {
      if (typeof operand !== "string") return void problems.push(`${at}.matches: ${show(operand)} must be a regular expression in a string`);
      let regex: RegExp;
      try {
        regex = new RegExp(operand, "iu");
      } catch (error) {
        return void problems.push(`${at}.matches: ${show(operand)} is not a regular expression (${(error as Error).message})`);
      }
      return (values) => values.some((v) => isScalar(v) && regex.test(String(v)));
    }
    case "exists":
      if (typeof operand !== "boolean") return void problems.push(`${at}.exists: ${show(operand)} must be true or false`);
      return (values) => (values.length > 0) === operand;
  }
}

/** Compiles `if:`'s value; problems are pushed with their path (`at` names the `if`). */
export function parseCondition(value: unknown, at: string, problems: string[]): ParsedCondition | undefined {
  if (!isRecord(value) || Object.keys(value).length === 0) {
    problems.push(`${at}: ${show(value)} must map paths (${ROOTS.map((r) => `${r}.…`).join(", ")}) to tests, e.g. { Attribute.to_ids: true }`);
    return undefined;
  }
  const tests: Condition[] = [];
  const roots = new Set<string>();
  const before = problems.length;
  for (const [key, test] of Object.entries(value)) {
    if (key === "any") {
      if (!Array.isArray(test) || test.length === 0) {
        problems.push(`${at}.any: must be a non-empty list of conditions`);
        continue;
      }
      const branches = test.map((branch, i) => parseCondition(branch, `${at}.any[${i}]`, problems));
      for (const branch of branches) branch?.roots.forEach((r) => roots.add(r));
      tests.push((scope) => branches.some((branch) => branch?.test(scope) === true));
      continue;
    }
    if (!PATH.test(key)) {
      problems.push(`${at}.${key}: not a path; a path starts with ${ROOTS.join(", ")} and names fields with dots (Attribute.Tag.name), or use any: [...]`);
      continue;
    }
    const path = key.split(".");
    roots.add(path[0] as string);
    const pairs: [Operator, unknown][] = isRecord(test) ? Object.entries(test).map(([op, operand]) => [op as Operator, operand]) : [["equals", test]];
    if (pairs.length === 0) problems.push(`${at}.${key}: names no test; tests are ${OPERATORS.join(", ")}`);
    for (const [op, operand] of pairs) {
      if (!(OPERATORS as readonly string[]).includes(op)) {
        problems.push(`${at}.${key}.${op}: unknown test; tests are ${OPERATORS.join(", ")}`);
        continue;
      }
      const check = compileTest(op, operand, `${at}.${key}`, problems);
      if (check) tests.push((scope) => check(valuesAt(scope, path)));
    }
  }
  if (problems.length > before) return undefined;
  return { test: (scope) => tests.every((t) => t(scope)), roots };
}
