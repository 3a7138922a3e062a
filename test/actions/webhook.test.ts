// The webhook action against a local receiver over HTTP and HTTPS: method, content type, headers and
// body as configured; a certificate the rule does not trust is refused for good (a retry cannot fix
// it) unless the rule gives its caFile or verifyTls: false; 429/5xx are retriable with Retry-After.

import { describe, expect, it } from "vitest";
import { compileWebhook, createWebhookSender } from "../../src/actions/webhook.js";
import { captureLogs } from "../support/log-capture.js";
import { RECEIVER_CA_FILE, startWebhookReceiver } from "../support/webhook-receiver.js";

const scope = { Event: { info: 'Ransom "note" \\ from\nthe actor', id: 7 }, Attribute: { value: "a/b?c", type: "url", to_ids: true }, env: { TOKEN: "t0k3n-s3cr3t" } };

function sender(options: { dryRun?: boolean } = {}) {
  const logs = captureLogs();
  const webhook = createWebhookSender({ logger: logs.logger, ...options });
  return { logs, webhook };
}

describe("the webhook action", () => {
  it("sends the method, content type, headers and JSON body the rule gives, with values escaped", async () => {
    const receiver = await startWebhookReceiver();
    const hook = compileWebhook({
      url: `${receiver.origin}/hooks/{{ Attribute.value }}?event={{ Event.id }}`,
      method: "PUT",
      contentType: "application/vnd.case+json",
      headers: { Authorization: "Token {{ env.TOKEN }}", "X-Event": "{{ Event.id }}" },
      body: '{"title": "{{ Event.info }}", "ids": {{ Attribute.to_ids | tojson }}}',
      timeoutMs: 2_000,
    });
    const { webhook, logs } = sender();
    await expect(webhook.send(hook, scope, {})).resolves.toEqual({ status: 200 });
    const [request] = receiver.requests;
    expect(request).toMatchObject({ method: "PUT", url: "/hooks/a%2Fb%3Fc?event=7" });
    expect(request?.headers["content-type"]).toBe("application/vnd.case+json");
    expect(request?.headers.authorization).toBe("Token t0k3n-s3cr3t");
    expect(request?.headers["x-event"]).toBe("7");
    expect(JSON.parse(request?.body ?? "")).toEqual({ title: scope.Event.info, ids: true });
    expect(logs.find("webhook posted")[0]).toMatchObject({ webhook: receiver.origin, status: 200, method: "PUT" });
    expect(logs.text()).not.toContain("t0k3n-s3cr3t");
    expect(logs.text()).not.toContain("/hooks/");
  });

  it("sends a mapping body as a form when asked", async () => {
    const receiver = await startWebhookReceiver();
    const hook = compileWebhook({ url: `${receiver.origin}/form`, contentType: "application/x-www-form-urlencoded", body: { text: "{{ Attribute.value }}", n: "{{ Event.id }}" } });
    await sender().webhook.send(hook, scope, {});
    expect(receiver.requests[0]?.body).toBe("text=a%2Fb%3Fc&n=7");
  });

  it("refuses a self-signed certificate for good, trusts it with caFile, ignores it with verifyTls: false", async () => {
    const receiver = await startWebhookReceiver({ https: true });
    const { webhook } = sender();
    const refused = await webhook.send(compileWebhook({ url: `${receiver.origin}/x` }), scope, {}).catch((e: unknown) => e);
    expect(refused).toMatchObject({ code: "ENRICHD_WEBHOOK_REJECTED", retriable: false });
    expect((refused as Error).message).toMatch(/TLS certificate is not trusted .*caFile/);
    expect(receiver.requests).toHaveLength(0);
    await expect(webhook.send(compileWebhook({ url: `${receiver.origin}/ca`, caFile: RECEIVER_CA_FILE }), scope, {})).resolves.toEqual({ status: 200 });
    await expect(webhook.send(compileWebhook({ url: `${receiver.origin}/insecure`, verifyTls: false }), scope, {})).resolves.toEqual({ status: 200 });
    expect(receiver.requests.map((r) => r.url)).toEqual(["/ca", "/insecure"]);
    await webhook.close();
  });

  it("says a 429 or 5xx is worth a retry (with the target's Retry-After), another 4xx is not", async () => {
    const receiver = await startWebhookReceiver();
    receiver.answer({ status: 429, headers: { "retry-after": "3" } }, 503, 404);
    const { webhook } = sender();
    const hook = compileWebhook({ url: `${receiver.origin}/x` });
    await expect(webhook.send(hook, scope, {})).rejects.toMatchObject({ code: "ENRICHD_WEBHOOK_FAILED", retriable: true, details: { status: 429, retryAfterMs: 3_000 } });
    await expect(webhook.send(hook, scope, {})).rejects.toMatchObject({ code: "ENRICHD_WEBHOOK_FAILED", details: { status: 503 } });
    await expect(webhook.send(hook, scope, {})).rejects.toMatchObject({ code: "ENRICHD_WEBHOOK_REJECTED", retriable: false, details: { status: 404 } });
  });

  it("fails permanently when a value cannot go where the template puts it, and sends nothing", async () => {
    const receiver = await startWebhookReceiver();
    const hook = compileWebhook({ url: `${receiver.origin}/x`, headers: { "X-Title": "{{ Event.info }}" } });
    await expect(sender().webhook.send(hook, scope, {})).rejects.toMatchObject({ code: "ENRICHD_HANDLER_FAILED", retriable: false, message: expect.stringMatching(/line break/) });
    expect(receiver.requests).toHaveLength(0);
  });

  it("only logs what it would send in dry-run", async () => {
    const receiver = await startWebhookReceiver();
    const { webhook, logs } = sender({ dryRun: true });
    await expect(webhook.send(compileWebhook({ url: `${receiver.origin}/x`, body: { a: 1 } }), scope, {})).resolves.toEqual({ dryRun: true });
    expect(receiver.requests).toHaveLength(0);
    expect(logs.find("dry-run: would post webhook")[0]).toMatchObject({ webhook: receiver.origin, method: "POST", bytes: 7 });
  });

  it("names the key of a problem at load", () => {
    expect(() => compileWebhook({ url: "ftp://x" })).toThrow(/^url: .* must start with http/);
    expect(() => compileWebhook({ url: "https://x", headers: { "Bad Header": "v" } })).toThrow(/^headers: "Bad Header" is not a valid header name/);
    expect(() => compileWebhook({ url: "https://x", body: '{"a": "{{ x }"}' })).toThrow(/^body: template syntax error/);
    expect(() => compileWebhook({ url: "https://x", caFile: "/nonexistent/ca.pem" })).toThrow(/^caFile: cannot read \/nonexistent\/ca.pem: ENOENT/);
    expect(() => compileWebhook({ url: "https://x", method: "GET", body: { a: 1 } })).toThrow(/^body: a GET request has no body/);
  });
});
