// Every MISP rule the stand-in enforces, one function or constant each, with where MISP 2.5.1
// (bb0909a3) has it. When a real MISP is seen to behave otherwise, change the rule here.

import { isIP } from "node:net";
import { typeDefinition } from "./attribute-types.js";
import type { EventRow, Store } from "./store.js";

export const MESSAGES = {
  /** AppController::beforeFilter l.267. */
  authFailed: "Authentication failed. Please make sure you pass the API key of an API enabled user along in the Authorization header.",
  /** ACLComponent::checkAccess: the role lacks the action's permission flag. */
  noFunctionality: "You do not have permission to use this functionality.",
  /** __canModifyEvent failed in attributes add/edit, objects add. */
  noPermission: "You do not have permission to do that.",
  /** ObjectsController::add without perm_modify. */
  noObjectPermission: "You don't have permissions to create objects.",
  uuidNotUnique: "The UUID provided is not unique",
  uuidInvalid: "Please provide a valid RFC 4122 UUID",
  similarAttribute: "A similar attribute already exists for this event.",
  onionInvalid: "Onion address has an invalid format.",
  localTagsHostOrgOnly: "Local tags can only be added by users of the host organisation.",
  orgcOnlyGlobalTags: "Cannot alter the tags of this data, only the organisation that has created the data (orgc) can modify global tags.",
  invalidJson:
    "Invalid JSON input. Make sure that the JSON input is a correctly formatted JSON string. This request has been blocked to avoid an unfiltered request.",
} as const;

export interface StandinRole {
  readonly id: number;
  readonly name: string;
  readonly permAdd: boolean;
  readonly permModify: boolean;
  readonly permModifyOrg: boolean;
  readonly permTagger: boolean;
  readonly permTagEditor: boolean;
  readonly permSiteAdmin: boolean;
  readonly permSync: boolean;
  readonly permSighting: boolean;
}

export interface StandinUser {
  readonly id: number;
  readonly email: string;
  readonly orgId: number;
  readonly role: StandinRole;
}

/**
 * IndexFilterComponent::isRest: the action is in AUTOMATION_ARRAY, the URL ends in `.json`, or the
 * Accept header's preferred type is application/json. `isJson` compares the raw header to
 * "application/json" exactly, or asks RequestHandler::prefers(), which takes the first type of the
 * highest-q group with its parameters dropped (CakeRequest::parseAccept): so
 * "application/json; charset=utf-8" counts as JSON; "*\/*", "text/html" or no Accept do not, and
 * AppController::_redirectToLogin answers 302 to /users/login without looking at the key. Both
 * confirmed on a real 2.5.1 (docs/real-misp-observations.md a4, a5).
 */
const AUTOMATION = new Set(["attributes/restSearch", "events/restSearch", "objects/restSearch"]);

export function isRestRequest(accept: string | undefined, jsonExtension: boolean, route: string): boolean {
  return AUTOMATION.has(route) || jsonExtension || preferredType(accept) === "application/json";
}

export function preferredType(accept: string | undefined): string | undefined {
  if (!accept) return undefined;
  let best: { q: number; type: string } | undefined;
  for (const part of accept.split(",")) {
    const [type, ...params] = part.split(";").map((p) => p.trim());
    if (!type) continue;
    const q = Number(params.find((p) => p.startsWith("q="))?.slice(2) ?? "1");
    if (!best || q > best.q) best = { q, type: type.toLowerCase() };
  }
  return best?.type;
}

/**
 * AppController::__loginByAuthKey: X-MISP-AUTH wins over Authorization; several comma-separated keys
 * may be sent; a value starting with "Basic" is ignored. No "Bearer" prefix is understood.
 */
export function keyAccepted(headers: { authorization?: string; xMispAuth?: string }, key: string): boolean {
  const raw = headers.xMispAuth ?? headers.authorization;
  if (raw === undefined || raw.startsWith("Basic")) return false;
  return raw.split(",").some((k) => k.trim() === key);
}

/** ACLComponent::canModifyEvent. */
export function canModifyEvent(user: StandinUser, event: EventRow): boolean {
  if (user.role.permSiteAdmin) return true;
  if (user.role.permModifyOrg && event.orgcId === user.orgId) return true;
  return user.role.permModify && event.userId === user.id;
}

/** TagsController::attachTagToObject: local tags only for users of MISP.host_org_id. */
export function mayAttachLocalTags(user: StandinUser, hostOrgId: number): boolean {
  return user.orgId === hostOrgId;
}

