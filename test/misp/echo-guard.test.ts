import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it, onTestFinished } from "vitest";
import type { AttributeMessage, MispMessage, TagMessage } from "../../src/decode/types.js";
import { createEchoGuard } from "../../src/misp/echo-guard.js";
import { createPersistentSet } from "../../src/state/persistent-set.js";

const base = { topic: "misp_json_attribute", transport: "zmq" as const, receivedAt: 0, raw: {} };

function attributeMessage(over: { uuid?: string; comment?: string; action?: AttributeMessage["action"]; object?: { uuid: string; comment: string } }): AttributeMessage {
  return {
    ...base,
    kind: "attribute",
    action: over.action ?? "add",
    attribute: {
      id: 1, uuid: over.uuid ?? "11111111-1111-4111-8111-111111111111", eventId: 1, objectId: over.object ? 7 : 0, objectRelation: null,
      category: "Network activity", type: "ip-dst", value: "198.51.100.23", toIds: false, timestamp: 0, distribution: 5,
      sharingGroupId: 0, comment: over.comment ?? "", deleted: false, disableCorrelation: false, firstSeen: null, lastSeen: null, tags: [],
    },
    ...(over.object
      ? { object: { id: 7, uuid: over.object.uuid, name: "geolocation", metaCategory: "misc", templateUuid: "t", templateVersion: "7", eventId: 1, comment: over.object.comment, distribution: 5, sharingGroupId: 0, deleted: false, timestamp: 0 } }
      : {}),
  };
}

function tagMessage(name: string, attributeId = 1, action: TagMessage["action"] = "attached-to-attribute"): TagMessage {
  return { ...base, topic: "misp_json_tag", kind: "tag", action, tag: { id: 3, name, attributeId, eventId: 1, localOnly: false } };
}

const ANALYST = "11111111-1111-4111-8111-111111111111";
const OTHER = "22222222-2222-4222-8222-222222222222";
const source = { kind: "attribute" as const, uuid: ANALYST };
const cause = { by: "restrict-csam", depth: 0 };

function guard(now = () => 1_000) {
  return createEchoGuard({ own: createPersistentSet({ ttlSeconds: 60, now }), commentPrefix: "misp-enrichd", now });
}

