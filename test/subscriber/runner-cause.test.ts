// Every write a handler makes to someone else's data names the handler and its chain depth as its
// cause (misp/write-cause.ts), whichever tool it goes through: the echo guard blames its echo on
// that handler, so the echo reaches the others and never comes back to it.

import { describe, expect, it } from "vitest";
import type { Attribute } from "../../src/decode/types.js";
import type { EnrichmentWrite, MispClient, MispWriter } from "../../src/misp/types.js";
import type { WriteCause } from "../../src/misp/write-cause.js";
import type { ContextDeps } from "../../src/subscriber/context.js";
import { attributeAdd, handlerOf, runnerKit } from "./helpers.js";

function recordingDeps(): { deps: ContextDeps; causes: [string, WriteCause | null | undefined][]; writes: EnrichmentWrite[] } {
  const causes: [string, WriteCause | null | undefined][] = [];
  const writes: EnrichmentWrite[] = [];
  const misp = {
    attachTags: async (_t: string, tags: readonly string[], _local: boolean, _signal?: AbortSignal, cause?: WriteCause | null) => {
      causes.push([`attach ${tags.join(",")}`, cause]);
      return { unchanged: [] };
    },
    removeTag: async (_t: string, tag: string, _signal?: AbortSignal, cause?: WriteCause | null) => {
      causes.push([`remove ${tag}`, cause]);
      return { removed: true, global: false };
    },
    editAttribute: async (_id: string | number, _fields: unknown, _signal?: AbortSignal, cause?: WriteCause | null) => {
      causes.push(["edit", cause]);
    },
  } as unknown as MispClient;
  const writer: MispWriter = {
    async writeEnrichment(write) {
      writes.push(write);
      return { objects: [], attributes: [], referencesAdded: 0, tagsAttached: [], refused: [] };
    },
  };
  const deps = { dryRun: false, distribution: 5, tagLocal: () => true, misp, mispStrict: misp, writer, reads: { forget: () => undefined } } as unknown as ContextDeps;
  return { deps, causes, writes };
}

describe("the cause of a handler's writes", () => {
  it("is the handler and its depth for the context's helpers, its raw client, its actions and its enrichment writes", async () => {
    const { deps, causes, writes } = recordingDeps();
    const { runner } = runnerKit({ deps });
    const { message, frame } = attributeAdd();
    const outcome = await runner.run(
      handlerOf(async (ctx) => {
        const target = ctx.attribute.uuid;
        await ctx.misp.attachTags(target, ["helper"]);
        await ctx.misp.editAttribute(target, { comment: "x" });
        await ctx.misp.client.attachTags(target, ["raw"], true);
        await ctx.misp.client.removeTag(target, "raw");
        await ctx.misp.client.editAttribute(target, { comment: "y" });
        await ctx.actions.addTags({ kind: "event", id: 1, uuid: ctx.event.uuid }, ["action"]);
        await ctx.actions.removeTags({ kind: "attribute", id: ctx.attribute.id, uuid: target }, ["old"]);
        await ctx.actions.setDistribution({ ...ctx.attribute, distribution: 5 } as Attribute, { distribution: 0 });
        await ctx.misp.writeEnrichment(ctx.attribute, ctx.event.uuid, { module: "m", format: "misp_standard", objects: [], attributes: [], sourceTags: ["t"] });
      }, "tagger"),
      message,
      frame,
      { depth: 2 },
    );
    expect(outcome).toBe("done");
    const tagger = { by: "tagger", depth: 2 };
    expect(causes).toEqual([
      ["attach helper", tagger],
      ["edit", tagger],
      ["attach raw", tagger],
      ["remove raw", tagger],
      ["edit", tagger],
      ["attach action", tagger],
      ["remove old", tagger],
      ["edit", tagger],
    ]);
    expect(writes.map((w) => [w.subscriber, w.depth])).toEqual([["tagger", 2]]);
  });
});