/** TagsController::__findObjectByUuid with scope "modify": global tags need the creator org. */
export function mayAttachGlobalTags(user: StandinUser, event: EventRow): boolean {
  return user.role.permSiteAdmin || event.orgcId === user.orgId;
}

/** Validation::uuid: version nibble 0-5 and RFC 4122 variant. */
export const UUID_RE = /^[a-fA-F0-9]{8}-[a-fA-F0-9]{4}-[0-5][a-fA-F0-9]{3}-[089aAbB][a-fA-F0-9]{3}-[a-fA-F0-9]{12}$/;

/**
 * AttributeValidationTool::validate for onion-address. The regex in 2.5.1 is
 * `^([a-z2-7]{16}|[a-z2-7]{56)\.onion$`: the `{56)` typo closes the group early, so only 16-character
 * (Tor v2) addresses pass (field/real-misp.md). `rejectV3Onions: false` models a fixed MISP.
 */
export function onionValid(value: string, rejectV3Onions: boolean): boolean {
  return rejectV3Onions ? /^[a-z2-7]{16}\.onion$/.test(value) : /^([a-z2-7]{16}|[a-z2-7]{56})\.onion$/.test(value);
}

const GENERIC_FORMAT = 'Value not in the right type/format. Please double check the value or select type "other".';

/** AttributeValidationTool::modifyBeforeValidation, for the types the stand-in normalises. */
export function normaliseValue(type: string, value: string): string {
  const v = value.trim();
  return ["onion-address", "domain", "hostname", "email", "email-src", "email-dst"].includes(type) ? v.toLowerCase() : v;
}

/** The value rules of MispAttribute::$validate['value'] for the types the stand-in checks. */
function valueError(type: string, value: string, rejectV3Onions: boolean): string | undefined {
  if (value === "") return "stringNotEmpty";
  switch (type) {
    case "ip-src":
    case "ip-dst": {
      const [ip, bits] = value.split("/");
      return ip && isIP(ip) && (bits === undefined || /^\d+$/.test(bits)) ? undefined : "IP address has an invalid format.";
    }
    case "onion-address":
      return onionValid(value, rejectV3Onions) ? undefined : MESSAGES.onionInvalid;
    case "float":
      return value.trim() !== "" && Number.isFinite(Number(value)) ? undefined : GENERIC_FORMAT;
    case "AS":
      return /^\d+$/.test(value) && Number(value) >= 1 && Number(value) <= 4294967295 ? undefined : "AS number have to be integer between 1 and 4294967295";
    case "datetime":
      return Number.isNaN(Date.parse(value)) ? "Datetime has to be in the ISO 8601 format." : undefined;
    default:
      return undefined;
  }
}

export interface AttributeCandidate {
  readonly type: string;
  readonly value: string;
  readonly category: string;
  readonly uuid: string;
  readonly distribution: string;
  readonly eventId: number;
  readonly objectRelation: string | null;
  readonly deleted: boolean;
}

/**
 * MispAttribute::$validate in field order (type, value, uuid, distribution); the first failing rule
 * of each field is reported, as CakePHP does. `create` enables the uuid uniqueness rule, which looks
 * at the whole table, soft-deleted rows included (rest.md §1).
 */
export function validateAttribute(store: Store, a: AttributeCandidate, options: { create: boolean; rejectV3Onions: boolean; selfId?: number }): Record<string, string[]> {
  const errors: Record<string, string[]> = {};
  if (!typeDefinition(a.type)) errors.type = ["Options depend on the selected category."];
  const valueProblem = valueError(a.type, a.value, options.rejectV3Onions);
  if (valueProblem) errors.value = [valueProblem];
  else if (similarExists(store, a, options.selfId)) errors.value = [MESSAGES.similarAttribute];
  if (!UUID_RE.test(a.uuid)) errors.uuid = [MESSAGES.uuidInvalid];
  else if (options.create && store.findAttribute(a.uuid.toLowerCase(), true) !== undefined) errors.uuid = [MESSAGES.uuidNotUnique];
  if (!["0", "1", "2", "3", "4", "5"].includes(a.distribution)) {
    errors.distribution = ["Options: Your organisation only, This community only, Connected communities, All communities, Sharing group, Inherit event"];
  }
  return errors;
}

/** MispAttribute::valueIsUnique: standalone, not deleted, same event/type/category/value. */
function similarExists(store: Store, a: AttributeCandidate, selfId?: number): boolean {
  if (a.deleted || a.objectRelation) return false;
  return store.attributesWithValue(a.value).some(
    (r) => r.id !== selfId && !r.deleted && r.objectId === 0 && r.eventId === a.eventId && r.type === a.type && r.category === a.category && r.value === a.value,
  );
}
