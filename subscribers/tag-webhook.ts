// A workflow in a dozen lines: when one of the given tags is attached to an attribute or an event,
// POST a templated JSON body to a chat or case tool. Its string leaves are Jinja templates reading
// `tag`, `attribute` and `eventUuid`. Off unless enabled with a url. The rule action `webhook` sends it.
import { defineSubscriber } from "../src/index.js";

export default defineSubscriber({
  options: {
    tags: ["misp-enrichd:notify"],
    url: "",
    headers: {} as Record<string, string>,
    body: { text: "MISP: tag {{tag.name}} attached to {{attribute.type}} {{attribute.value}} (event {{eventUuid}})" } as unknown,
  },
  effects: () => [],
  setup(sub, opts) {
    if (!/^https?:\/\//.test(opts.url)) throw new Error("options.url must be the http(s) URL of the webhook");
    sub.on(["tag:attached-to-attribute", "tag:attached-to-event"], { tags: { any: opts.tags } }, async (ctx) => {
      const { tag } = ctx.message;
      const data: Record<string, unknown> = { tag, action: ctx.message.action };
      if (tag.attributeId !== undefined) {
        const { attribute, eventUuid } = await ctx.misp.viewAttribute(tag.attributeId);
        data.attribute = attribute;
        data.eventUuid = eventUuid;
      }
      await ctx.webhook.post(opts.url, opts.body, { headers: opts.headers, data });
    });
  },
});
