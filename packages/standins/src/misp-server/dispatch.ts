// From a parsed HTTP request to a MISP answer, in the order MISP's AppController::beforeFilter takes
// its decisions: REST or browser, API key, JSON body, route, role permission, then the action.

import type { Json, Route, RouteContext, StandinConfig } from "./context.js";
import type { EchoMessage } from "./echo.js";
import { exceptionReply, MispException, type Reply } from "./responses.js";
import { isRestRequest, keyAccepted, MESSAGES } from "./rules.js";
import { ATTRIBUTE_ROUTES } from "./route-attributes.js";
import { OBJECT_ROUTES } from "./route-objects.js";
import { READ_ROUTES } from "./route-read.js";
import { REFERENCE_ROUTES } from "./route-references.js";
import { TAG_ROUTES } from "./route-tags.js";
import type { Store } from "./store.js";

const HTML = "text/html; charset=UTF-8";

const ROUTES: Readonly<Record<string, Route>> = { ...READ_ROUTES, ...OBJECT_ROUTES, ...ATTRIBUTE_ROUTES, ...REFERENCE_ROUTES, ...TAG_ROUTES };

export interface IncomingCall {
  readonly method: string;
  /** Path without query string, percent-decoded per segment. */
  readonly path: string;
  readonly headers: Readonly<Record<string, string | undefined>>;
  readonly rawBody: string;
}

export interface Dispatched {
  readonly reply: Reply;
  /** Parsed JSON body, or the raw text when it was not JSON, or undefined. */
  readonly body: unknown;
  readonly echoes: readonly EchoMessage[];
}

/** `/objects/add/1/cd6f…` → route "objects/add", args ["1", "cd6f…"]; `key:value` segments are named. */
export function parsePath(path: string): { route: string; args: string[]; named: Record<string, string>; jsonExtension: boolean } {
  const segments = path.split("/").filter((s) => s !== "").map((s) => decodeURIComponent(s));
  let jsonExtension = false;
  const last = segments.length - 1;
  if (last >= 0 && segments[last]?.endsWith(".json")) {
    segments[last] = (segments[last] as string).slice(0, -5);
    jsonExtension = true;
  }
  const [controller = "", action = "index", ...rest] = segments;
  const named: Record<string, string> = {};
  const args: string[] = [];
  for (const s of rest) {
    const i = s.indexOf(":");
    if (i > 0) named[s.slice(0, i)] = s.slice(i + 1);
    else args.push(s);
  }
  return { route: `${controller}/${action}`, args, named, jsonExtension };
}

export function dispatch(call: IncomingCall, store: Store, config: StandinConfig & { key: string; baseUrl: string }): Dispatched {
  const { route, args, named, jsonExtension } = parsePath(call.path);
  const contentType = call.headers["content-type"] ?? "";
  let body: unknown = call.rawBody === "" ? undefined : call.rawBody;
  const echoes: EchoMessage[] = [];
  const fail = (status: number, message: string): Dispatched => ({ reply: exceptionReply(status, message, call.path), body, echoes: [] });

  // Not REST (Accept is not JSON, no .json): the API key is never looked at and AuthComponent sends
  // the anonymous visitor to the login page (AppController::_redirectToLogin).
  if (!isRestRequest(call.headers.accept, jsonExtension, route)) {
    return { reply: { status: 302, headers: { location: `${config.baseUrl}/users/login`, "content-type": HTML }, body: "" }, body, echoes };
  }
  if (!keyAccepted({ authorization: call.headers.authorization, xMispAuth: call.headers["x-misp-auth"] }, config.key)) {
    return fail(403, MESSAGES.authFailed);
  }
  // RequestHandler decodes JSON bodies only when they are declared as JSON; bad JSON → 405.
  if (typeof body === "string" && /json/i.test(contentType)) {
    try {
      body = JSON.parse(body) as unknown;
    } catch {
      return fail(405, MESSAGES.invalidJson);
    }
  } else if (typeof body === "string") {
    body = undefined;
  }
  const handler = ROUTES[route];
  // A controller or action MISP lacks is a CakeException, shown as "Not Found" with debug off.
  if (!handler) return fail(404, "Not Found");
  if (!handler.methods.includes(call.method)) {
    return fail(405, handler.methods.includes("POST") && handler.methods.length === 1 ? "This method is only accessible via POST requests." : "Method Not Allowed");
  }
  if (handler.permission && !config.user.role[handler.permission]) return fail(403, MESSAGES.noFunctionality);

  const ctx: RouteContext = {
    method: call.method,
    path: call.path,
    args,
    named,
    body,
    store,
    config,
    emit: (m) => echoes.push(m),
  };
  try {
    const reply = handler.handle(ctx);
    // HEAD answers are an empty text/html page with the status only (observed d2b, d2c).
    if (call.method === "HEAD") return { reply: { status: reply.status, headers: { "content-type": HTML }, body: "" }, body, echoes };
    return { reply, body, echoes };
  } catch (error) {
    if (error instanceof MispException) return { reply: exceptionReply(error.status, error.message, call.path), body, echoes: [] };
    process.emitWarning(`misp stand-in: ${route} threw: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    return { reply: exceptionReply(500, "stand-in error", call.path), body, echoes: [] };
  }
}

/** What `failNext` makes the stand-in answer instead of MISP. */
export function injectedFailure(status: number, path: string): Reply {
  const { route } = parsePath(path);
  if (status === 429) {
    return {
      status,
      headers: { "x-rate-limit-limit": "10", "x-rate-limit-remaining": "0", "x-rate-limit-reset": "60" },
      body: { name: "Rate limit exceeded.", message: "Rate limit exceeded.", url: `/${route}` } satisfies Json,
    };
  }
  if (status === 403) return exceptionReply(403, MESSAGES.authFailed, path);
  // A reverse proxy in front of PHP answers these itself, in HTML.
  if (status === 502 || status === 503 || status === 504) {
    return { status, headers: { "content-type": "text/html" }, body: `<html><body><h1>${status}</h1></body></html>` };
  }
  return exceptionReply(status, status >= 500 ? "stand-in failure" : "Injected failure", path);
}
