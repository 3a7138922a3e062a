// Recognises the daemon's own writes when MISP echoes them on the bus (pubsub.md §5, §6), by what
// was written where. Two kinds of echo:
// - its output: objects and attributes it created (the uuids it chose, recorded before each POST and
//   persisted; the comment marker, which survives lost state), tags on those, and its bookkeeping
//   (once markers). Routed to nobody: the daemon never enriches what it wrote.
// - its changes to someone else's data: a tag attached to or detached from an analyst's attribute or
//   event, the `edit` a global tag or an edit causes. Matched by target and tag name (tag messages
//   carry numeric ids, learned here from every attribute message and every read) and attributed to
//   the subscriber or rule that wrote it: routed to everyone else (chains run), never back to it.

import type { MispMessage } from "../decode/types.js";
import type { PersistentSet } from "../state/persistent-set.js";
import type { WriteCause } from "./write-cause.js";

export type TargetKind = "attribute" | "event";
export type TagChange = "attach" | "detach";

export interface EchoVerdict {
  readonly reason: string;
  /** Who wrote it: everyone else may act on it, at depth + 1. Absent: the daemon's output, for nobody. */
  readonly cause?: WriteCause;
}

export interface EchoGuard {
  /** Records uuids the daemon is about to write (call before the POST: the echo may beat the answer). */
  recordOwn(uuids: readonly string[]): void;
  /** Learns an attribute's or event's numeric id (tag messages name targets by id only). */
  learn(kind: TargetKind, id: number, uuid: string): void;
  /** The kind and id of a uuid seen so far; undefined when never seen. */
  known(uuid: string): { kind: TargetKind; id: number } | undefined;
  /** Expects the tag message(s) of attaching or detaching `names` on a target. */
  expectTagChange(target: { kind: TargetKind; uuid: string }, change: TagChange, names: readonly string[], cause: WriteCause | null): void;
  /** Expects the attribute `edit` a global tag change or an edit causes. */
  expectAttributeEdit(attributeUuid: string, cause: WriteCause | null): void;
  /** Takes back expectations whose echo will not come (MISP refused, or nothing changed). */
  cancelTagChange(target: { kind: TargetKind; uuid: string }, change: TagChange, names: readonly string[]): void;
  cancelAttributeEdit(attributeUuid: string): void;
  /** Null when the message is not the echo of a write of ours. */
  check(message: MispMessage): EchoVerdict | null;
}

export interface EchoGuardOptions {
  readonly own: PersistentSet;
  /** `misp.commentPrefix`: comments starting with `<prefix>:` are ours. */
  readonly commentPrefix: string;
  /** How long an expected side effect stays expected. */
  readonly expectTtlMs?: number;
  /** Ids remembered per kind (the oldest forgotten first). */
  readonly maxKnownIds?: number;
  readonly now?: () => number;
}

interface Expected {
  readonly expiry: number;
  readonly cause: WriteCause | null;
}

