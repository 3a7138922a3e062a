// Where-objects: data, not code (route/types.ts). validateWhere reports every problem at load;
// compileWhere turns a valid one into a predicate once, which says why a message does not match.

import { isRecord } from "../json.js";
import type { MessageKind, MispMessage } from "../decode/types.js";
import type { Where } from "./types.js";

type WhereKey = keyof Where;

/** The kinds each key can be evaluated on. On other kinds of the same route a key is skipped. */
export const WHERE_KINDS: { readonly [K in WhereKey]-?: ReadonlySet<MessageKind> } = {
  type: new Set(["attribute", "sighting"]),
  category: new Set(["attribute"]),
  toIds: new Set(["attribute"]),
  inObject: new Set(["attribute"]),
  objectName: new Set(["attribute"]),
  tags: new Set(["attribute", "tag", "event", "publish"]),
};

const KEYS = Object.keys(WHERE_KINDS) as WhereKey[];
const TAG_KEYS = ["any", "all", "none"] as const;

/** Every problem of a where-object, each with its path, the bad value and what is permitted. */
export function validateWhere(where: unknown, path: string, kinds?: ReadonlySet<MessageKind>): string[] {
  if (where === undefined) return [];
  if (!isRecord(where)) return [`${path}: ${show(where)} is not an object of conditions (keys: ${KEYS.join(", ")})`];
  const problems: string[] = [];
  for (const [key, value] of Object.entries(where)) {
    const at = `${path}.${key}`;
    if (!(KEYS as string[]).includes(key)) {
      problems.push(`${at}: unknown key. Permitted keys are: ${KEYS.join(", ")}`);
      continue;
    }
    const whereKey = key as WhereKey;
    if (whereKey === "toIds" || whereKey === "inObject") {
      if (typeof value !== "boolean") problems.push(`${at}: ${show(value)} is not a boolean (true or false)`);
    } else if (whereKey === "tags") {
      problems.push(...validateTags(value, at));
    } else {
      problems.push(...validateStrings(value, at, "a non-empty string or a non-empty list of them"));
    }
    const applies = WHERE_KINDS[whereKey];
    if (kinds !== undefined && kinds.size > 0 && ![...kinds].some((kind) => applies.has(kind))) {
      problems.push(`${at}: applies only to ${[...applies].join(", ")} messages, and this route queries ${[...kinds].join(", ")}`);
    }
  }
  return problems;
}

function validateTags(value: unknown, at: string): string[] {
  if (!isRecord(value)) return [`${at}: ${show(value)} is not an object with any, all or none (lists of tag patterns)`];
  const entries = Object.entries(value);
  if (entries.length === 0) return [`${at}: names none of any, all, none`];
  const problems: string[] = [];
  for (const [key, patterns] of entries) {
    if (!(TAG_KEYS as readonly string[]).includes(key)) {
      problems.push(`${at}.${key}: unknown key. Permitted keys are: ${TAG_KEYS.join(", ")}`);
    } else if (!Array.isArray(patterns)) {
      problems.push(`${at}.${key}: ${show(patterns)} is not a list of tag patterns (names, "*" as a wildcard)`);
    } else {
      problems.push(...validateStrings(patterns, `${at}.${key}`, "a non-empty list of tag patterns"));
    }
  }
  return problems;
}

function validateStrings(value: unknown, at: string, permitted: string): string[] {
  if (typeof value === "string") return value.length > 0 ? [] : [`${at}: "" is empty; it must be ${permitted}`];
  if (!Array.isArray(value)) return [`${at}: ${show(value)} is not ${permitted}`];
  if (value.length === 0) return [`${at}: [] is empty; it must be ${permitted}`];
  return value.flatMap((item: unknown, i) =>
    typeof item === "string" && item.length > 0 ? [] : [`${at}[${i}]: ${show(item)} is not a non-empty string`],
  );
}

type Check = (message: MispMessage) => string | null;

/**
 * A predicate returning null on a match, otherwise a short reason. Keys that cannot apply to the
 * message's kind are skipped (load-time validation guarantees each applies to one of the route's
 * kinds). Expects a where-object that passed validateWhere.
 */
