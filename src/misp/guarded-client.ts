// Wraps the MISP client so that every write tells the echo guard what MISP will echo, where, and who
// caused it (the `cause` its caller passes, write-cause.ts), before the request leaves (MISP's echo can arrive before its HTTP
// answer); takes the expectation back when MISP refuses or changes nothing. Every read teaches the
// guard the numeric ids that tag messages name targets by.

import type { EchoGuard, TargetKind } from "./echo-guard.js";
import type { MispClient } from "./types.js";

export function guardMispClient(client: MispClient, guard: EchoGuard): MispClient {
  /** The target's kind, resolved by a read when the guard has never seen it (its echo names an id). */
  async function targetOf(uuid: string, signal?: AbortSignal): Promise<{ kind: TargetKind; uuid: string }> {
    const known = guard.known(uuid);
    if (known) return { kind: known.kind, uuid };
    try {
      await guarded.viewAttribute(uuid, signal);
      return { kind: "attribute", uuid };
    } catch {
      // Not an attribute (MISP answers 405): an event, or nothing, which the write itself will say.
      await guarded.viewEvent(uuid, signal).catch(() => undefined);
      return { kind: guard.known(uuid)?.kind ?? "event", uuid };
    }
  }

  const guarded: MispClient = {
    ...client,
    baseUrl: client.baseUrl,
    getVersion: (signal) => client.getVersion(signal),
    getSelf: (signal) => client.getSelf(signal),
    async viewAttribute(id, signal) {
      const found = await client.viewAttribute(id, signal);
      guard.learn("attribute", found.attribute.id, found.attribute.uuid);
      return found;
    },
    async viewEvent(id, signal) {
      const found = await client.viewEvent(id, signal);
      guard.learn("event", found.event.id, found.event.uuid);
      return found;
    },
    viewEventReferences: (uuid, signal) => client.viewEventReferences(uuid, signal),
    async searchAttributes(filters, signal) {
      const rows = await client.searchAttributes(filters, signal);
      for (const { attribute, event } of rows) {
        guard.learn("attribute", attribute.id, attribute.uuid);
        if (event) guard.learn("event", event.id, event.uuid);
      }
      return rows;
    },
    close: () => client.close(),
    addObject(eventUuid, object, signal) {
      // Tags on these attributes are recognised by the attributes' uuids (their add echo comes first).
      guard.recordOwn([object.uuid, ...object.attributes.map((a) => a.uuid)]);
      return client.addObject(eventUuid, object, signal);
    },
    addAttribute(eventUuid, attribute, signal) {
      guard.recordOwn([attribute.uuid]);
      return client.addAttribute(eventUuid, attribute, signal);
    },
    addReference(objectUuid, referencedUuid, relationshipType, signal) {
      return client.addReference(objectUuid, referencedUuid, relationshipType, signal);
    },
    async attachTags(targetUuid, tags, local, signal, cause = null) {
      const target = await targetOf(targetUuid, signal);
      guard.expectTagChange(target, "attach", tags, cause);
      // A global tag touches the attribute, which MISP publishes as an `edit` (pubsub.md §4.1).
      const edit = !local && target.kind === "attribute";
      if (edit) guard.expectAttributeEdit(targetUuid, cause);
      let outcome;
      try {
        outcome = await client.attachTags(targetUuid, tags, local, signal);
      } catch (error) {
        guard.cancelTagChange(target, "attach", tags);
        if (edit) guard.cancelAttributeEdit(targetUuid);
        throw error;
      }
      // Already attached: MISP changes nothing and publishes nothing (observed f2).
      const unchanged = outcome?.unchanged ?? [];
      guard.cancelTagChange(target, "attach", unchanged);
      if (edit && unchanged.length === tags.length) guard.cancelAttributeEdit(targetUuid);
      return outcome;
    },
    async removeTag(targetUuid, tag, signal, cause = null) {
      const target = await targetOf(targetUuid, signal);
      guard.expectTagChange(target, "detach", [tag], cause);
      // Whether the tag was global (an `edit` follows) is known from the answer, which may come after the echo.
      const edit = target.kind === "attribute";
      if (edit) guard.expectAttributeEdit(targetUuid, cause);
      let outcome;
      try {
        outcome = await client.removeTag(targetUuid, tag, signal);
      } catch (error) {
        guard.cancelTagChange(target, "detach", [tag]);
        if (edit) guard.cancelAttributeEdit(targetUuid);
        throw error;
      }
      if (!outcome.removed) guard.cancelTagChange(target, "detach", [tag]);
      if (edit && !(outcome.removed && outcome.global)) guard.cancelAttributeEdit(targetUuid);
      return outcome;
    },
    async editAttribute(idOrUuid, fields, signal, cause = null) {
      const uuid = typeof idOrUuid === "string" ? idOrUuid : undefined;
      if (uuid) guard.expectAttributeEdit(uuid, cause);
      try {
        return await client.editAttribute(idOrUuid, fields, signal);
      } catch (error) {
        if (uuid) guard.cancelAttributeEdit(uuid);
        throw error;
      }
    },
  };
  return guarded;
}
