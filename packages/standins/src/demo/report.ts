// What the demo prints: per sample, what the daemon received and did (from its own log lines), what
// landed in MISP (from the stand-in's tables), how MISP's echoes were handled, and a verdict.

import type { MispStandin } from "../misp-server/index.js";
import type { LogTap } from "./log-tap.js";
import type { Sample } from "./samples.js";

export interface DemoFacts {
  readonly misp: MispStandin;
  readonly logs: LogTap;
  readonly samples: readonly Sample[];
  /** ZeroMQ topics the daemon subscribed to, heartbeat left out. */
  readonly subscribed: ReadonlySet<string>;
  readonly echoesIgnored: number;
  /** Attribute frames the daemon dropped before parsing them, as no subscriber takes them (its echoes of text, float… attributes). */
  readonly echoesUnread: number;
  readonly deadLettered: number;
  readonly spooled: number;
}

export interface DemoReport {
  readonly text: string;
  /** Every sample went the expected way, and nothing was dead-lettered or spooled. */
  readonly ok: boolean;
}

type Line = Readonly<Record<string, unknown>>;

const short = (text: string, max = 70): string => (text.length > max ? `${text.slice(0, max - 1)}…` : text);

function objectSummary(misp: MispStandin, objectId: number): string {
  const members = misp.state.attributes.filter((a) => a.objectId === objectId && !a.deleted);
  const preferred = ["country", "region", "city", "latitude", "longitude", "address", "title", "first-seen", "last-seen"];
  const chosen = members.filter((a) => preferred.includes(a.objectRelation ?? "")).slice(0, 6);
  return (chosen.length ? chosen : members.slice(0, 5)).map((a) => `${a.objectRelation ?? a.type} ${short(a.value, 40)}${a.objectRelation === "address" ? ` (as ${a.type})` : ""}`).join(", ");
}

function sampleSection(index: number, sample: Sample, facts: DemoFacts): { lines: string[]; ok: boolean } {
  const { misp, logs } = facts;
  if (!sample.attribute) {
    const rejected = logs.find("frame rejected");
    const lines = [`${index}. ${sample.label}: ${short(sample.frame ?? "", 60)}`];
    for (const r of rejected) lines.push(`   ✘ rejected before routing, counted and logged: ${String(r.code)}: ${String(r.err)}`);
    return { lines, ok: rejected.length > 0 };
  }
  const a = sample.attribute;
  const lines = [`${index}. ${sample.label}: ${a.type} ${a.value} (attribute ${a.uuid})`];
  const by = { attributeUuid: a.uuid };
  const objects = misp.state.references.filter((r) => r.referencedUuid === a.uuid).map((r) => ({ ref: r, object: misp.state.objects.find((o) => o.uuid === r.sourceUuid) }));
  for (const written of logs.find("enrichment written", by)) {
    for (const { ref, object } of objects) {
      if (!object) continue;
      lines.push(`   ✔ ${String(written.sub)} wrote a ${object.name} object ${object.uuid}: ${objectSummary(misp, object.id)}`);
      lines.push(`     reference ${object.uuid} ${ref.relationshipType} → this attribute`);
    }
  }
  for (const refusal of logs.find("misp refused onion-address values: writing them as text", by)) {
    const values = Array.isArray(refusal.values) ? refusal.values.join(", ") : "?";
    lines.push(`   ⚠ MISP refused onion-address ${short(values, 70)}: "Onion address has an invalid format." (MISP 2.5.1 takes only 16-character v2 addresses);`);
    lines.push("     the daemon wrote that value as type text in the same object: logged once, not retried, nothing else lost");
  }
  const tags = misp.state.attributeTags.filter((t) => t.attributeUuid === a.uuid);
  if (tags.length > 0) {
    const locality = tags.every((t) => t.local) ? "local" : tags.every((t) => !t.local) ? "global" : "local and global";
    lines.push(`   ✔ tags attached to this attribute (${locality}): ${tags.map((t) => t.tagName).join(", ")}`);
  }
  const skipped = logs.find("message skipped", by);
  for (const s of skipped) lines.push(`   · ${String(s.sub)} skipped it: ${String(s.reason)}`);
  const failures = [...logs.find("handler failed permanently", by), ...logs.find("handler failed; work kept in the spool for a later retry", by)];
  for (const f of failures) lines.push(`   ✘ ${String(f.sub)} failed: ${String(f.code)}: ${String(f.err)}`);
  if (lines.length === 1) lines.push("   · no subscriber acted on it");
  const ok = failures.length === 0 && (sample.expect === "write" ? objects.length > 0 : skipped.length > 0 && objects.length === 0);
  if (!ok) lines.push(`   ✘ expected the daemon to ${sample.expect} it`);
  return { lines, ok };
}

