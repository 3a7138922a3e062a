// Rules are validated at start-up like the rest of the config: every problem on its own line naming
// the rule and the key, nothing half-compiled; the shorthand and the mapping forms mean the same.

import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { configSchema, type Config } from "../../src/config/schema.js";
import { compileRules } from "../../src/rules/compile.js";
import { allSteps } from "../../src/rules/types.js";

const EXAMPLE = new URL("../../config/rules.example.yaml", import.meta.url);

function config(rules: unknown[]): Pick<Config, "rules"> {
  return configSchema.parse({ misp: { url: "https://misp.example", key: "k" }, rules }) as Config;
}

const compile = (rules: unknown[], env: Record<string, string> = {}, subscriberNames: string[] = []) => compileRules(config(rules), { env, subscriberNames });

describe("compiling rules", () => {
  it("loads and validates the shipped example: the seed's three automations", () => {
    const doc = parseYaml(readFileSync(EXAMPLE, "utf8")) as { rules: unknown[] };
    const { rules, problems } = compile(doc.rules, { CHAT_TOKEN: "t" }, ["geolocation", "onion-lookup"]);
    expect(problems).toEqual([]);
    expect(rules.map((r) => [r.name, r.queries, r.once, allSteps(r.steps).map((s) => s.kind)])).toEqual([
      ["enrich-onions", ["attribute:add"], false, ["enrich"]],
      ["restrict-csam", ["tag:attached-to-attribute"], false, ["set-distribution"]],
      ["credit-card-alert", ["tag:attached-to-attribute"], true, ["webhook"]],
    ]);
    expect(rules[2]?.env).toEqual({ CHAT_TOKEN: "t" });
    expect(rules[2]?.needs).toEqual({ attribute: true, event: true });
  });

  it("reads the one-value shorthands and the mapping forms alike", () => {
    const { rules, problems } = compile([
      {
        name: "both",
        on: ["attribute:add", "attribute:edit"],
        do: [
          { enrich: "onion_lookup" },
          { enrich: { module: "onion_lookup", objects: ["tor-hiddenservice"] } },
          { "set-distribution": 0 },
          { "set-distribution": { sharingGroup: 3 } },
          { "add-tag": 'workflow:state="incomplete"' },
          { "add-tag": { tags: ["a:b", "c"], local: true, on: "event" } },
          { "remove-tag": "case:open" },
          { if: { "Attribute.to_ids": true, "Event.info": { contains: "x" } }, then: ["stop"], else: [{ stop: "not for IDS" }] },
        ],
      },
    ]);
    expect(problems).toEqual([]);
    const steps = rules[0]?.steps ?? [];
    expect(steps.slice(0, 7)).toEqual([
      { kind: "enrich", at: "do[0]", setting: { module: "onion_lookup" } },
      { kind: "enrich", at: "do[1]", setting: { module: "onion_lookup", objects: ["tor-hiddenservice"] } },
      { kind: "set-distribution", at: "do[2]", to: { distribution: 0 } },
      { kind: "set-distribution", at: "do[3]", to: { sharingGroupId: 3 } },
      { kind: "add-tag", at: "do[4]", tags: ['workflow:state="incomplete"'] },
      { kind: "add-tag", at: "do[5]", tags: ["a:b", "c"], local: true, on: "event" },
      { kind: "remove-tag", at: "do[6]", tags: ["case:open"] },
    ]);
    const branch = steps[7];
    expect(branch?.kind === "if" && [branch.then, branch.else]).toEqual([[{ kind: "stop", at: "do[7].then[0]", reason: "stop" }], [{ kind: "stop", at: "do[7].else[0]", reason: "not for IDS" }]]);
  });

  it("reports every problem, one per line, naming the rule and the key", () => {
    const { rules, problems } = compile(
      [
        { name: "typos", on: "tag:attached to attribute", where: { tags: { any: ["dark-web:topic=credit-card"] } }, do: [{ "send-mail": "x" }, { "set-distribution": 4 }] },
        { name: "hooks", on: "tag:attached-to-attribute", do: [{ webhook: { url: "https://h/x", body: '{"t": "{{ Event.info }"}' } }, { webhook: { url: "https://h/{{ env.HOOK_TOKEN }}" } }] },
        { name: "tags", on: "attribute:add", do: [{ "add-tag": ["ok:tag", "100% sure", " padded"] }, { if: { "Attribute.value": { like: "x" } }, then: [] }] },
        { name: "onion-lookup", on: "event:add", do: [{ "set-distribution": 0 }] },
      ],
      {},
      ["onion-lookup"],
    );
    expect(rules).toEqual([]);
    expect(problems).toEqual([
      'rules[0] (typos).on: filter query "tag:attached to attribute": tag has no action "attached to attribute" (did you mean "tag:attached-to-attribute"?). Permitted values are: tag, tag:add, tag:edit, tag:delete, tag:attached-to-attribute, tag:detached-from-attribute, tag:attached-to-event, tag:detached-from-event',
      'rules[0] (typos).where.tags.any[0]: "dark-web:topic=credit-card": a machine tag quotes its value, as in "dark-web:topic=\\"credit-card\\""',
      "rules[0] (typos).do[0].send-mail: unknown action; actions are enrich, set-distribution, add-tag, remove-tag, webhook, stop, if",
      "rules[0] (typos).do[1].set-distribution: distribution 4 needs a sharing group: { sharingGroup: <id> }",
      expect.stringMatching(/^rules\[1\] \(hooks\)\.do\[0\]\.webhook\.body: template syntax error: .* \(line 1, column \d+\)$/),
      "rules[1] (hooks).do[1].webhook: env.HOOK_TOKEN is not set in the daemon's environment",
      'rules[2] (tags).do[0].add-tag.tags[1]: "100% sure" contains %, which MISP\'s tag lookup takes as a wildcard',
      'rules[2] (tags).do[0].add-tag.tags[2]: " padded" has spaces around it',
      "rules[2] (tags).do[1].if.Attribute.value.like: unknown test; tests are equals, not, in, notIn, gt, gte, lt, lte, contains, matches, exists",
      "rules[3] (onion-lookup).do[0]: set-distribution acts on an attribute, and the messages of event:add name none",
      'rules[3] (onion-lookup).name: "onion-lookup" is the name of a subscriber too; rule names must differ from subscriber names',
    ]);
  });

  it("refuses a template that would reach beyond the data, with its line", () => {
    const { problems } = compile([{ name: "evil", on: "attribute:add", do: [{ webhook: { url: "https://h", body: { a: "ok", b: 'line\n{{ Event.info.constructor("x")() }}' } } }] }]);
    expect(problems).toEqual([expect.stringMatching(/^rules\[0\] \(evil\)\.do\[0\]\.webhook\.body: b: .*not allowed.* \(line 2, column \d+\)$/)]);
  });

  it("checks a schedule against what the rule's messages carry", () => {
    const { rules, problems } = compile([
      { name: "sweep", on: "attribute:add", where: { type: "ip-dst" }, schedule: { every: "24h", window: "7d" }, do: [{ enrich: "mmdb_lookup" }] },
      { name: "bad-sweep", on: "event:publish", schedule: { every: "1h", window: "1d" }, do: [{ "add-tag": "x:y" }] },
    ]);
    expect(rules[0]?.schedule).toEqual({ everySeconds: 86_400, windowSeconds: 604_800 });
    expect(problems).toEqual(['rules[1] (bad-sweep).on: filter query "event:publish": event has no action "publish". Permitted values are: event, event:add, event:edit, event:delete, event:add-from-connected-server, event:edit-from-connected-server, event:manual-publish']);
    const { problems: later } = compile([{ name: "bad-sweep", on: "publish", schedule: { every: "1h", window: "1d" }, do: [{ "add-tag": "x:y" }] }]);
    expect(later).toEqual(["rules[0] (bad-sweep).schedule: a scheduled run goes over attributes, and the messages of publish name none"]);
  });
});

describe("the config schema's part of the rules", () => {
  it("names a duplicate rule, a bad name and an unknown key with the rest of the config's problems", () => {
    const parsed = configSchema.safeParse({
      misp: { url: "https://misp.example", key: "k" },
      rules: [
        { name: "a", on: "attribute:add", do: ["stop"] },
        { name: "a", on: "attribute:add", do: ["stop"], onse: true },
        { name: "bad_name", on: "attribute:add", do: [] },
      ],
    });
    expect(parsed.success).toBe(false);
    const issues = parsed.error?.issues.map((i) => `${i.path.join(".")}: ${i.message}`) ?? [];
    expect(issues).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^rules\.1: Unrecognized key: "onse"/),
        expect.stringMatching(/^rules\.2\.name: must be letters, digits/),
        expect.stringMatching(/^rules\.2\.do: /),
      ]),
    );
  });
});
