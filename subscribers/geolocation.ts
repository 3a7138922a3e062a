// Geolocation of IP attributes (the give_me_geolocation.py flow): ask the module server and write
// the geolocation object back, referencing the source attribute. Module configurable: mmdb_lookup
// (country level, needs an mmdb-server) or geoip_city (city level, a local GeoLite2 City file).
import { defineSubscriber, enrichmentEffects, isRoutableAddress } from "../src/index.js";

export default defineSubscriber({
  options: {
    module: "mmdb_lookup",
    types: ["ip-src", "ip-dst", "ip-src|port", "ip-dst|port"],
    /** Result objects worth writing; mmdb_lookup also returns `asn`. */
    objects: ["geolocation"],
    /** mmdb_lookup emits one object per upstream database: keep the first. */
    maxObjects: 1,
  },
  modules: (o) => [{ module: o.module, types: o.types }],
  effects: (o) => enrichmentEffects(o.types),
  setup(sub, opts) {
    sub.on("attribute:add", { type: opts.types }, async (ctx) => {
      if (!isRoutableAddress(ctx.attribute.value)) return ctx.skip("private or reserved address: nothing to locate");
      const result = await ctx.modules.query(opts.module, ctx.attribute);
      const objects = result.objects.filter((o) => opts.objects.includes(o.name)).slice(0, opts.maxObjects);
      if (objects.length === 0) return ctx.skip(`module ${opts.module} found no location`);
      await ctx.misp.writeEnrichment(ctx.attribute, ctx.event.uuid, { ...result, objects, attributes: [] });
    });
  },
});
