// The workflow-like subscribers: a tag attached by an analyst restricts the attribute's
// distribution, or posts a templated webhook — and the daemon's own resulting edit is no trigger.

import { createServer, type IncomingMessage } from "node:http";
import { afterEach, describe, expect, it, onTestFinished } from "vitest";
import { listenOnLoopback } from "@misp-enrichd/standins";
import { startHarness, type Harness } from "../support/harness.js";
import { tagAttached } from "../support/tag-message.js";

async function startWebhookTarget(status = 200): Promise<{ url: string; requests: { headers: IncomingMessage["headers"]; body: unknown }[] }> {
  const requests: { headers: IncomingMessage["headers"]; body: unknown }[] = [];
  let answer = status;
  const server = createServer((req, res) => {
    let text = "";
    req.on("data", (c: Buffer) => (text += c.toString()));
    req.on("end", () => {
      requests.push({ headers: req.headers, body: JSON.parse(text) as unknown });
      res.writeHead(answer).end();
      answer = 200;
    });
  });
  const listening = await listenOnLoopback(server);
  onTestFinished(() => listening.close());
  return { url: `${listening.url}/hooks/T0KEN`, requests };
}

describe("workflow subscribers", () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.stop();
    h = undefined;
  });

  it("sets an attribute's distribution to 'Your organisation only' when the tag is attached, once", async () => {
    h = await startHarness({
      overrides: { "subscribers.settings": { "restrict-distribution": { enabled: true, options: { tags: ["workflow:restrict"] } } } },
    });
    const event = h.misp.seedEvent();
    const source = h.misp.seedAttribute(event.uuid, { type: "ip-dst", value: "198.51.100.7", distribution: 3 });
    await h.publish("misp_json_tag", tagAttached("Workflow:Restrict", source.id, event.id));
    await h.publish("misp_json_tag", tagAttached("tlp:green", source.id, event.id));
    await h.settle();

    expect(h.misp.state.attributes.find((a) => a.uuid === source.uuid)?.distribution).toBe(0);
    expect(h.restCalls()).toEqual([`GET /attributes/view/${source.id}`, `POST /attributes/edit/${source.uuid}`]);
    expect(h.misp.calls.at(-1)?.body).toEqual({ distribution: "0" });
    expect(h.logs.find("attribute distribution restricted")[0]).toMatchObject({ from: 3, to: 0, attributeUuid: source.uuid });

    // The same tag again (say, re-attached): the attribute is already restricted, nothing written.
    await h.publish("misp_json_tag", tagAttached("workflow:restrict", source.id, event.id));
    await h.settle();
    expect(h.restCalls({ writesOnly: true })).toHaveLength(1);
    expect(h.logs.find("message skipped").at(-1)?.reason).toBe("distribution already 0");
  });

  it("posts a templated webhook when the tag appears, retries a 503, and keeps the URL's token out of the logs", async () => {
    const target = await startWebhookTarget(503);
    h = await startHarness({
      overrides: {
        "subscribers.settings": {
          "tag-webhook": {
            enabled: true,
            options: {
              tags: ["case:*"],
              url: target.url,
              headers: { "x-source": "misp" },
              body: { text: "{{tag.name}} on {{attribute.type}} {{attribute.value}}", event: "{{eventUuid}}", ids: "{{attribute.toIds}}" },
            },
          },
        },
      },
    });
    const event = h.misp.seedEvent();
    const source = h.misp.seedAttribute(event.uuid, { type: "domain", value: "evil.example", toIds: true });
    await h.publish("misp_json_tag", tagAttached("case:open", source.id, event.id));
    await h.publish("misp_json_tag", tagAttached("tlp:amber", source.id, event.id));
    await h.settle();

    expect(target.requests).toHaveLength(2); // the 503, then the retry
    expect(target.requests[1]?.body).toEqual({ text: "case:open on domain evil.example", event: event.uuid, ids: true });
    expect(target.requests[1]?.headers["x-source"]).toBe("misp");
    expect(h.logs.text()).not.toContain("T0KEN");
    expect(h.logs.find("webhook posted")).toHaveLength(1);
  });
});