function countBy(values: readonly string[]): string {
  const counts = new Map<string, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  return [...counts].map(([k, n]) => `${k} ${n}`).join(", ");
}

/** `/objects/add/<event>/<template>` → `objects/add`. */
const endpoint = (path: string): string => path.split("/").filter(Boolean).slice(0, 2).join("/");

function echoLines(facts: DemoFacts): { lines: string[]; ok: boolean } {
  const published = facts.misp.published.map((m) => m.topic);
  const received = published.filter((t) => facts.subscribed.has(t)).length;
  const sampleUuids = new Set(facts.samples.flatMap((s) => (s.attribute ? [s.attribute.uuid] : [])));
  const ranOnOwn = facts.logs
    .lines()
    .filter((l) => typeof l.sub === "string" && typeof l.attributeUuid === "string" && ["handler done", "message skipped"].includes(String(l.msg)))
    .filter((l) => !sampleUuids.has(String(l.attributeUuid))).length;
  const lines = [
    `MISP's echoes: for these writes MISP published ${published.length} bus messages (${countBy(published) || "none"}).`,
    `  The daemon subscribes to ${[...facts.subscribed].join(", ")}: it received ${received} of them, dropped ${facts.echoesUnread} unread (no subscriber takes their type)`,
    `  and recognised ${facts.echoesIgnored} as its own writes (echo guard).`,
    ranOnOwn === 0 ? "  ✔ no subscriber ran on the daemon's own writes: no loop" : `  ✘ subscribers ran ${ranOnOwn} times on the daemon's own writes`,
  ];
  return { lines, ok: ranOnOwn === 0 };
}

function writtenLines(facts: DemoFacts, eventUuid: string, eventInfo: string): string[] {
  const writes = facts.misp.calls.filter((c) => c.method === "POST");
  const ok = writes.filter((c) => c.status >= 200 && c.status < 300).map((c) => endpoint(c.path));
  const refused = writes.filter((c) => c.status >= 400).map((c) => `${endpoint(c.path)} ${c.status}`);
  const state = facts.misp.state;
  const ours = state.objects.filter((o) => o.eventId === state.events.find((e) => e.uuid === eventUuid)?.id);
  return [
    `Written to MISP event ${eventUuid} "${eventInfo}":`,
    `  ${ours.length} objects (${countBy(ours.map((o) => o.name)) || "none"}), ${state.references.length} references, ${state.attributeTags.length} tag attachments`,
    `  REST writes answered 200: ${countBy(ok) || "none"}${refused.length ? `; refused by MISP: ${countBy(refused)}` : ""}`,
  ];
}

export function buildReport(facts: DemoFacts, event: { readonly uuid: string; readonly info: string }): DemoReport {
  const out: string[] = ["Received and handled:"];
  let ok = true;
  facts.samples.forEach((sample, i) => {
    const section = sampleSection(i + 1, sample, facts);
    ok &&= section.ok;
    out.push(...section.lines);
  });
  out.push("");
  const echoes = echoLines(facts);
  ok &&= echoes.ok;
  out.push(...echoes.lines, "", ...writtenLines(facts, event.uuid, event.info));
  if (facts.deadLettered > 0 || facts.spooled > 0) {
    ok = false;
    out.push(`  ✘ ${facts.deadLettered} dead-lettered, ${facts.spooled} spooled for a retry`);
  }
  return { text: out.join("\n") + "\n", ok };
}
