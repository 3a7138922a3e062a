// A rule's `do:` list, item by item. Each item is one action, in its one-value shorthand or its
// mapping form:
//   - enrich: onion_lookup                    - enrich: { module: onion_lookup, objects: [tor-hiddenservice] }
//   - set-distribution: 0                     - set-distribution: { sharingGroup: 3 }
//   - add-tag: 'tlp:red'                      - add-tag: { tag: 'tlp:red', local: true, on: event }   (or tags: [...])
//   - remove-tag: 'case:open'                 - remove-tag: { tags: [...], on: attribute }
//   - webhook: { url, method, contentType, headers, body, timeoutMs, verifyTls, caFile }
//   - stop                                    - stop: "why"
//   - if: { Attribute.to_ids: true }          then: [ ... ]   else: [ ... ]
// Every problem is pushed with its path (`do[2].webhook.url: …`); nothing is half-parsed.

import { compileWebhook, WEBHOOK_METHODS, type WebhookOptions } from "../actions/webhook.js";
import { isRecord } from "../json.js";
import { parseCondition } from "./condition.js";
import { tagSyntaxProblem } from "./tag-syntax.js";
import type { Step, TagOn } from "./types.js";

export const ACTIONS = ["enrich", "set-distribution", "add-tag", "remove-tag", "webhook", "stop", "if"] as const;
const WEBHOOK_KEYS = ["url", "method", "contentType", "headers", "body", "timeoutMs", "verifyTls", "caFile"];
const show = (v: unknown): string => JSON.stringify(v) ?? String(v);

function unknownKeys(value: Record<string, unknown>, permitted: readonly string[], at: string, problems: string[]): void {
  for (const key of Object.keys(value)) if (!permitted.includes(key)) problems.push(`${at}.${key}: unknown key; permitted: ${permitted.join(", ")}`);
}

function parseTags(value: unknown, at: string, problems: string[]): { tags: string[]; local?: boolean; on?: TagOn } | undefined {
  let spec: Record<string, unknown>;
  if (typeof value === "string" || Array.isArray(value)) spec = { tags: typeof value === "string" ? [value] : value };
  else if (isRecord(value)) {
    unknownKeys(value, ["tag", "tags", "local", "on"], at, problems);
    if (value.tag !== undefined && value.tags !== undefined) problems.push(`${at}: give tag or tags, not both`);
    spec = { ...value, tags: value.tags ?? (value.tag === undefined ? undefined : [value.tag]) };
  } else {
    problems.push(`${at}: ${show(value)} must be a tag name, a list of them, or { tag, local, on }`);
    return undefined;
  }
  const before = problems.length;
  const tags = spec.tags;
  if (!Array.isArray(tags) || tags.length === 0) problems.push(`${at}: names no tag`);
  else tags.forEach((tag, i) => {
    const problem = tagSyntaxProblem(tag);
    if (problem) problems.push(`${at}${tags.length > 1 ? `.tags[${i}]` : ""}: ${problem}`);
  });
  if (spec.local !== undefined && typeof spec.local !== "boolean") problems.push(`${at}.local: ${show(spec.local)} must be true or false`);
  if (spec.on !== undefined && spec.on !== "attribute" && spec.on !== "event") problems.push(`${at}.on: ${show(spec.on)} must be attribute or event`);
  if (problems.length > before) return undefined;
  return { tags: tags as string[], ...(spec.local === undefined ? {} : { local: spec.local as boolean }), ...(spec.on === undefined ? {} : { on: spec.on as TagOn }) };
}

function parseDistribution(value: unknown, at: string, problems: string[]): Extract<Step, { kind: "set-distribution" }>["to"] | undefined {
  const level = isRecord(value) ? value.distribution : value;
  if (isRecord(value)) {
    unknownKeys(value, ["distribution", "sharingGroup"], at, problems);
    if (value.sharingGroup !== undefined) {
      if (value.distribution !== undefined && value.distribution !== 4) problems.push(`${at}: a sharing group is distribution 4; leave distribution out`);
      if (!Number.isSafeInteger(value.sharingGroup) || (value.sharingGroup as number) <= 0) {
        problems.push(`${at}.sharingGroup: ${show(value.sharingGroup)} must be the numeric id of a sharing group`);
        return undefined;
      }
      return { sharingGroupId: value.sharingGroup as number };
    }
  }
  if (level === 4) {
    problems.push(`${at}: distribution 4 needs a sharing group: { sharingGroup: <id> }`);
    return undefined;
  }
  if (![0, 1, 2, 3, 5].includes(level as number)) {
    problems.push(`${at}: ${show(level)} must be 0 (your organisation only), 1 (this community), 2 (connected communities), 3 (all communities), 5 (inherit from the event) or { sharingGroup: <id> }`);
    return undefined;
  }
  return { distribution: level as 0 | 1 | 2 | 3 | 5 };
}

