// Deterministic uuids (RFC 4122 version 5, SHA-1). Processing the same message twice derives the same
// object and attribute uuids, so MISP refuses the second write as "not unique" instead of storing a
// duplicate: this is what makes every POST safe to retry (rest.md §15, STYLE rule 8).

import { hash } from "node:crypto";
import type { ResultObject } from "../modules/types.js";

/** RFC 4122 appendix C namespaces, for tests and callers that derive from names they do not own. */
export const NAMESPACE_DNS = "6ba7b810-9dad-11d1-80b4-00c04fd430c8";
export const NAMESPACE_URL = "6ba7b811-9dad-11d1-80b4-00c04fd430c8";

/**
 * The project namespace: `uuidv5(NAMESPACE_URL, "urn:misp-enrichd")`, written out so that it can never
 * drift. Changing it changes every derived uuid, and with it the idempotency of past writes.
 */
export const ENRICHD_NAMESPACE = "f7ca5bef-ae24-5db2-837e-8987ae55a957";

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isUuid(value: string): boolean {
  return UUID_RE.test(value);
}

function uuidBytes(uuid: string): Buffer {
  if (!isUuid(uuid)) throw new TypeError(`not a uuid: ${uuid}`);
  return Buffer.from(uuid.replace(/-/g, ""), "hex");
}

/** The namespaces in use are few (the project's, the RFC's): their bytes are read once. */
const namespaceBytes = new Map<string, Buffer>();

function namespaceOf(namespace: string): Buffer {
  let bytes = namespaceBytes.get(namespace);
  if (bytes === undefined) {
    bytes = uuidBytes(namespace);
    if (namespaceBytes.size < 16) namespaceBytes.set(namespace, bytes);
  }
  return bytes;
}

/** Namespace bytes, then the name's UTF-8: hashed from here, so that no Buffer is made per uuid. */
const scratch = Buffer.allocUnsafe(4096);

/**
 * The uuid's characters are laid out here from the hex digest and read as one string: slicing and
 * joining the digest's parts made ~10 strings per uuid (eight uuids per enrichment).
 */
const hexDigest = Buffer.allocUnsafe(40);
const uuidText = Buffer.allocUnsafe(36);
/** For each of the uuid's 36 characters (8-4-4-4-12), the index of the digest's hex digit it takes, or -1 for a dash. */
const LAYOUT: readonly number[] = (() => {
  let digit = 0;
  return [..."xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx"].map((c) => (c === "-" ? -1 : digit++));
})();
const DASH = 0x2d;
const VERSION_5 = 0x35;
const VARIANTS = Buffer.from("89ab");

/** RFC 4122 §4.3: SHA-1 over namespace bytes then UTF-8 name; version 5, variant 10xx. Lowercase. */
export function uuidv5(namespace: string, name: string): string {
  // A hex digest costs a fifth of a Buffer digest: Node makes no ArrayBuffer for it.
  const length = 16 + Buffer.byteLength(name, "utf8");
  const input = length <= scratch.length ? scratch : Buffer.allocUnsafe(length);
  namespaceOf(namespace).copy(input, 0);
  input.write(name, 16, "utf8");
  hexDigest.write(hash("sha1", input.subarray(0, length), "hex"), 0, 40, "latin1");
  for (let i = 0; i < 36; i++) {
    const digit = LAYOUT[i] as number;
    uuidText[i] = digit < 0 ? DASH : (hexDigest[digit] as number);
  }
  // Version 5 in the 13th digit, the variant (10xx) in the high bits of the 17th.
  uuidText[14] = VERSION_5;
  const c = hexDigest[16] as number;
  uuidText[19] = VARIANTS[((c <= 0x39 ? c - 0x30 : c - 0x57) & 3)] as number;
  return uuidText.toString("latin1", 0, 36);
}

/**
 * The uuid of the object a module result becomes for this source attribute and module: named by the
 * object's name and its rank among the result's objects of that name, not by its values. A module's
 * answer drifts over time (mmdb_lookup's provenance line carries its database build date,
 * onion_lookup's last-seen moves daily), and a redelivered or spooled message must still find the
 * object it wrote the first time, not add a second one. The module's own uuids are fresh on every
 * call (modules.md §3), so they can never be part of it.
 */
export function deriveObjectUuid(sourceUuid: string, module: string, object: Pick<ResultObject, "name">, rank = 0): string {
  return uuidv5(ENRICHD_NAMESPACE, JSON.stringify(["object", sourceUuid.toLowerCase(), module, object.name, rank]));
}

/**
 * The parent of standalone attributes a module adds for a source attribute (legacy results): they
 * have no object, so the pair (source, module) stands in for one.
 */
export function deriveStandaloneParentUuid(sourceUuid: string, module: string): string {
  return uuidv5(ENRICHD_NAMESPACE, JSON.stringify(["standalone", sourceUuid.toLowerCase(), module]));
}

/** The uuid of one attribute under its parent (an object uuid, or a standalone parent). */
export function deriveAttributeUuid(parentUuid: string, relation: string, type: string, value: string): string {
  return uuidv5(ENRICHD_NAMESPACE, JSON.stringify(["attribute", parentUuid.toLowerCase(), relation, type, value]));
}
