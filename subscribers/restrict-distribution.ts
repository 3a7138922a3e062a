// A workflow in a dozen lines: when an analyst attaches one of the given tags to an attribute,
// set that attribute's distribution to "Your organisation only" (0). Off unless enabled. The rule
// `set-distribution` (config/rules.example.yaml) does the same through the same action.
import { defineSubscriber } from "../src/index.js";

export default defineSubscriber({
  options: { tags: ["misp-enrichd:restrict"], distribution: 0 },
  effects: () => [{ kind: "attribute", action: "edit" }],
  setup(sub, opts) {
    if (opts.tags.length === 0) throw new Error("options.tags must name at least one tag");
    if (![0, 1, 2, 3, 5].includes(opts.distribution)) throw new Error("options.distribution must be 0, 1, 2, 3 or 5");
    const to = { distribution: opts.distribution as 0 | 1 | 2 | 3 | 5 };
    sub.on("tag:attached-to-attribute", { tags: { any: opts.tags } }, async (ctx) => {
      const { tag } = ctx.message;
      if (tag.attributeId === undefined) return ctx.skip("tag message names no attribute");
      // Tag messages carry ids only (pubsub.md §4.6): fetch the attribute for its uuid and state.
      const { attribute } = await ctx.misp.viewAttribute(tag.attributeId);
      const outcome = await ctx.actions.setDistribution(attribute, to);
      if ("skipped" in outcome) return ctx.skip(outcome.skipped);
      ctx.log.info({ attributeUuid: attribute.uuid, from: attribute.distribution, to: opts.distribution, tag: tag.name }, "attribute distribution restricted");
    });
  },
});
