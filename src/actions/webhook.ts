// The webhook action: a templated HTTP request to a chat or case tool. Compiled once at start-up
// (compileWebhook: templates, method, content type, TLS material), sent per message by the sender.
// Retriable (ENRICHD_WEBHOOK_FAILED, with the target's Retry-After) on network errors, timeouts, 429
// and 5xx; permanent (ENRICHD_WEBHOOK_REJECTED) on any other 4xx and on a certificate the rule does
// not trust. Logs show the target's origin and the status only: URLs and headers may carry tokens.

import { readFileSync } from "node:fs";
import { rootCertificates } from "node:tls";
import { Agent, request, type Dispatcher } from "undici";
import { EnrichdError, PermanentError } from "../errors.js";
import type { Logger } from "../log.js";
import { parseRetryAfter } from "../retry-delay.js";
import { compileText, compileValue, TemplateRenderError, type TextTemplate, type ValueTemplate } from "./template.js";

export const WEBHOOK_METHODS = ["POST", "PUT", "PATCH", "GET", "DELETE"] as const;
export type WebhookMethod = (typeof WEBHOOK_METHODS)[number];

/** What a rule (or a subscriber) writes; every string may be a template. */
export interface WebhookOptions {
  readonly url: string;
  readonly method?: WebhookMethod;
  /** Default `application/json`; `application/x-www-form-urlencoded` sends a mapping body as a form. */
  readonly contentType?: string;
  readonly headers?: Readonly<Record<string, string>>;
  /** A string (a JSON document when the content type is JSON) or a mapping whose string leaves are templates. */
  readonly body?: unknown;
  readonly timeoutMs?: number;
  readonly verifyTls?: boolean;
  /** PEM file of a CA to trust besides the public ones (a self-signed receiver's certificate). */
  readonly caFile?: string;
}

export interface CompiledWebhook {
  readonly url: TextTemplate;
  readonly method: WebhookMethod;
  readonly contentType: string;
  readonly headers: readonly (readonly [string, TextTemplate])[];
  readonly body: { readonly text: TextTemplate; readonly json: boolean } | { readonly value: ValueTemplate; readonly form: boolean } | undefined;
  readonly timeoutMs: number;
  readonly tls: { readonly verify: boolean; readonly ca?: string; readonly caFile?: string };
  /** Every `env.X` its templates read. */
  readonly envNames: readonly string[];
  /** Top-level names its templates read (`Event`, `Attribute`, …). */
  readonly names: ReadonlySet<string>;
}

const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const FORM = "application/x-www-form-urlencoded";

