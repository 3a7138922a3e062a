// Wraps the MISP client so that every write tells the echo guard what MISP will echo, before the
// request leaves (MISP's echo can arrive before its HTTP answer).

import type { MispClient } from "./types.js";
import type { EchoGuard } from "./echo-guard.js";

export function guardMispClient(client: MispClient, guard: EchoGuard): MispClient {
  return {
    ...client,
    baseUrl: client.baseUrl,
    getVersion: (signal) => client.getVersion(signal),
    getSelf: (signal) => client.getSelf(signal),
    viewAttribute: (id, signal) => client.viewAttribute(id, signal),
    viewEventReferences: (uuid, signal) => client.viewEventReferences(uuid, signal),
    searchAttributes: (filters, signal) => client.searchAttributes(filters, signal),
    close: () => client.close(),
    addObject(eventUuid, object, signal) {
      guard.recordOwn([object.uuid, ...object.attributes.map((a) => a.uuid)]);
      for (const attribute of object.attributes) guard.expectTagAttach(attribute.tags.map((t) => t.name));
      return client.addObject(eventUuid, object, signal);
    },
    addAttribute(eventUuid, attribute, signal) {
      guard.recordOwn([attribute.uuid]);
      guard.expectTagAttach(attribute.tags.map((t) => t.name));
      return client.addAttribute(eventUuid, attribute, signal);
    },
    addReference(objectUuid, referencedUuid, relationshipType, signal) {
      return client.addReference(objectUuid, referencedUuid, relationshipType, signal);
    },
    attachTags(targetUuid, tags, local, signal) {
      guard.expectTagAttach(tags);
      // A global tag touches the attribute, which MISP publishes as an `edit` (pubsub.md §4.1).
      if (!local) guard.expectAttributeEdit(targetUuid);
      return client.attachTags(targetUuid, tags, local, signal);
    },
    editAttribute(idOrUuid, fields, signal) {
      if (typeof idOrUuid === "string") guard.expectAttributeEdit(idOrUuid);
      return client.editAttribute(idOrUuid, fields, signal);
    },
  };
}
