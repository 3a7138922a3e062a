// MISP's three answer shapes (rest.md §0): CakePHP exceptions rendered as {"name","message","url"},
// RestResponse::saveFailResponse (always 403) and saveSuccessResponse. Exception texts go through
// CakePHP's h() exactly as AppExceptionRenderer does, so "don't" arrives as "don&#039;t".

export interface Reply {
  readonly status: number;
  readonly body?: unknown;
  readonly headers?: Readonly<Record<string, string>>;
}

/** Thrown by a route; the server renders it with the request path as `url`. */
export class MispException extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = "MispException";
  }
}

/** Non-HTTP exceptions (InvalidArgumentException…) become this 500 when debug is off. */
export const INTERNAL_ERROR = "An Internal Error Has Occurred.";

export function h(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;").replace(/'/g, "&#039;");
}

export function exceptionReply(status: number, message: string, url: string): Reply {
  const shown = status === 500 ? INTERNAL_ERROR : message;
  return { status, body: { name: h(shown), message: h(shown), url: h(url) } };
}

function singular(controller: string): string {
  return controller.endsWith("s") ? controller.slice(0, -1) : controller;
}

/** Inflector::underscore(Inflector::pluralize(controller)). */
function urlController(controller: string): string {
  return controller.replace(/([a-z])([A-Z])/g, "$1_$2").toLowerCase();
}

function url(controller: string, action: string, id: string | false): string {
  return `/${urlController(controller)}/${action}${id ? `/${id}` : ""}`;
}

/** HTTP 403 `{"saved": false, "name": "Could not <action> <Model>", …, "errors": …}`. */
export function saveFail(controller: string, action: string, id: string | false, errors: unknown): Reply {
  const message = `Could not ${action} ${singular(controller)}`;
  const body: Record<string, unknown> = { saved: false, name: message, message, url: url(controller, action, id), errors };
  if (id) body.id = id;
  return { status: 403, body };
}

export function saveSuccess(controller: string, action: string, message: string): Reply {
  return { status: 200, body: { saved: true, success: true, name: message, message, url: url(controller, action, false) } };
}

export function ok(body: unknown): Reply {
  return { status: 200, body };
}