/** Throws an Error whose message starts with the key at fault (`url: …`, `headers.X: …`). */
export function compileWebhook(options: WebhookOptions): CompiledWebhook {
  const at = <T>(key: string, build: () => T): T => {
    try {
      return build();
    } catch (error) {
      throw new Error(`${key}: ${(error as Error).message}`);
    }
  };
  const url = at("url", () => compileText(options.url, "url"));
  if (!/^(https?:\/\/|\{\{|\{%)/.test(options.url)) throw new Error(`url: ${JSON.stringify(options.url)} must start with http:// or https://`);
  const method = options.method ?? "POST";
  if (!(WEBHOOK_METHODS as readonly string[]).includes(method)) throw new Error(`method: ${JSON.stringify(method)} is not one of ${WEBHOOK_METHODS.join(", ")}`);
  const contentType = options.contentType ?? "application/json";
  const json = /[/+]json\b/i.test(contentType);
  const headers = Object.entries(options.headers ?? {}).map(([name, value]) => {
    if (!HEADER_NAME.test(name)) throw new Error(`headers: ${JSON.stringify(name)} is not a valid header name`);
    return [name, at(`headers.${name}`, () => compileText(String(value), "header"))] as const;
  });
  let body: CompiledWebhook["body"];
  if (options.body !== undefined && options.body !== null) {
    if (method === "GET") throw new Error("body: a GET request has no body");
    if (typeof options.body === "string") body = { text: at("body", () => compileText(options.body as string, json ? "json-string" : "text")), json };
    else {
      if (!json && contentType.toLowerCase() !== FORM) throw new Error(`body: a mapping body needs a JSON or ${FORM} contentType`);
      body = { value: at("body", () => compileValue(options.body)), form: !json };
    }
  }
  const timeoutMs = options.timeoutMs ?? 10_000;
  if (!Number.isSafeInteger(timeoutMs) || timeoutMs <= 0) throw new Error(`timeoutMs: must be a positive whole number of milliseconds, got ${String(timeoutMs)}`);
  let ca: string | undefined;
  if (options.caFile !== undefined) {
    ca = at("caFile", () => {
      try {
        return readFileSync(options.caFile as string, "utf8");
      } catch (error) {
        throw new Error(`cannot read ${options.caFile}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
      }
    });
  }
  const parts: { envNames: readonly string[]; names: ReadonlySet<string> }[] = [url, ...headers.map(([, t]) => t), ...(body ? ["text" in body ? body.text : body.value] : [])];
  return {
    url,
    method,
    contentType,
    headers,
    body,
    timeoutMs,
    tls: { verify: options.verifyTls ?? true, ...(ca ? { ca, caFile: options.caFile as string } : {}) },
    envNames: [...new Set(parts.flatMap((p) => p.envNames))],
    names: new Set(parts.flatMap((p) => [...p.names])),
  };
}

export interface WebhookSenderOptions {
  readonly logger: Logger;
  /** Dry-run: log the request and send nothing. */
  readonly dryRun?: boolean;
  /** Tests pass their own; otherwise one keep-alive Agent per TLS setting, closed by `close()`. */
  readonly dispatcher?: Dispatcher;
}

export interface WebhookSender {
  /** Renders and sends; resolves with the target's status. */
  send(hook: CompiledWebhook, scope: object, options: { signal?: AbortSignal; log?: Logger }): Promise<{ status: number } | { dryRun: true }>;
  close(): Promise<void>;
}

export function safeOrigin(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return "(invalid url)";
  }
}

/** Node's codes for a certificate the client does not trust: a retry cannot fix those. */
const TLS_REFUSALS = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ALTNAME|UNABLE_TO_GET_ISSUER/;

function render(hook: CompiledWebhook, scope: object): { url: string; headers: Record<string, string>; body?: string } {
  try {
    const url = hook.url.render(scope);
    if (!/^https?:\/\//.test(url)) throw new TemplateRenderError(`the URL rendered to something that is not http(s) (origin ${safeOrigin(url)})`);
    const headers: Record<string, string> = { "content-type": hook.contentType, accept: "application/json" };
    for (const [name, template] of hook.headers) headers[name.toLowerCase()] = template.render(scope);
    if (hook.body === undefined) return { url, headers };
    if ("text" in hook.body) {
      const text = hook.body.text.render(scope);
      if (hook.body.json) JSON.parse(text); // the literal text around the values is the template's: check it
      return { url, headers, body: text };
    }
    const value = hook.body.value.render(scope);
    if (!hook.body.form) return { url, headers, body: JSON.stringify(value) };
    const form = new URLSearchParams();
    for (const [k, v] of Object.entries((value ?? {}) as Record<string, unknown>)) form.append(k, v === null || v === undefined ? "" : typeof v === "object" ? JSON.stringify(v) : String(v));
    return { url, headers, body: form.toString() };
  } catch (error) {
    throw new PermanentError(`webhook could not be rendered: ${error instanceof SyntaxError ? `the body is not valid JSON (${error.message})` : (error as Error).message}`);
  }
}

export function createWebhookSender(options: WebhookSenderOptions): WebhookSender {
  const agents = new Map<string, Agent>();
  const dispatcherFor = (tls: CompiledWebhook["tls"]): Dispatcher => {
    if (options.dispatcher) return options.dispatcher;
    const key = `${tls.verify}|${tls.caFile ?? ""}`;
    let agent = agents.get(key);
    if (!agent) {
      agent = new Agent({ keepAliveTimeout: 10_000, connect: { rejectUnauthorized: tls.verify, ...(tls.ca ? { ca: [...rootCertificates, tls.ca] } : {}) } });
      agents.set(key, agent);
    }
    return agent;
  };
  let closing: Promise<void> | undefined;

  return {
    async send(hook, scope, { signal, log = options.logger }) {
      const { url, headers, body } = render(hook, scope);
      const webhook = safeOrigin(url);
      if (options.dryRun) {
        log.info({ webhook, method: hook.method, bytes: body?.length ?? 0 }, "dry-run: would post webhook");
        return { dryRun: true };
      }
      const timeout = AbortSignal.timeout(hook.timeoutMs);
      let response: Dispatcher.ResponseData;
      try {
        response = await request(url, {
          method: hook.method,
          headers,
          ...(body === undefined ? {} : { body }),
          signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
          dispatcher: dispatcherFor(hook.tls),
        });
      } catch (error) {
        if (signal?.aborted) throw signal.reason ?? error;
        const code = String((error as { code?: unknown }).code ?? (error as { cause?: { code?: unknown } }).cause?.code ?? "");
        if (TLS_REFUSALS.test(code)) {
          throw new EnrichdError("ENRICHD_WEBHOOK_REJECTED", `webhook to ${webhook}: its TLS certificate is not trusted (${code}); give the rule a caFile, or verifyTls: false`, {
            cause: error,
            details: { webhook, tls: code },
          });
        }
        const reason = timeout.aborted ? `did not answer within ${hook.timeoutMs} ms` : `failed: ${(error as Error).message}`;
        throw new EnrichdError("ENRICHD_WEBHOOK_FAILED", `webhook to ${webhook} ${reason}`, { cause: error, details: { webhook } });
      }
      const text = await response.body.text();
      const status = response.statusCode;
      if (status >= 200 && status < 300) {
        log.info({ webhook, method: hook.method, status }, "webhook posted");
        return { status };
      }
      const retriable = status === 429 || status >= 500;
      const retryAfterMs = retriable ? parseRetryAfter(response.headers["retry-after"]) : undefined;
      throw new EnrichdError(retriable ? "ENRICHD_WEBHOOK_FAILED" : "ENRICHD_WEBHOOK_REJECTED", `webhook to ${webhook} answered ${status}: ${text.slice(0, 200)}`, {
        details: { webhook, status, ...(retryAfterMs === undefined ? {} : { retryAfterMs }) },
      });
    },
    close() {
      closing ??= Promise.allSettled([...agents.values()].map((a) => a.close())).then(() => undefined);
      return closing;
    },
  };
}
