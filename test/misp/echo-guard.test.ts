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

function tagMessage(name: string): TagMessage {
  return { ...base, topic: "misp_json_tag", kind: "tag", action: "attached-to-attribute", tag: { id: 3, name, attributeId: 1, eventId: 1, localOnly: false } };
}

function guard(now = () => 1_000) {
  return createEchoGuard({ own: createPersistentSet({ ttlSeconds: 60, now }), commentPrefix: "misp-enrichd", now });
}

describe("echo guard", () => {
  it("recognises attributes and objects whose uuids it recorded", () => {
    const g = guard();
    g.recordOwn(["AAAAAAAA-1111-5111-8111-111111111111", "bbbbbbbb-1111-5111-8111-111111111111"]);
    expect(g.check(attributeMessage({ uuid: "aaaaaaaa-1111-5111-8111-111111111111" }))).toMatch(/attribute uuid/);
    expect(g.check(attributeMessage({ object: { uuid: "bbbbbbbb-1111-5111-8111-111111111111", comment: "" } }))).toMatch(/object uuid/);
    expect(g.check(attributeMessage({}))).toBeNull();
  });

  it("recognises the comment marker after the ledger is lost, but not an analyst's lookalike", () => {
    const g = guard();
    expect(g.check(attributeMessage({ object: { uuid: "c", comment: "misp-enrichd: onion-lookup via onion_lookup for x.onion" } }))).toMatch(/marker/);
    expect(g.check(attributeMessage({ object: { uuid: "c", comment: "looked up with misp-enrichd later" } }))).toBeNull();
  });

  it("treats one expected edit of a source attribute as an echo, and only one", () => {
    const g = guard();
    g.expectAttributeEdit("11111111-1111-4111-8111-111111111111");
    expect(g.check(attributeMessage({ action: "edit" }))).toMatch(/edit caused by/);
    expect(g.check(attributeMessage({ action: "edit" }))).toBeNull();
  });

  it("consumes expected tag attachments by name, case-insensitively, and lets others through", () => {
    const g = guard();
    g.expectTagAttach(['dark-web:topic="legitimate"'], 2);
    expect(g.check(tagMessage('DARK-WEB:topic="legitimate"'))).toMatch(/tag attached/);
    expect(g.check(tagMessage('dark-web:topic="legitimate"'))).toMatch(/tag attached/);
    expect(g.check(tagMessage('dark-web:topic="legitimate"'))).toBeNull();
    expect(g.check(tagMessage("tlp:red"))).toBeNull();
  });

  it("forgets expectations after their time to live", () => {
    let t = 0;
    const g = guard(() => t);
    g.expectTagAttach(["x"]);
    t = 10 * 60_000;
    expect(g.check(tagMessage("x"))).toBeNull();
  });

  it("remembers its own uuids across a restart through the state file", () => {
    const file = join(mkdtempSync(join(tmpdir(), "enrichd-own-")), "own.jsonl");
    onTestFinished(() => rmSync(join(file, ".."), { recursive: true, force: true }));
    const first = createEchoGuard({ own: createPersistentSet({ file, ttlSeconds: 60 }), commentPrefix: "misp-enrichd" });
    first.recordOwn(["dddddddd-1111-5111-8111-111111111111"]);
    const second = createEchoGuard({ own: createPersistentSet({ file, ttlSeconds: 60 }), commentPrefix: "misp-enrichd" });
    const message: MispMessage = attributeMessage({ uuid: "dddddddd-1111-5111-8111-111111111111" });
    expect(second.check(message)).toMatch(/attribute uuid/);
  });
});
