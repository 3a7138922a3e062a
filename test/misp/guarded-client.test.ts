import { describe, expect, it } from "vitest";
import type { AttributeMessage, TagMessage } from "../../src/decode/types.js";
import { EnrichdError } from "../../src/errors.js";
import { createEchoGuard, type EchoGuard } from "../../src/misp/echo-guard.js";
import { guardMispClient } from "../../src/misp/guarded-client.js";
import { createTagLocality } from "../../src/misp/tag-locality.js";
import type { MispClient } from "../../src/misp/types.js";
import { createPersistentSet } from "../../src/state/persistent-set.js";
import { captureLogs } from "../support/log-capture.js";

const SOURCE = "5f2a8c1e-0000-4000-8000-00000000a11c";
const base = { transport: "zmq" as const, receivedAt: 0, raw: {} };

/** MISP's `misp_json_attribute` edit of the analyst's source attribute, with no mark of ours. */
function sourceEdited(): AttributeMessage {
  return {
    ...base,
    topic: "misp_json_attribute",
    kind: "attribute",
    action: "edit",
    attribute: {
      id: 12, uuid: SOURCE, eventId: 1, objectId: 0, objectRelation: null, category: "Network activity", type: "ip-dst", value: "198.51.100.23",
      toIds: false, timestamp: 0, distribution: 5, sharingGroupId: 0, comment: "", deleted: false, disableCorrelation: false,
      firstSeen: null, lastSeen: null, tags: [{ id: 4, name: "tlp:green" }],
    },
  };
}

const tagAttached = (name: string): TagMessage => ({
  ...base, topic: "misp_json_tag", kind: "tag", action: "attached-to-attribute", tag: { id: 4, name, attributeId: 12, eventId: 1, localOnly: false },
});

/**
 * A MISP client double: knows the source attribute (id 12), records tag attaches, refuses local ones
 * as MISP does for a key outside the host organisation.
 */
function fakeMisp(options: { hostOrg: boolean }): { client: MispClient; attaches: boolean[] } {
  const attaches: boolean[] = [];
  const client = {
    baseUrl: "https://misp.invalid",
    async viewAttribute(idOrUuid: string | number) {
      if (idOrUuid !== SOURCE && idOrUuid !== 12) throw new EnrichdError("ENRICHD_MISP_REJECTED", "Invalid attribute", { details: { status: 405 } });
      return { attribute: sourceEdited().attribute };
    },
    async attachTags(_target: string, _tags: readonly string[], local: boolean) {
      attaches.push(local);
      if (local && !options.hostOrg) {
        throw new EnrichdError("ENRICHD_MISP_REJECTED", "Local tags can only be added by users of the host organisation.", { details: { status: 403 } });
      }
    },
  } as unknown as MispClient;
  return { client, attaches };
}

function guard(): EchoGuard {
  return createEchoGuard({ own: createPersistentSet({ ttlSeconds: 60 }), commentPrefix: "misp-enrichd" });
}

describe("the guarded MISP client tells the echo guard what a tag attach will echo", () => {
  it("a global tag on a source attribute: MISP's edit of that attribute is recognised as the daemon's echo", async () => {
    const g = guard();
    await guardMispClient(fakeMisp({ hostOrg: true }).client, g).attachTags(SOURCE, ["tlp:green"], false);
    expect(g.check(tagAttached("tlp:green"))?.reason).toMatch(/tag attached by misp-enrichd/);
    expect(g.check(sourceEdited())?.reason).toMatch(/edit caused by a misp-enrichd tag/);
    // One attach, one echo: the analyst's own edit afterwards is theirs.
    expect(g.check(sourceEdited())).toBeNull();
  });

  it("a local tag causes no edit, so none is expected: the analyst's next edit is not taken for an echo", async () => {
    const g = guard();
    await guardMispClient(fakeMisp({ hostOrg: true }).client, g).attachTags(SOURCE, ["tlp:green"], true);
    expect(g.check(tagAttached("tlp:green"))?.reason).toMatch(/tag attached by misp-enrichd/);
    expect(g.check(sourceEdited())).toBeNull();
  });

  it("a key outside the host organisation (tagLocality auto): the local attach refused, the global retry's edit is expected", async () => {
    const g = guard();
    const misp = fakeMisp({ hostOrg: false });
    // Composed as the daemon composes it (daemon.ts): tag locality around the guarded client.
    const locality = createTagLocality("auto", captureLogs().logger);
    await locality.wrap(guardMispClient(misp.client, g)).attachTags(SOURCE, ["tlp:green"], true, undefined, { by: "tagger", depth: 0 });
    expect(misp.attaches).toEqual([true, false]);
    expect(locality.local()).toBe(false);
    // The global retry keeps the caller's cause.
    expect(g.check(sourceEdited())).toMatchObject({ reason: expect.stringMatching(/edit caused by a misp-enrichd tag/), cause: { by: "tagger", depth: 0 } });
  });

  it("blames the handler that wrote, and expects nothing for tags MISP says were attached already", async () => {
    const g = guard();
    const client = { ...fakeMisp({ hostOrg: true }).client, attachTags: async (_t: string, tags: readonly string[]) => ({ unchanged: tags.slice(1) }) } as MispClient;
    await guardMispClient(client, g).attachTags(SOURCE, ["tlp:green", "tlp:amber"], false, undefined, { by: "credit-card-alert", depth: 1 });
    expect(g.check(tagAttached("tlp:green"))?.cause).toEqual({ by: "credit-card-alert", depth: 1 });
    expect(g.check(tagAttached("tlp:amber"))).toBeNull(); // no echo comes for it: an analyst's later attach is theirs
    expect(g.check(sourceEdited())?.cause).toEqual({ by: "credit-card-alert", depth: 1 });
  });

  it("takes the expectation back when MISP refuses the attach", async () => {
    const g = guard();
    await expect(guardMispClient(fakeMisp({ hostOrg: false }).client, g).attachTags(SOURCE, ["tlp:green"], true)).rejects.toThrow(/host organisation/);
    expect(g.check(tagAttached("tlp:green"))).toBeNull();
  });
});
