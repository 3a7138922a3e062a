// Templated JSON webhooks to chat or case tools. Retriable on network errors, 429 and 5xx; any
// other 4xx is permanent. URLs may carry tokens, so logs show only the origin.

import { request, type Dispatcher } from "undici";
import { EnrichdError, PermanentError } from "../errors.js";
import type { Logger } from "../log.js";
import { renderTemplate, renderUrlTemplate } from "./template.js";

export interface WebhookSenderOptions {
  readonly logger: Logger;
  readonly timeoutMs?: number;
  readonly dispatcher?: Dispatcher;
  /** Dry-run: log the request and send nothing. */
  readonly dryRun?: boolean;
}

export interface WebhookSender {
  post(url: string, body: unknown, options: { headers?: Readonly<Record<string, string>>; data: unknown; signal?: AbortSignal }): Promise<void>;
}

export function safeOrigin(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return "(invalid url)";
  }
}

export function createWebhookSender(options: WebhookSenderOptions): WebhookSender {
  const timeoutMs = options.timeoutMs ?? 10_000;
  return {
    async post(url, body, { headers = {}, data, signal }) {
      const target = renderUrlTemplate(url, data);
      if (typeof target !== "string" || !/^https?:\/\//.test(target)) {
        throw new EnrichdError("ENRICHD_WEBHOOK_REJECTED", `webhook URL template did not render to an http(s) URL (origin ${safeOrigin(String(target))})`);
      }
      let payload: string;
      try {
        payload = JSON.stringify(renderTemplate(body, data));
      } catch (error) {
        // A whole-value placeholder can carry a message's JSON nested deeper than JSON.stringify writes.
        throw new PermanentError(`webhook body could not be written as JSON: ${(error as Error).message}`, { cause: error });
      }
      if (options.dryRun) {
        options.logger.info({ webhook: safeOrigin(target), bytes: payload.length }, "dry-run: would post webhook");
        return;
      }
      const timeout = AbortSignal.timeout(timeoutMs);
      let response: Dispatcher.ResponseData;
      try {
        response = await request(target, {
          method: "POST",
          headers: { "content-type": "application/json", accept: "application/json", ...headers },
          body: payload,
          signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
          ...(options.dispatcher ? { dispatcher: options.dispatcher } : {}),
        });
      } catch (error) {
        throw new EnrichdError("ENRICHD_WEBHOOK_FAILED", `webhook to ${safeOrigin(target)} failed: ${(error as Error).message}`, { cause: error });
      }
      const text = await response.body.text();
      const status = response.statusCode;
      if (status >= 200 && status < 300) {
        options.logger.info({ webhook: safeOrigin(target), status }, "webhook posted");
        return;
      }
      const code = status === 429 || status >= 500 ? "ENRICHD_WEBHOOK_FAILED" : "ENRICHD_WEBHOOK_REJECTED";
      throw new EnrichdError(code, `webhook to ${safeOrigin(target)} answered ${status}: ${text.slice(0, 200)}`, {
        details: { status },
      });
    },
  };
}
