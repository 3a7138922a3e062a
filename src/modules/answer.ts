// Judges a `/query` answer before its shape is looked at (modules.md §1 "Errors", §8 "Errors").
// The server labels JSON as text/html, reports module failures with HTTP 200, and uses HTTP 500
// only for bodies it could not parse: so the body is parsed whatever the Content-Type says.

import { EnrichdError } from "../errors.js";
import { isRecord } from "../json.js";
import { isNothingFound } from "./nothing-found.js";
import type { HttpAnswer } from "./transport.js";

/**
 * `{"error": …}`: how a module says it failed, whatever else the body holds (modules.md §1); its
 * message as text, or undefined when the body is no such answer. (Read by hand: a schema's refusal of
 * every successful answer would cost more than the check.)
 */
function errorMessageOf(body: unknown): string | undefined {
  if (!isRecord(body) || !Object.prototype.hasOwnProperty.call(body, "error")) return undefined;
  const error = body.error;
  return typeof error === "string" ? error : JSON.stringify(error);
}

/** What the server says when its own wait (`timeout` in the body) ran out. */
const SERVER_TIMEOUT = "Timeout.";

export interface AnswerContext {
  readonly module: string;
  readonly attributeType: string;
  readonly value: string;
}

/** Throws the catalogue error for an answer whose status is not 200; its body is read by readQueryBody. */
export function checkQueryStatus(answer: HttpAnswer, ctx: AnswerContext): void {
  if (answer.status >= 500 || answer.status === 429) {
    throw new EnrichdError("ENRICHD_MODULE_UNAVAILABLE", `misp-modules answered HTTP ${answer.status} for module ${ctx.module}`, {
      details: { ...detailsOf(ctx), status: answer.status, body: snippet(answer.text), ...retryAfter(answer) },
    });
  }
  if (answer.status !== 200) {
    throw new EnrichdError("ENRICHD_MODULE_RESPONSE_INVALID", `misp-modules answered HTTP ${answer.status} for module ${ctx.module}`, {
      details: { ...detailsOf(ctx), status: answer.status, body: snippet(answer.text) },
    });
  }
}

const detailsOf = (ctx: AnswerContext): Record<string, unknown> => ({ module: ctx.module, attributeType: ctx.attributeType, value: ctx.value });

/** The parsed body of a 200 answer's text; a module's error (or no JSON) throws a catalogue error. */
export function readQueryBody(text: string, ctx: AnswerContext): unknown {
  const body = parseJson(text);
  if (body === NOT_JSON) {
    throw new EnrichdError("ENRICHD_MODULE_RESPONSE_INVALID", `module ${ctx.module} answered something that is not JSON`, {
      details: { ...detailsOf(ctx), body: snippet(text) },
    });
  }
  if (body === false) {
    // A legacy handler returns False when none of its input keys is in the request.
    throw new EnrichdError("ENRICHD_MODULE_ERROR", `module ${ctx.module} found none of its input`, { details: detailsOf(ctx) });
  }
  const message = errorMessageOf(body);
  if (message !== undefined) {
    if (message === SERVER_TIMEOUT) {
      throw new EnrichdError("ENRICHD_MODULE_TIMEOUT", `module ${ctx.module} ran out of the server's time`, { details: detailsOf(ctx) });
    }
    if (isNothingFound(ctx.module, message)) {
      throw new EnrichdError("ENRICHD_MODULE_NOTHING_FOUND", `module ${ctx.module} found nothing for ${ctx.value}: ${message}`, {
        details: { ...detailsOf(ctx), moduleMessage: message },
      });
    }
    throw new EnrichdError("ENRICHD_MODULE_ERROR", `module ${ctx.module} failed: ${message}`, {
      details: { ...detailsOf(ctx), moduleMessage: message },
    });
  }
  return body;
}

/** `details.retryAfterMs` when a 429 or 503 said when to come back. */
export function retryAfter(answer: HttpAnswer): { retryAfterMs?: number } {
  return (answer.status === 429 || answer.status === 503) && answer.retryAfterMs !== undefined ? { retryAfterMs: answer.retryAfterMs } : {};
}

const NOT_JSON = Symbol("not JSON");

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return NOT_JSON;
  }
}

/** Enough of an error page to recognise it in a log line. */
function snippet(text: string): string {
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
}
