// Turns a MISP answer that is not a success into an EnrichdError (rest.md §0): the status decides the
// code and the retry verdict; MISP's `name`/`message`/`errors` go into `details` for the log line.
// Predicates below recognise the few refusals the client and writer handle rather than raise.

import { EnrichdError, type ErrorCode } from "../errors.js";
import { isRecord } from "../json.js";
import type { HttpMethod } from "./types.js";

export interface CallFacts {
  readonly method: HttpMethod;
  readonly path: string;
}

export const UUID_NOT_UNIQUE = "The UUID provided is not unique";
export const ONION_INVALID = "Onion address has an invalid format.";
export const SIMILAR_ATTRIBUTE = "A similar attribute already exists for this event.";

/** 403 texts that mean "this key or its role may not do this" rather than "this data is wrong". */
const AUTH_MESSAGES = [
  /^Authentication failed/,
  /^You do not have permission to use this functionality/,
  /^You don't have permissions to create objects/,
];

/** MISP runs exception messages through CakePHP's h(); undo the entities it produces. */
export function unescapeHtml(text: string): string {
  return text
    .replace(/&#0?39;/g, "'")
    .replace(/&quot;/g, '"')
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&amp;/g, "&");
}

export interface MispFailure {
  readonly name?: string;
  readonly message?: string;
  readonly errors?: unknown;
}

export function readFailure(body: unknown): MispFailure {
  if (!isRecord(body)) return {};
  const out: { name?: string; message?: string; errors?: unknown } = {};
  if (typeof body.name === "string") out.name = unescapeHtml(body.name);
  if (typeof body.message === "string") out.message = unescapeHtml(body.message);
  if (body.errors !== undefined) out.errors = body.errors;
  return out;
}

/** `errors` is a string, an object of field → messages, or nested per attribute: flatten to text. */
export function errorsText(errors: unknown): string {
  if (errors === undefined || errors === null) return "";
  return typeof errors === "string" ? errors : JSON.stringify(errors);
}

export function isAuthMessage(message: string | undefined): boolean {
  return message !== undefined && AUTH_MESSAGES.some((re) => re.test(message));
}

/** Headers of a failed answer that say more than its body: where a redirect goes, when to come back. */
export interface AnswerHints {
  readonly location?: string;
  /** From `Retry-After` on a 429 or 503, in milliseconds. */
  readonly retryAfterMs?: number;
}

export function errorForStatus(call: CallFacts, status: number, body: unknown, hints: AnswerHints = {}): EnrichdError {
  const { location } = hints;
  const failure = readFailure(body);
  const said = failure.message ?? failure.name ?? (typeof body === "string" ? body.slice(0, 200) : "");
  const details: Record<string, unknown> = { method: call.method, path: call.path, status };
  if (failure.message ?? failure.name) details.message = failure.message ?? failure.name;
  if (failure.errors !== undefined) details.errors = failure.errors;
  const extra = errorsText(failure.errors);
  const tail = `${said}${extra && !said.includes(extra) ? ` (${extra.slice(0, 300)})` : ""}`;
  let code: ErrorCode;
  let verb: string;
  if (status >= 300 && status < 400) {
    code = "ENRICHD_MISP_RESPONSE_INVALID";
    verb = `redirected ${call.method} ${call.path} to ${location ?? "?"}: the request was not taken as an API call (check the URL)`;
    if (location) details.location = location;
  } else if (status === 429 || status >= 500) {
    code = "ENRICHD_MISP_UNAVAILABLE";
    verb = `answered ${status} to ${call.method} ${call.path}`;
    if ((status === 429 || status === 503) && hints.retryAfterMs !== undefined) details.retryAfterMs = hints.retryAfterMs;
  } else if ((status === 403 || status === 401) && isAuthMessage(failure.message ?? failure.name)) {
    code = "ENRICHD_MISP_AUTH";
    verb = `refused ${call.method} ${call.path} (${status})`;
  } else if (status >= 400) {
    code = "ENRICHD_MISP_REJECTED";
    verb = `refused ${call.method} ${call.path} (${status})`;
  } else {
    code = "ENRICHD_MISP_RESPONSE_INVALID";
    verb = `answered ${call.method} ${call.path} with an unexpected status ${status}`;
  }
  return new EnrichdError(code, `MISP ${verb}${tail ? `: ${tail}` : ""}`, { details });
}

function rejectedErrorsText(error: unknown): string {
  if (!(error instanceof EnrichdError) || error.code !== "ENRICHD_MISP_REJECTED") return "";
  return `${errorsText(error.details.errors)} ${String(error.details.message ?? "")}`;
}

/** A 403 saveFail whose errors say a uuid already exists (rest.md §1, §2): the write is already done. */
export function isDuplicateUuid(status: number, body: unknown): boolean {
  if (status !== 403) return false;
  return errorsText(readFailure(body).errors).includes(UUID_NOT_UNIQUE);
}

/** MISP 2.5.1 refuses Tor v3 onion-address values (field/real-misp.md). */
export function isOnionRefusal(error: unknown): boolean {
  return rejectedErrorsText(error).includes(ONION_INVALID);
}

/** attributes/add refused a standalone attribute because the event already has the same value. */
export function isSimilarAttribute(error: unknown): boolean {
  return rejectedErrorsText(error).includes(SIMILAR_ATTRIBUTE);
}

/**
 * A refusal of this one piece of data (validation, conformity, unknown template), as opposed to a
 * refusal of the whole write (unknown event, no permission): the writer reports the former and
 * carries on with the rest.
 */
export function isDataRefusal(error: unknown): boolean {
  if (!(error instanceof EnrichdError) || error.code !== "ENRICHD_MISP_REJECTED") return false;
  const status = error.details.status;
  return (status === 403 && error.details.errors !== undefined) || (status === 404 && error.details.message === "Invalid template.");
}

export function refusalReason(error: unknown): string {
  if (!(error instanceof EnrichdError)) return String(error);
  const errors = errorsText(error.details.errors);
  return errors || String(error.details.message ?? error.message);
}
