// Rejects attribute frames that no route can match before their JSON is parsed. Every enrichment
// makes MISP echo the written object's attributes on `misp_json_attribute` (text, float, AS… for a
// geolocation or asn object), and a feed brings types nobody enriches: a full parse and decode of
// each, only to drop it, is most of what such a frame costs.
//
// The scan reads two facts of the payload's `Attribute` — its `type` and its `object_id` — walking
// the JSON bytes without building anything, and drops the frame only on positive evidence: a type no
// route accepts, or an object attribute (object_id ≠ 0) where every route wants standalone ones, or
// the reverse. Whenever the bytes are not plain enough to be sure (escapes in those values, a value
// of another kind, JSON that would not parse, a key given twice) it keeps the frame, and the full
// decode and the router decide as before. test/decode/prefilter.test.ts checks "dropped ⇒ the router
// matches nothing" against the decoder and router on the sample corpus and on random frames.

import type { MessageKind } from "./types.js";

/** What the attribute routes accept, as far as the prefilter can test it (route/prefilter-spec.ts). */
export interface AttributePrefilterSpec {
  /** Types some attribute route accepts; undefined when some route takes every type. */
  readonly types?: ReadonlySet<string>;
  /** Some attribute route takes attributes inside an object. */
  readonly inObject: boolean;
  /** Some attribute route takes standalone attributes. */
  readonly standalone: boolean;
}

/** True when no route can match the frame: it is dropped unread. */
export type Prefilter = (kind: MessageKind, json: Buffer) => boolean;

/** The prefilter for a spec, or undefined when it could never drop anything. */
export function createPrefilter(spec: { readonly attribute?: AttributePrefilterSpec }): Prefilter | undefined {
  const attribute = spec.attribute;
  if (attribute === undefined || (attribute.types === undefined && attribute.inObject && attribute.standalone)) return undefined;
  const { types, inObject, standalone } = attribute;
  return (kind, json) => {
    if (kind !== "attribute") return false;
    const facts = readAttributeFacts(json);
    if (facts === null) return false;
    if (types !== undefined && typeof facts.type === "string" && !types.has(facts.type)) return true;
    if (typeof facts.objectId === "number") return facts.objectId === 0 ? !standalone : !inObject;
    return false;
  };
}

