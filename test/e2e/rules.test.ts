// Rules end to end: the daemon on a real ZeroMQ socket, the MISP stand-in echoing every write as
// MISP does, a local webhook receiver. The seed's chain (an .onion enriched, the module's tags
// landing, the restrict and alert rules acting on them once each), each action, chains between
// rules, and what stops a loop.

import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { parse as parseYaml } from "yaml";
import { openEntryFolder } from "../../src/state/entry-folder.js";
import { startHarness, type Harness } from "../support/harness.js";
import { RECEIVER_CA_FILE, startWebhookReceiver } from "../support/webhook-receiver.js";

const EXAMPLE = (parseYaml(readFileSync(new URL("../../config/rules.example.yaml", import.meta.url), "utf8")) as { rules: Record<string, unknown>[] }).rules;
const CARD_SHOP = "cardshop2dark7ab.onion";
const TOKEN = "chat-t0ken-9f3b1c77e2";
const TITLE = 'Seized forum "CardPlanet" \\ dump\nsecond line';

/** The example's rules with the webhook pointed at the receiver. */
function exampleRules(url: string): Record<string, unknown>[] {
  return EXAMPLE.map((rule) => (rule.name !== "credit-card-alert" ? rule : { ...rule, do: [{ webhook: { ...((rule.do as Record<string, Record<string, unknown>>[])[0]?.webhook ?? {}), url } }] }));
}

const attach = (h: Harness, uuid: string, tag: string, local = true) => h.misp.analyst("POST", "/tags/attachTagToObject", { uuid, tag, local: local ? 1 : 0 });
const detach = (h: Harness, uuid: string, tag: string) => h.misp.analyst("POST", "/tags/removeTagFromObject", { uuid, tag });
const tagsOf = (h: Harness, uuid: string) => h.misp.state.attributeTags.filter((t) => t.attributeUuid === uuid).map((t) => `${t.tagName}${t.local ? "" : " (global)"}`);