function parseEnrich(value: unknown, at: string, problems: string[]): Extract<Step, { kind: "enrich" }>["setting"] | undefined {
  const spec = typeof value === "string" ? { module: value } : value;
  if (!isRecord(spec) || typeof spec.module !== "string" || !/^[A-Za-z0-9_-]+$/.test(spec.module)) {
    problems.push(`${at}: ${show(value)} must name a misp-modules expansion module, or be { module, objects }`);
    return undefined;
  }
  unknownKeys(spec, ["module", "objects"], at, problems);
  if (spec.objects !== undefined && (!Array.isArray(spec.objects) || spec.objects.length === 0 || !spec.objects.every((o) => typeof o === "string" && o !== ""))) {
    problems.push(`${at}.objects: ${show(spec.objects)} must list object names (e.g. [geolocation])`);
    return undefined;
  }
  return { module: spec.module, ...(spec.objects ? { objects: spec.objects as string[] } : {}) };
}

function parseWebhook(value: unknown, at: string, problems: string[]): Extract<Step, { kind: "webhook" }>["hook"] | undefined {
  if (!isRecord(value)) {
    problems.push(`${at}: ${show(value)} must be a mapping with url (and method, contentType, headers, body, timeoutMs, verifyTls, caFile)`);
    return undefined;
  }
  unknownKeys(value, WEBHOOK_KEYS, at, problems);
  const types: [string, string][] = [["url", "string"], ["contentType", "string"], ["caFile", "string"], ["timeoutMs", "number"], ["verifyTls", "boolean"]];
  for (const [key, type] of types) if (value[key] !== undefined && typeof value[key] !== type) problems.push(`${at}.${key}: ${show(value[key])} must be a ${type}`);
  if (value.url === undefined) problems.push(`${at}.url: is required`);
  if (value.method !== undefined && !(WEBHOOK_METHODS as readonly unknown[]).includes(value.method)) problems.push(`${at}.method: ${show(value.method)} must be one of ${WEBHOOK_METHODS.join(", ")}`);
  if (value.headers !== undefined && (!isRecord(value.headers) || !Object.values(value.headers).every((v) => typeof v === "string"))) {
    problems.push(`${at}.headers: must map header names to strings`);
  }
  if (problems.some((p) => p.startsWith(`${at}.`) || p === at)) return undefined;
  try {
    return compileWebhook(value as unknown as WebhookOptions);
  } catch (error) {
    problems.push(`${at}.${(error as Error).message}`);
    return undefined;
  }
}

function parseStep(item: unknown, at: string, problems: string[]): Step | undefined {
  if (item === "stop") return { kind: "stop", at, reason: "stop" };
  if (!isRecord(item)) {
    problems.push(`${at}: ${show(item)} is not an action; actions are ${ACTIONS.join(", ")}`);
    return undefined;
  }
  const keys = Object.keys(item);
  if ("if" in item) {
    unknownKeys(item, ["if", "then", "else"], at, problems);
    const condition = parseCondition(item.if, `${at}.if`, problems);
    const branch = (key: "then" | "else"): Step[] => {
      const list = item[key];
      if (list === undefined) return [];
      if (!Array.isArray(list)) {
        problems.push(`${at}.${key}: must be a list of actions`);
        return [];
      }
      return parseSteps(list, `${at}.${key}`, problems);
    };
    const then = branch("then");
    const otherwise = branch("else");
    if (item.then === undefined && item.else === undefined) problems.push(`${at}: an if needs then: [...] or else: [...]`);
    return condition ? { kind: "if", at, condition, then, else: otherwise } : undefined;
  }
  if (keys.length !== 1) {
    problems.push(`${at}: one action per item, got ${keys.join(", ") || "none"}`);
    return undefined;
  }
  const key = keys[0] as string;
  const value = item[key];
  const here = `${at}.${key}`;
  switch (key) {
    case "enrich": {
      const setting = parseEnrich(value, here, problems);
      return setting ? { kind: "enrich", at, setting } : undefined;
    }
    case "set-distribution": {
      const to = parseDistribution(value, here, problems);
      return to ? { kind: "set-distribution", at, to } : undefined;
    }
    case "add-tag":
    case "remove-tag": {
      const spec = parseTags(value, here, problems);
      if (!spec) return undefined;
      if (key === "remove-tag" && spec.local !== undefined) problems.push(`${here}.local: removing takes the tag off whatever its locality`);
      const on = spec.on === undefined ? {} : { on: spec.on };
      return key === "add-tag"
        ? { kind: "add-tag", at, tags: spec.tags, ...on, ...(spec.local === undefined ? {} : { local: spec.local }) }
        : { kind: "remove-tag", at, tags: spec.tags, ...on };
    }
    case "webhook": {
      const hook = parseWebhook(value, here, problems);
      return hook ? { kind: "webhook", at, hook } : undefined;
    }
    case "stop":
      if (value !== true && (typeof value !== "string" || value === "")) {
        problems.push(`${here}: ${show(value)} must be true or a reason`);
        return undefined;
      }
      return { kind: "stop", at, reason: value === true ? "stop" : value };
    default:
      problems.push(`${here}: unknown action; actions are ${ACTIONS.join(", ")}`);
      return undefined;
  }
}

export function parseSteps(items: readonly unknown[], at: string, problems: string[]): Step[] {
  return items.flatMap((item, i) => parseStep(item, `${at}[${i}]`, problems) ?? []);
}