export function createEchoGuard(options: EchoGuardOptions): EchoGuard {
  const now = options.now ?? Date.now;
  const ttl = options.expectTtlMs ?? 120_000;
  const maxKnown = options.maxKnownIds ?? 200_000;
  const marker = `${options.commentPrefix}:`;
  const expected = new Map<string, Expected[]>();
  const uuidById: Record<TargetKind, Map<number, string>> = { attribute: new Map(), event: new Map() };
  const byUuid = new Map<string, { kind: TargetKind; id: number }>();

  function learn(kind: TargetKind, id: number, uuid: string): void {
    const lower = uuid.toLowerCase();
    const ids = uuidById[kind];
    if (ids.get(id) === lower) return;
    if (ids.size >= maxKnown) {
      const [oldId, oldUuid] = ids.entries().next().value as [number, string];
      ids.delete(oldId);
      byUuid.delete(oldUuid);
    }
    ids.set(id, lower);
    byUuid.set(lower, { kind, id });
  }

  function expect(key: string, cause: WriteCause | null): void {
    const list = expected.get(key) ?? [];
    list.push({ expiry: now() + ttl, cause });
    expected.set(key, list);
  }

  function consume(key: string): Expected | undefined {
    const list = expected.get(key);
    if (!list) return undefined;
    const t = now();
    while (list.length > 0 && (list[0] as Expected).expiry <= t) list.shift();
    const hit = list.shift();
    if (list.length === 0) expected.delete(key);
    return hit;
  }

  function cancel(key: string): void {
    const list = expected.get(key);
    list?.pop();
    if (list?.length === 0) expected.delete(key);
  }

  const tagKey = (change: TagChange, kind: TargetKind, uuid: string, name: string): string => `${change}|${kind}|${uuid.toLowerCase()}|${name.toLowerCase()}`;
  const editKey = (uuid: string): string => `edit|${uuid.toLowerCase()}`;
  const ours = (uuid: string | undefined): boolean => uuid !== undefined && options.own.has(uuid);
  const marked = (comment: string | undefined): boolean => comment !== undefined && comment.startsWith(marker);
  const verdict = (reason: string, hit: Expected): EchoVerdict => (hit.cause ? { reason, cause: hit.cause } : { reason });

  function checkTag(message: Extract<MispMessage, { kind: "tag" }>): EchoVerdict | null {
    const { tag, action } = message;
    const onAttribute = action === "attached-to-attribute" || action === "detached-from-attribute";
    const onEvent = action === "attached-to-event" || action === "detached-from-event";
    if (!onAttribute && !onEvent) return null;
    const kind: TargetKind = onAttribute ? "attribute" : "event";
    const id = onAttribute ? tag.attributeId : tag.eventId;
    const uuid = id === undefined ? undefined : uuidById[kind].get(id);
    if (uuid === undefined) return null;
    if (onAttribute && ours(uuid)) return { reason: "tag on an attribute written by misp-enrichd" };
    const change: TagChange = action.startsWith("attached") ? "attach" : "detach";
    const hit = consume(tagKey(change, kind, uuid, tag.name));
    return hit ? verdict(`tag ${change === "attach" ? "attached" : "detached"} by misp-enrichd`, hit) : null;
  }

  return {
    recordOwn(uuids) {
      options.own.addAll(uuids.map((uuid) => uuid.toLowerCase()));
    },
    learn,
    known: (uuid) => byUuid.get(uuid.toLowerCase()),
    expectTagChange(target, change, names, cause) {
      for (const name of names) expect(tagKey(change, target.kind, target.uuid, name), cause);
    },
    expectAttributeEdit(attributeUuid, cause) {
      expect(editKey(attributeUuid), cause);
    },
    cancelTagChange(target, change, names) {
      for (const name of names) cancel(tagKey(change, target.kind, target.uuid, name));
    },
    cancelAttributeEdit(attributeUuid) {
      cancel(editKey(attributeUuid));
    },
    check(message) {
      switch (message.kind) {
        case "attribute": {
          const { attribute, object, event } = message;
          learn("attribute", attribute.id, attribute.uuid);
          if (event) learn("event", event.id, event.uuid);
          if (ours(attribute.uuid)) return { reason: "attribute uuid written by misp-enrichd" };
          if (object && ours(object.uuid)) return { reason: "object uuid written by misp-enrichd" };
          if (object && marked(object.comment)) return { reason: "object carries the misp-enrichd comment marker" };
          if (marked(attribute.comment)) return { reason: "attribute carries the misp-enrichd comment marker" };
          if (message.action !== "edit") return null;
          const hit = consume(editKey(attribute.uuid));
          return hit ? verdict("edit caused by a misp-enrichd tag or edit on this attribute", hit) : null;
        }
        case "object":
          if (ours(message.object.uuid)) return { reason: "object uuid written by misp-enrichd" };
          if (marked(message.object.comment)) return { reason: "object carries the misp-enrichd comment marker" };
          return null;
        case "object-reference":
          if (ours(message.reference.sourceUuid)) return { reason: "reference from an object written by misp-enrichd" };
          return null;
        case "tag":
          return checkTag(message);
        case "event":
        case "publish":
          if (message.event) learn("event", message.event.id, message.event.uuid);
          return null;
        default:
          return null;
      }
    },
  };
}
