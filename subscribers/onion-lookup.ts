// Tor .onion addresses: ask onion_lookup (the AIL onion-lookup service) and write back the
// tor-hiddenservice object and the tags it found on the source attribute. Analysts' own onion
// attributes, standalone or inside their objects, are enriched once; the daemon's own are not.
import { defineSubscriber, enrichmentEffects, isEnrichdError } from "../src/index.js";

export default defineSubscriber({
  options: { module: "onion_lookup", types: ["onion-address"] },
  modules: (o) => [{ module: o.module, types: o.types }],
  effects: (o) => enrichmentEffects(o.types),
  setup(sub, opts) {
    sub.on("attribute:add", { type: opts.types }, async (ctx) => {
      let result;
      try {
        result = await ctx.modules.query(opts.module, ctx.attribute);
      } catch (error) {
        // onion_lookup crashes on the upstream's `{}` for an unknown onion; the client reads that as "nothing found".
        if (isEnrichdError(error) && error.code === "ENRICHD_MODULE_NOTHING_FOUND") {
          return ctx.skip("onion not known to onion-lookup");
        }
        throw error;
      }
      if (result.objects.length === 0 && result.sourceTags.length === 0) return ctx.skip("onion-lookup returned nothing");
      await ctx.misp.writeEnrichment(ctx.attribute, ctx.event.uuid, result);
    });
  },
});