export interface AttributeFacts {
  /** The attribute's type; undefined when absent or not a plain string. */
  readonly type?: string;
  /** Its object_id as MISP writes it ("0" or a number); undefined when absent or anything else. */
  readonly objectId?: number;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const COLON = 0x3a;
const COMMA = 0x2c;
const ATTRIBUTE_KEY = Buffer.from('"Attribute"');
const TYPE_KEY = Buffer.from('"type"');
const OBJECT_ID_KEY = Buffer.from('"object_id"');
const DIGITS = /^\d{1,15}$/;

/**
 * The `type` and `object_id` of the payload's top-level `Attribute` object, as JSON.parse would see
 * them (the last of repeated keys wins there, so a repeated key makes the fact unknown here); null
 * when the payload is not a JSON object with one `Attribute` object in it.
 */
export function readAttributeFacts(json: Buffer): AttributeFacts | null {
  let i = space(json, 0);
  if (json[i] !== OPEN_OBJECT) return null;
  let facts: AttributeFacts | null = null;
  let seen = false;
  i = space(json, i + 1);
  if (json[i] === CLOSE_OBJECT) return null;
  for (;;) {
    if (json[i] !== QUOTE) return null;
    const keyEnd = stringEnd(json, i);
    if (keyEnd < 0 || hasEscape(json, i, keyEnd)) return null; // an escaped key may spell "Attribute"
    const isAttribute = keyEnd - i === ATTRIBUTE_KEY.length && json.compare(ATTRIBUTE_KEY, 0, ATTRIBUTE_KEY.length, i, keyEnd) === 0;
    i = space(json, keyEnd);
    if (json[i] !== COLON) return null;
    i = space(json, i + 1);
    if (isAttribute) {
      if (seen) return null; // JSON.parse keeps the last one: do not guess
      seen = true;
      if (json[i] !== OPEN_OBJECT) return null;
      const read = scanAttribute(json, i);
      if (read === null) return null;
      if (read.end < 0) return read.facts;
      facts = read.facts;
      i = read.end;
    } else {
      i = skipValue(json, i);
      if (i < 0) return null;
    }
    i = space(json, i);
    if (json[i] === COMMA) {
      i = space(json, i + 1);
      continue;
    }
    if (json[i] !== CLOSE_OBJECT) return null;
    // Anything but white space after the payload would make JSON.parse fail.
    return space(json, i + 1) === json.length ? facts : null;
  }
}

/**
 * Reads `type` and `object_id` from the object starting at `start`; returns the facts and the index
 * after the object, or end -1 when both facts are known and nothing after them can change them.
 */
function scanAttribute(json: Buffer, start: number): { facts: AttributeFacts; end: number } | null {
  let type: string | undefined | null;
  let objectId: number | undefined | null;
  let i = space(json, start + 1);
  if (json[i] === CLOSE_OBJECT) return { facts: {}, end: i + 1 };
  for (;;) {
    if (json[i] !== QUOTE) return null;
    const keyEnd = stringEnd(json, i);
    if (keyEnd < 0 || hasEscape(json, i, keyEnd)) return null; // an escaped key may spell "type"
    const which = sameBytes(json, i, keyEnd, TYPE_KEY) ? "type" : sameBytes(json, i, keyEnd, OBJECT_ID_KEY) ? "object_id" : undefined;
    i = space(json, keyEnd);
    if (json[i] !== COLON) return null;
    i = space(json, i + 1);
    const valueEnd = skipValue(json, i);
    if (valueEnd < 0) return null;
    if (which === "type") {
      // A second `type` makes it unknown (null): JSON.parse would take the last one.
      type = type === undefined ? plainString(json, i, valueEnd) : null;
    } else if (which === "object_id") {
      objectId = objectId === undefined ? plainInteger(json, i, valueEnd) : null;
    }
    // MISP writes object_id and type among an attribute's first columns: once both are read, the rest
    // of the frame (its value, comment, sightings, the event, the object: most of its bytes) need not
    // be walked, provided no later key could repeat them. A key "type", "object_id" or "Attribute"
    // later on (a sighting's type, say), or any \u escape that could spell one, sends the frame to the
    // full decode instead; a later syntax error makes the frame one JSON.parse rejects, which no route
    // matches either.
    if (typeof type === "string" && typeof objectId === "number" && !mayRepeat(json, valueEnd)) {
      return { facts: { type, objectId }, end: -1 };
    }
    i = space(json, valueEnd);
    if (json[i] === COMMA) {
      i = space(json, i + 1);
      continue;
    }
    if (json[i] !== CLOSE_OBJECT) return null;
    const facts: { type?: string; objectId?: number } = {};
    if (typeof type === "string") facts.type = type;
    if (typeof objectId === "number") facts.objectId = objectId;
    return { facts, end: i + 1 };
  }
}

/**
 * The bytes `"type"`, `"object_id"`, `"Attribute"` or `\u`. Tested on the rest of the frame decoded as
 * latin1 (one character per byte, so a match there is a match of the bytes): one pass instead of one
 * Buffer.indexOf per key, each a call into C++ that walks the whole rest of the frame.
 */
const LATER_KEYS = /"(?:type|object_id|Attribute)"|\\u/;

function mayRepeat(json: Buffer, from: number): boolean {
  return LATER_KEYS.test(json.toString("latin1", from));
}

function sameBytes(json: Buffer, start: number, end: number, key: Buffer): boolean {
  return end - start === key.length && json.compare(key, 0, key.length, start, end) === 0;
}

function hasEscape(json: Buffer, start: number, end: number): boolean {
  const backslash = json.indexOf(BACKSLASH, start + 1);
  return backslash >= 0 && backslash < end;
}

/** The string token's text when it holds no escape (JSON's text is then its value); else undefined. */
function plainString(json: Buffer, start: number, end: number): string | undefined {
  if (json[start] !== QUOTE || hasEscape(json, start, end)) return undefined;
  return json.toString("utf8", start + 1, end - 1);
}

/** A whole number written as digits, bare or quoted ("0", 12); else undefined. */
function plainInteger(json: Buffer, start: number, end: number): number | undefined {
  const text = json[start] === QUOTE ? json.toString("latin1", start + 1, end - 1) : json.toString("latin1", start, end);
  return DIGITS.test(text) ? Number(text) : undefined;
}

function space(json: Buffer, i: number): number {
  while (i < json.length) {
    const c = json[i];
    if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) break;
    i++;
  }
  return i;
}

/** Index after the closing quote of the string starting at `start`, or -1. */
function stringEnd(json: Buffer, start: number): number {
  let from = start + 1;
  for (;;) {
    const quote = json.indexOf(QUOTE, from);
    if (quote < 0) return -1;
    let slashes = 0;
    for (let k = quote - 1; k > start && json[k] === BACKSLASH; k--) slashes++;
    if (slashes % 2 === 0) return quote + 1;
    from = quote + 1;
  }
}

/** Index after the value starting at `start` (strings, objects and arrays balanced), or -1. */
function skipValue(json: Buffer, start: number): number {
  const first = json[start];
  if (first === QUOTE) return stringEnd(json, start);
  if (first === OPEN_OBJECT || first === OPEN_ARRAY) {
    let depth = 0;
    let i = start;
    while (i < json.length) {
      const c = json[i];
      if (c === QUOTE) {
        i = stringEnd(json, i);
        if (i < 0) return -1;
        continue;
      }
      if (c === OPEN_OBJECT || c === OPEN_ARRAY) depth++;
      else if (c === CLOSE_OBJECT || c === CLOSE_ARRAY) {
        depth--;
        if (depth === 0) return i + 1;
      }
      i++;
    }
    return -1;
  }
  // A number or a literal: up to the next delimiter.
  let i = start;
  while (i < json.length) {
    const c = json[i];
    if (c === COMMA || c === CLOSE_OBJECT || c === CLOSE_ARRAY || c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) break;
    i++;
  }
  return i === start ? -1 : i;
}
