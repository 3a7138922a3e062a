// The static loop analysis `check` runs: which rule or subscriber can trigger which from what it
// writes, every cycle of two or more named once, and `once` on every member making a cycle safe.

import { describe, expect, it } from "vitest";
import { configSchema, type Config } from "../../src/config/schema.js";
import { compileRules } from "../../src/rules/compile.js";
import { findLoops, ruleLoopNodes, subscriberLoopNode, unsafeLoops } from "../../src/rules/loops.js";
import { loadSubscribers, BUILTIN_SUBSCRIBERS_DIR } from "../../src/subscriber/load.js";
import { readFileSync } from "node:fs";
import { parse as parseYaml } from "yaml";

function rules(list: unknown[]) {
  const config = configSchema.parse({ misp: { url: "https://misp.example", key: "k" }, rules: list }) as Config;
  const compiled = compileRules(config, { env: { CHAT_TOKEN: "t" } });
  expect(compiled.problems).toEqual([]);
  return compiled.rules;
}

const tagRule = (name: string, on: string, adds: string, extra: Record<string, unknown> = {}) => ({ name, on: "tag:attached-to-attribute", where: { tags: { any: [on] } }, do: [{ "add-tag": adds }], ...extra });

describe("the loop analysis", () => {
  it("names a cycle of rules once, as a chain back to its start", () => {
    const nodes = ruleLoopNodes(rules([tagRule("a", "x:1", "x:2"), tagRule("b", "x:2", "x:3"), tagRule("c", "x:3", "x:1"), tagRule("d", "x:3", "y:1")]), false);
    expect(findLoops(nodes)).toEqual([["a", "b", "c", "a"]]);
  });

  it("sees set-distribution feed an attribute:edit rule, and a global tag's edit too", () => {
    const list = [
      { name: "restrict", on: "tag:attached-to-attribute", where: { tags: { any: ["tlp:red"] } }, do: [{ "set-distribution": 0 }] },
      { name: "retag", on: "attribute:edit", where: { type: "ip-dst" }, do: [{ "add-tag": "tlp:red" }] },
    ];
    expect(unsafeLoops(ruleLoopNodes(rules(list), false))).toEqual([["restrict", "retag", "restrict"]]);
    // With local tags only, retag's tag causes no edit; the loop is still set-distribution → edit → retag → tag → restrict.
    const local = [list[0], { ...list[1], do: [{ "add-tag": { tag: "tlp:red", local: true } }] }];
    expect(unsafeLoops(ruleLoopNodes(rules(local), true))).toEqual([["restrict", "retag", "restrict"]]);
  });

  it("lets through a cycle whose every rule acts once, but not one with a rule that does not", () => {
    const once = { once: true };
    expect(unsafeLoops(ruleLoopNodes(rules([tagRule("a", "x:1", "x:2", once), tagRule("b", "x:2", "x:1", once)]), false))).toEqual([]);
    expect(unsafeLoops(ruleLoopNodes(rules([tagRule("a", "x:1", "x:2", once), tagRule("b", "x:2", "x:1")]), false))).toEqual([["a", "b", "a"]]);
  });

  it("does not count a rule triggering itself (it never acts on its own echo), nor tags its where excludes", () => {
    expect(findLoops(ruleLoopNodes(rules([tagRule("self", "x:*", "x:again")]), false))).toEqual([]);
    const none = { name: "b", on: "tag:attached-to-attribute", where: { tags: { any: ["x:*"], none: ["x:2"] } }, do: [{ "add-tag": "x:1" }] };
    expect(findLoops(ruleLoopNodes(rules([tagRule("a", "x:1", "x:2"), none]), false))).toEqual([]);
  });

  it("tells attribute types apart: an edit of an onion never triggers an ip-dst rule", () => {
    const list = [
      { name: "onions", on: "attribute:add", where: { type: "onion-address" }, do: [{ "set-distribution": 0 }] },
      { name: "ips", on: "attribute:edit", where: { type: "ip-dst" }, do: [{ "add-tag": "x:y" }] },
      { name: "back", on: "tag:attached-to-attribute", where: { tags: { any: ["x:y"] } }, do: [{ "set-distribution": 1 }] },
    ];
    expect(findLoops(ruleLoopNodes(rules(list), true))).toEqual([["ips", "back", "ips"]]);
  });

  it("finds no loop in the shipped example with the built-in subscribers, and one through an enricher on edits", async () => {
    const example = (parseYaml(readFileSync(new URL("../../config/rules.example.yaml", import.meta.url), "utf8")) as { rules: unknown[] }).rules;
    const subscribers = await loadSubscribers({ dirs: [BUILTIN_SUBSCRIBERS_DIR], settings: { enrich: { enabled: true, options: { module: "dns", types: ["domain"], actions: ["add", "edit"] } }, "restrict-distribution": { enabled: true } } });
    const nodes = [...subscribers.map((s) => subscriberLoopNode(s, true)), ...ruleLoopNodes(rules(example), true)];
    // enrich (dns on domain adds and edits) puts tags nobody can name in advance on the source, which may trigger
    // either restrictor; each one's edit comes back to enrich.
    expect(unsafeLoops(nodes)).toEqual([
      ["enrich", "restrict-distribution", "enrich"],
      ["enrich", "restrict-csam", "enrich"],
    ]);
    const withoutEnrich = nodes.filter((n) => n.name !== "enrich");
    expect(unsafeLoops(withoutEnrich)).toEqual([]);
  });
});
