// Recognises the daemon's own writes when MISP echoes them on the bus (pubsub.md §5, §6), so it
// never re-enriches what it wrote. Three marks, from exact to robust:
// 1. the uuids it chose (deterministic, recorded before each POST, persisted with a TTL);
// 2. the comment marker on every object and attribute it writes (survives lost state);
// 3. expected side effects with no uuid of ours in them: the attribute `edit` a global tag or an
//    edit causes on a source attribute, and the `attached to attribute` tag messages (ids only).

import type { MispMessage } from "../decode/types.js";
import type { PersistentSet } from "../state/persistent-set.js";

export interface EchoGuard {
  /** Records uuids the daemon is about to write (call before the POST: the echo may beat the answer). */
  recordOwn(uuids: readonly string[]): void;
  /** Expects the side effects of a write on someone else's attribute. */
  expectAttributeEdit(attributeUuid: string): void;
  expectTagAttach(tagNames: readonly string[], count?: number): void;
  /** Null when the message is not ours; otherwise why it is an echo. */
  check(message: MispMessage): string | null;
}

export interface EchoGuardOptions {
  readonly own: PersistentSet;
  /** `misp.commentPrefix`: comments starting with `<prefix>:` are ours. */
  readonly commentPrefix: string;
  /** How long an expected side effect stays expected. */
  readonly expectTtlMs?: number;
  readonly now?: () => number;
}

export function createEchoGuard(options: EchoGuardOptions): EchoGuard {
  const now = options.now ?? Date.now;
  const ttl = options.expectTtlMs ?? 120_000;
  const marker = `${options.commentPrefix}:`;
  // key → expiry times, one per expected occurrence.
  const expected = new Map<string, number[]>();

  function expect(key: string, count = 1): void {
    const list = expected.get(key) ?? [];
    for (let i = 0; i < count; i++) list.push(now() + ttl);
    expected.set(key, list);
  }

  function consume(key: string): boolean {
    const list = expected.get(key);
    if (!list) return false;
    const t = now();
    while (list.length > 0 && (list[0] as number) <= t) list.shift();
    const hit = list.length > 0;
    if (hit) list.shift();
    if (list.length === 0) expected.delete(key);
    return hit;
  }

  const ours = (uuid: string | undefined): boolean => uuid !== undefined && options.own.has(uuid);
  const marked = (comment: string | undefined): boolean => comment !== undefined && comment.startsWith(marker);

  return {
    recordOwn(uuids) {
      options.own.addAll(uuids.map((uuid) => uuid.toLowerCase()));
    },
    expectAttributeEdit(attributeUuid) {
      expect(`edit:${attributeUuid.toLowerCase()}`);
    },
    expectTagAttach(tagNames, count = 1) {
      for (const name of tagNames) expect(`tag:${name.toLowerCase()}`, count);
    },
    check(message) {
      switch (message.kind) {
        case "attribute": {
          const { attribute, object } = message;
          if (ours(attribute.uuid)) return "attribute uuid written by misp-enrichd";
          if (object && ours(object.uuid)) return "object uuid written by misp-enrichd";
          if (object && marked(object.comment)) return "object carries the misp-enrichd comment marker";
          if (marked(attribute.comment)) return "attribute carries the misp-enrichd comment marker";
          if (message.action === "edit" && consume(`edit:${attribute.uuid.toLowerCase()}`)) {
            return "edit caused by a misp-enrichd tag or edit on this attribute";
          }
          return null;
        }
        case "object":
          if (ours(message.object.uuid)) return "object uuid written by misp-enrichd";
          if (marked(message.object.comment)) return "object carries the misp-enrichd comment marker";
          return null;
        case "object-reference":
          if (ours(message.reference.sourceUuid)) return "reference from an object written by misp-enrichd";
          return null;
        case "tag":
          if (message.action === "attached-to-attribute" && consume(`tag:${message.tag.name.toLowerCase()}`)) {
            return "tag attached by misp-enrichd";
          }
          return null;
        default:
          return null;
      }
    },
  };
}
