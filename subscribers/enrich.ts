// Any other module: ask `options.module` about attributes of `options.types` and write back
// everything it returns — objects (referencing the source), new attributes (legacy modules: each
// `{types, values}` result becomes an attribute whose comment names the source), and tags on the
// source. Off unless enabled with a module and types.
import { defineSubscriber, enrichmentEffects } from "../src/index.js";

export default defineSubscriber({
  options: { module: "", types: [] as string[], actions: ["add"] as string[] },
  modules: (o) => (o.module ? [{ module: o.module, types: o.types }] : []),
  effects: (o) => enrichmentEffects(o.types),
  setup(sub, opts) {
    if (!opts.module) throw new Error("options.module must name a misp-modules expansion module");
    if (opts.types.length === 0) throw new Error("options.types must list the attribute types to enrich");
    const queries = opts.actions.map((a) => `attribute:${a}` as "attribute:add");
    sub.on(queries, { type: opts.types }, async (ctx) => {
      const result = await ctx.modules.query(opts.module, ctx.attribute);
      if (result.objects.length === 0 && result.attributes.length === 0 && result.sourceTags.length === 0) {
        return ctx.skip(`module ${opts.module} returned nothing`);
      }
      await ctx.misp.writeEnrichment(ctx.attribute, ctx.event.uuid, result);
    });
  },
});