describe("echo guard", () => {
  it("recognises attributes and objects whose uuids it recorded", () => {
    const g = guard();
    g.recordOwn(["AAAAAAAA-1111-5111-8111-111111111111", "bbbbbbbb-1111-5111-8111-111111111111"]);
    expect(g.check(attributeMessage({ uuid: "aaaaaaaa-1111-5111-8111-111111111111" }))?.reason).toMatch(/attribute uuid/);
    expect(g.check(attributeMessage({ object: { uuid: "bbbbbbbb-1111-5111-8111-111111111111", comment: "" } }))?.reason).toMatch(/object uuid/);
    expect(g.check(attributeMessage({}))).toBeNull();
  });

  it("recognises the comment marker after the ledger is lost, but not an analyst's lookalike", () => {
    const g = guard();
    expect(g.check(attributeMessage({ object: { uuid: "c", comment: "misp-enrichd: onion-lookup via onion_lookup for x.onion" } }))?.reason).toMatch(/marker/);
    expect(g.check(attributeMessage({ object: { uuid: "c", comment: "looked up with misp-enrichd later" } }))).toBeNull();
  });

  it("treats one expected edit of a source attribute as an echo, and only one", () => {
    const g = guard();
    g.expectAttributeEdit("11111111-1111-4111-8111-111111111111", null);
    expect(g.check(attributeMessage({ action: "edit" }))?.reason).toMatch(/edit caused by/);
    expect(g.check(attributeMessage({ action: "edit" }))).toBeNull();
  });

  it("consumes expected tag attachments by name, case-insensitively, and lets others through", () => {
    const g = guard();
    g.learn("attribute", 1, ANALYST);
    g.expectTagChange(source, "attach", ['dark-web:topic="legitimate"', 'dark-web:topic="legitimate"'], null);
    expect(g.check(tagMessage('DARK-WEB:topic="legitimate"'))?.reason).toMatch(/tag attached/);
    expect(g.check(tagMessage('dark-web:topic="legitimate"'))?.reason).toMatch(/tag attached/);
    expect(g.check(tagMessage('dark-web:topic="legitimate"'))).toBeNull();
    expect(g.check(tagMessage("tlp:red"))).toBeNull();
  });

  it("forgets expectations after their time to live", () => {
    let t = 0;
    const g = guard(() => t);
    g.learn("attribute", 1, ANALYST);
    g.expectTagChange(source, "attach", ["x"], null);
    t = 10 * 60_000;
    expect(g.check(tagMessage("x"))).toBeNull();
  });

  it("matches a tag echo by target: an analyst's attach of the same tag on another attribute is theirs", () => {
    const g = guard();
    g.learn("attribute", 1, ANALYST);
    g.learn("attribute", 2, OTHER);
    g.expectTagChange(source, "attach", ["case:open"], cause);
    expect(g.check(tagMessage("case:open", 2))).toBeNull();
    expect(g.check(tagMessage("case:open", 1))?.reason).toMatch(/tag attached/);
  });

  it("learns ids from the attribute messages it sees, and matches nothing it cannot place", () => {
    const g = guard();
    g.expectTagChange(source, "attach", ["case:open"], cause);
    expect(g.check(tagMessage("case:open", 1))).toBeNull(); // id 1 never seen: not provably ours
    g.expectTagChange(source, "attach", ["case:open"], cause);
    g.check(attributeMessage({ uuid: ANALYST, action: "edit" }));
    expect(g.known(ANALYST)).toEqual({ kind: "attribute", id: 1 });
    expect(g.check(tagMessage("case:open", 1))).not.toBeNull();
  });

  it("blames the writer: its echo carries the cause and depth, a bookkeeping write none", () => {
    const g = guard();
    g.learn("attribute", 1, ANALYST);
    g.expectTagChange(source, "attach", ["dark-web:topic=\"credit-card\""], { by: "enrich-onions", depth: 2 });
    g.expectTagChange(source, "detach", ["case:open"], { by: "close-case", depth: 0 });
    g.expectTagChange(source, "attach", ['misp-enrichd:rule="alert"'], null);
    g.expectAttributeEdit(ANALYST, cause);
    expect(g.check(tagMessage('dark-web:topic="credit-card"'))?.cause).toEqual({ by: "enrich-onions", depth: 2 });
    expect(g.check(tagMessage("case:open", 1, "detached-from-attribute"))?.cause).toEqual({ by: "close-case", depth: 0 });
    expect(g.check(tagMessage("case:open", 1, "attached-to-attribute"))).toBeNull(); // a detach is not an attach
    const marker = g.check(tagMessage('misp-enrichd:rule="alert"'));
    expect(marker?.reason).toMatch(/tag attached/);
    expect(marker?.cause).toBeUndefined();
    expect(g.check(attributeMessage({ uuid: ANALYST, action: "edit" }))?.cause).toEqual(cause);
  });

  it("takes back an expectation whose echo will not come", () => {
    const g = guard();
    g.learn("attribute", 1, ANALYST);
    g.expectTagChange(source, "attach", ["x"], cause);
    g.expectAttributeEdit(ANALYST, cause);
    g.cancelTagChange(source, "attach", ["x"]);
    g.cancelAttributeEdit(ANALYST);
    expect(g.check(tagMessage("x"))).toBeNull();
    expect(g.check(attributeMessage({ uuid: ANALYST, action: "edit" }))).toBeNull();
  });

  it("treats any tag on an attribute it wrote as its own output", () => {
    const g = guard();
    g.recordOwn([OTHER]);
    g.check(attributeMessage({ uuid: OTHER }));
    const verdict = g.check(tagMessage('dark-web:topic="credit-card"', 1));
    expect(verdict?.reason).toMatch(/written by misp-enrichd/);
    expect(verdict?.cause).toBeUndefined();
  });

  it("remembers its own uuids across a restart through the state file", () => {
    const file = join(mkdtempSync(join(tmpdir(), "enrichd-own-")), "own.jsonl");
    onTestFinished(() => rmSync(join(file, ".."), { recursive: true, force: true }));
    const first = createEchoGuard({ own: createPersistentSet({ file, ttlSeconds: 60 }), commentPrefix: "misp-enrichd" });
    first.recordOwn(["dddddddd-1111-5111-8111-111111111111"]);
    const second = createEchoGuard({ own: createPersistentSet({ file, ttlSeconds: 60 }), commentPrefix: "misp-enrichd" });
    const message: MispMessage = attributeMessage({ uuid: "dddddddd-1111-5111-8111-111111111111" });
    expect(second.check(message)?.reason).toMatch(/attribute uuid/);
  });
});