export function compileWhere(where: Where): (message: MispMessage) => string | null {
  const checks: { kinds: ReadonlySet<MessageKind>; check: Check }[] = [];
  const add = (key: WhereKey, check: Check): void => {
    checks.push({ kinds: WHERE_KINDS[key], check });
  };
  if (where.type !== undefined) add("type", oneOf("type", where.type, typeOf));
  if (where.category !== undefined) {
    add("category", oneOf("category", where.category, (m) => (m.kind === "attribute" ? m.attribute.category : undefined)));
  }
  if (where.toIds !== undefined) {
    const wanted = where.toIds;
    add("toIds", (m) => (m.kind !== "attribute" || m.attribute.toIds === wanted ? null : `to_ids is ${!wanted}, wanted ${wanted}`));
  }
  if (where.inObject !== undefined) {
    const wanted = where.inObject;
    add("inObject", (m) => {
      if (m.kind !== "attribute") return null;
      const inObject = m.attribute.objectId !== 0;
      if (inObject === wanted) return null;
      return wanted ? "not in an object" : `in object ${m.object?.name ?? m.attribute.objectId}`;
    });
  }
  if (where.objectName !== undefined) {
    const names = list(where.objectName);
    const accepted = new Set(names);
    add("objectName", (m) => {
      if (m.kind !== "attribute") return null;
      if (m.attribute.objectId === 0) return "not in an object";
      const name = m.object?.name;
      if (name === undefined) return "object name unknown: the message carries no Object";
      return accepted.has(name) ? null : `object name ${name} not in ${names.join(", ")}`;
    });
  }
  if (where.tags !== undefined) add("tags", compileTags(where.tags));

  return (message) => {
    for (const { kinds, check } of checks) {
      if (!kinds.has(message.kind)) continue;
      const reason = check(message);
      if (reason !== null) return reason;
    }
    return null;
  };
}

function typeOf(message: MispMessage): string | undefined {
  if (message.kind === "attribute") return message.attribute.type;
  if (message.kind === "sighting") return message.sighting.attribute?.type;
  return undefined;
}

function oneOf(label: string, value: string | readonly string[], read: (m: MispMessage) => string | undefined): Check {
  const values = list(value);
  const accepted = new Set(values);
  return (message) => {
    const actual = read(message);
    if (actual === undefined) return `${label} unknown: the ${message.kind} message does not carry it`;
    return accepted.has(actual) ? null : `${label} ${actual} not in ${values.join(", ")}`;
  };
}

function compileTags(tags: NonNullable<Where["tags"]>): Check {
  const any = (tags.any ?? []).map(compileTagPattern);
  const all = (tags.all ?? []).map(compileTagPattern);
  const none = (tags.none ?? []).map(compileTagPattern);
  return (message) => {
    const names = tagNames(message);
    if (any.length > 0 && !names.some((name) => any.some((p) => p.test(name)))) {
      return `${names.length === 0 ? "no tags" : `tags ${names.join(", ")}`} match none of ${any.map((p) => p.source).join(", ")}`;
    }
    for (const pattern of all) {
      if (!names.some((name) => pattern.test(name))) return `no tag matches ${pattern.source} (all)`;
    }
    for (const name of names) {
      const hit = none.find((p) => p.test(name));
      if (hit !== undefined) return `tag ${name} matches none: ${hit.source}`;
    }
    return null;
  };
}

function tagNames(message: MispMessage): readonly string[] {
  switch (message.kind) {
    case "attribute":
      return message.attribute.tags.map((tag) => tag.name);
    case "tag":
      return [message.tag.name];
    case "event":
    case "publish":
      return message.tags.map((tag) => tag.name);
    default:
      return [];
  }
}

export interface TagMatcher {
  readonly source: string;
  test(name: string): boolean;
}

/** A tag name or a `*` glob, compared case-insensitively as MISP does. */
export function compileTagPattern(pattern: string): TagMatcher {
  const lower = pattern.toLowerCase();
  if (!pattern.includes("*")) return { source: pattern, test: (name) => name.toLowerCase() === lower };
  const body = pattern.split("*").map((part) => part.replace(/[.+?^${}()|[\]\\]/g, "\\$&")).join(".*");
  const regex = new RegExp(`^${body}$`, "is");
  return { source: pattern, test: (name) => regex.test(name) };
}

function list(value: string | readonly string[]): readonly string[] {
  return typeof value === "string" ? [value] : value;
}

function show(value: unknown): string {
  return value === undefined ? "undefined" : (JSON.stringify(value) ?? String(value));
}