describe("rules", () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.stop();
    h = undefined;
    vi.unstubAllEnvs();
  });

  it("run the seed's chain: the onion is enriched, its tags restrict it and alert the chat once", async () => {
    vi.stubEnv("CHAT_TOKEN", TOKEN);
    const chat = await startWebhookReceiver();
    h = await startHarness({ overrides: { rules: exampleRules(`${chat.origin}/hooks/misp`), "subscribers.settings": { "onion-lookup": { enabled: false } } } });
    const event = h.misp.seedEvent({ info: TITLE });
    const onion = h.misp.seedAttribute(event.uuid, { type: "onion-address", value: CARD_SHOP, distribution: 3 });
    await h.publish(onion.message.topic, onion.message.payload);
    await h.settle();

    expect(h.misp.state.objects.map((o) => o.name)).toEqual(["tor-hiddenservice"]);
    expect(tagsOf(h, onion.uuid).sort()).toEqual(
      ['dark-web:topic="credit-card"', 'dark-web:topic="pornography-child-exploitation"', 'infoleak:automatic-detection="onion"', 'misp-enrichd:rule="credit-card-alert"'].sort(),
    );
    expect(h.misp.state.attributes.find((a) => a.uuid === onion.uuid)?.distribution).toBe(0);
    expect(chat.requests).toHaveLength(1);
    const [alert] = chat.requests;
    expect(alert?.headers.authorization).toBe(`Token ${TOKEN}`);
    expect(JSON.parse(alert?.body ?? "")).toEqual({ title: "onions to review", event_title: TITLE, value: CARD_SHOP, tag: 'dark-web:topic="credit-card"' });
    // Each rule acted once, one step down the chain from the enrichment.
    for (const rule of ["enrich-onions", "restrict-csam", "credit-card-alert"]) expect(h.counter("misp_enrichd_handler_runs_total", { subscriber: rule, outcome: "done" }), rule).toBe(1);
    expect(h.logs.find("rule action done").filter((l) => l.sub === "restrict-csam")[0]).toMatchObject({ chainDepth: 1, action: "set-distribution" });
    // No log line, at any level, carries the token.
    expect(h.logs.lines().length).toBeGreaterThan(20);
    for (const line of h.logs.text().split("\n")) expect(line).not.toContain(TOKEN);
  });

  it("write an enrichment once when a rule and the built-in subscriber both make it", async () => {
    h = await startHarness({ overrides: { rules: [EXAMPLE[0]] } });
    const event = h.misp.seedEvent();
    const onion = h.misp.seedAttribute(event.uuid, { type: "onion-address", value: "expyuzz4wqqyqhjn.onion" });
    await h.publish(onion.message.topic, onion.message.payload);
    await h.settle();

    // Both ask the module at once: the result cache makes that one call.
    expect(h.modules?.queryCount("onion_lookup")).toBe(1);
    expect(h.misp.state.objects).toHaveLength(1);
    expect(h.misp.state.references).toHaveLength(1);
    expect(h.misp.calls.filter((c) => c.path.startsWith("/objects/add/")).map((c) => c.status)).toEqual([200, 403]);
  });

  it("act once per attribute under attach, detach, attach, a restart and a lost state folder", async () => {
    const chat = await startWebhookReceiver();
    const rule = { name: "case-opened", on: "tag:attached-to-attribute", where: { tags: { any: ["case:open"] } }, once: true, do: [{ webhook: { url: `${chat.origin}/{{ Attribute.uuid }}`, body: { value: "{{ Attribute.value }}" } } }] };
    h = await startHarness({ overrides: { rules: [rule] } });
    const event = h.misp.seedEvent();
    const a = h.misp.seedAttribute(event.uuid, { type: "domain", value: "evil.example" });
    const b = h.misp.seedAttribute(event.uuid, { type: "domain", value: "worse.example" });

    await attach(h, a.uuid, "case:open");
    await h.settle();
    await detach(h, a.uuid, "case:open");
    await attach(h, a.uuid, "case:open");
    await h.settle();
    expect(chat.requests.map((r) => r.url)).toEqual([`/${a.uuid}`]);
    expect(tagsOf(h, a.uuid)).toContain('misp-enrichd:rule="case-opened"');
    expect(h.logs.find("message skipped").map((l) => l.reason)).toContain("once: already acted on this attribute");

    const stateDir = h.stateDir;
    await h.restartDaemon({ beforeStart: () => rmState(stateDir) });
    await detach(h, a.uuid, "case:open");
    await attach(h, a.uuid, "case:open");
    await attach(h, b.uuid, "case:open");
    await h.settle();
    expect(chat.requests.map((r) => r.url)).toEqual([`/${a.uuid}`, `/${b.uuid}`]);
  });

  it("with a key outside the host organisation: the marker goes on global, or the state folder alone remembers", async () => {
    const chat = await startWebhookReceiver();
    const rule = { name: "case-opened", on: "tag:attached-to-attribute", where: { tags: { any: ["case:open"] } }, once: true, do: [{ webhook: { url: `${chat.origin}/hook`, body: { v: "{{ Attribute.value }}" } } }] };
    h = await startHarness({ misp: { orgId: 2 }, overrides: { rules: [rule] } });
    const own = h.misp.seedEvent({ orgcId: 2 });
    const theirs = h.misp.seedEvent({ orgcId: 1 });
    const mine = h.misp.seedAttribute(own.uuid, { type: "domain", value: "a.example" });
    const foreign = h.misp.seedAttribute(theirs.uuid, { type: "domain", value: "b.example" });
    await attach(h, mine.uuid, "case:open");
    await attach(h, foreign.uuid, "case:open");
    await h.settle();
    expect(chat.requests).toHaveLength(2);
    expect(tagsOf(h, mine.uuid)).toContain('misp-enrichd:rule="case-opened" (global)');
    expect(tagsOf(h, foreign.uuid)).not.toContain('misp-enrichd:rule="case-opened" (global)');
    expect(h.logs.find("once marker not attached in MISP")).toHaveLength(1);

    await h.restartDaemon();
    await detach(h, mine.uuid, "case:open");
    await detach(h, foreign.uuid, "case:open");
    await attach(h, mine.uuid, "case:open");
    await attach(h, foreign.uuid, "case:open");
    await h.settle();
    expect(chat.requests).toHaveLength(2);
  });

  it("run each action: tags on the attribute and its event, a sharing group, if and stop", async () => {
    const rules = [
      {
        name: "triage",
        on: "tag:attached-to-attribute",
        where: { tags: { any: ["triage:start"] } },
        do: [
          { "remove-tag": "triage:start" },
          { "add-tag": 'workflow:state="ongoing"' },
          { "add-tag": { tag: "case:linked", on: "event" } },
          { if: { "Attribute.to_ids": true }, then: [{ "set-distribution": { sharingGroup: 3 } }], else: [{ stop: "not an IDS indicator" }] },
          { "add-tag": "triage:ids" },
        ],
      },
    ];
    h = await startHarness({ misp: { sharingGroups: [3] }, overrides: { rules } });
    const event = h.misp.seedEvent();
    const ids = h.misp.seedAttribute(event.uuid, { type: "ip-dst", value: "198.51.100.7", toIds: true });
    const other = h.misp.seedAttribute(event.uuid, { type: "ip-dst", value: "198.51.100.8", toIds: false });
    await attach(h, ids.uuid, "triage:start");
    await attach(h, other.uuid, "triage:start");
    await h.settle();

    expect(tagsOf(h, ids.uuid).sort()).toEqual(["triage:ids", 'workflow:state="ongoing"']);
    expect(tagsOf(h, other.uuid)).toEqual(['workflow:state="ongoing"']);
    expect(h.misp.state.eventTags.map((t) => t.tagName)).toEqual(["case:linked"]);
    expect(h.misp.state.attributes.find((a) => a.uuid === ids.uuid)).toMatchObject({ distribution: 4, sharingGroupId: 3 });
    expect(h.misp.state.attributes.find((a) => a.uuid === other.uuid)?.distribution).not.toBe(4);
    // The rule never acted on the echoes of its own tag changes (its where names triage:start only, its own detach included).
    expect(h.counter("misp_enrichd_handler_runs_total", { subscriber: "triage", outcome: "done" })).toBe(2);
  });

  it("post to an HTTPS receiver only with its caFile, and dead-letter the untrusted one without a retry", async () => {
    const tls = await startWebhookReceiver({ https: true });
    const hook = (name: string, extra: Record<string, unknown>) => ({ name, on: "tag:attached-to-attribute", where: { tags: { any: ["case:open"] } }, do: [{ webhook: { url: `${tls.origin}/${name}`, ...extra } }] });
    h = await startHarness({ overrides: { rules: [hook("trusted", { caFile: RECEIVER_CA_FILE }), hook("untrusted", {})] } });
    const event = h.misp.seedEvent();
    const a = h.misp.seedAttribute(event.uuid, { type: "domain", value: "evil.example" });
    await attach(h, a.uuid, "case:open");
    await h.settle();
    expect(tls.requests.map((r) => r.url)).toEqual(["/trusted"]);
    expect(h.counter("misp_enrichd_handler_runs_total", { subscriber: "untrusted", outcome: "dead-lettered" })).toBe(1);
    expect(h.counter("misp_enrichd_retries_total", { subscriber: "untrusted" })).toBe(0);
    const letters = await openEntryFolder(join(h.stateDir, "dead-letters")).list();
    expect(letters).toEqual([expect.objectContaining({ subscriber: "untrusted", error: { code: "ENRICHD_WEBHOOK_REJECTED", message: expect.stringMatching(/TLS certificate is not trusted/) } })]);
  });

  it("send a webhook again after a 503 without repeating the steps before it", async () => {
    const chat = await startWebhookReceiver();
    chat.answer(200, 503);
    const rule = { name: "two-hooks", on: "tag:attached-to-attribute", where: { tags: { any: ["case:open"] } }, do: [{ webhook: { url: `${chat.origin}/first` } }, { webhook: { url: `${chat.origin}/second` } }] };
    h = await startHarness({ overrides: { rules: [rule] } });
    const event = h.misp.seedEvent();
    const a = h.misp.seedAttribute(event.uuid, { type: "domain", value: "evil.example" });
    await attach(h, a.uuid, "case:open");
    await h.settle();
    expect(chat.requests.map((r) => r.url)).toEqual(["/first", "/second", "/second"]);
    expect(h.counter("misp_enrichd_retries_total", { subscriber: "two-hooks" })).toBe(1);
  });

  it("let chains run: a rule's tag triggers another rule, never itself, and an analyst's same tag elsewhere is theirs", async () => {
    const chat = await startWebhookReceiver();
    const rules = [
      { name: "escalate", on: "tag:attached-to-attribute", where: { tags: { any: ["triage:*"] } }, do: [{ "add-tag": "triage:escalated" }, { "add-tag": "case:open" }] },
      { name: "notify", on: "tag:attached-to-attribute", where: { tags: { any: ["case:open"] } }, do: [{ webhook: { url: `${chat.origin}/{{ Attribute.value }}` } }] },
    ];
    h = await startHarness({ overrides: { rules } });
    const event = h.misp.seedEvent();
    const a = h.misp.seedAttribute(event.uuid, { type: "domain", value: "a.example" });
    const b = h.misp.seedAttribute(event.uuid, { type: "domain", value: "b.example" });
    await attach(h, a.uuid, "triage:new");
    await attach(h, b.uuid, "case:open");
    await h.settle();

    expect(chat.requests.map((r) => r.url).sort()).toEqual(["/a.example", "/b.example"]);
    // escalate's own triage:escalated matched its where, and did not trigger it again.
    expect(h.counter("misp_enrichd_handler_runs_total", { subscriber: "escalate", outcome: "done" })).toBe(1);
    expect(tagsOf(h, a.uuid).sort()).toEqual(["case:open", "triage:escalated", "triage:new"]);
  });

  it("cut a loop the rules make at pipeline.maxChainDepth, with a log line and a counter", async () => {
    const rules = [
      { name: "ping", on: "tag:attached-to-attribute", where: { tags: { any: ["ball:ping"] } }, do: [{ "remove-tag": "ball:ping" }, { "add-tag": "ball:pong" }] },
      { name: "pong", on: "tag:attached-to-attribute", where: { tags: { any: ["ball:pong"] } }, do: [{ "remove-tag": "ball:pong" }, { "add-tag": "ball:ping" }] },
    ];
    h = await startHarness({ overrides: { rules, "pipeline.maxChainDepth": 3 } });
    const event = h.misp.seedEvent();
    const a = h.misp.seedAttribute(event.uuid, { type: "domain", value: "a.example" });
    await attach(h, a.uuid, "ball:ping");
    await h.settle();

    const runs = h.counter("misp_enrichd_handler_runs_total", { subscriber: "ping", outcome: "done" }) + h.counter("misp_enrichd_handler_runs_total", { subscriber: "pong", outcome: "done" });
    expect(runs).toBe(4); // depths 0, 1, 2, 3
    expect(h.counter("misp_enrichd_chain_cut_total")).toBe(1);
    expect(h.logs.find("chain depth limit reached")[0]).toMatchObject({ depth: 4, maxChainDepth: 3 });
  });
});

function rmState(dir: string): void {
  for (const name of ["once.jsonl", "handled.jsonl", "own-uuids.jsonl", "references.jsonl"]) rmSync(`${dir}/${name}`, { force: true });
}
