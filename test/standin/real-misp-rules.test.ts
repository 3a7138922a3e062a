// Replays the real MISP 2.5.1 capture of the calls the rules make (scripts/real-misp/capture-rules.mjs,
// test/fixtures/real-misp/rules, docs/real-misp-observations.md "Rules") against the stand-in: tags
// attached and removed, locally and globally, on an attribute and an event, with what MISP publishes
// for each (ids only); distribution edits and a sharing group; events/index; restSearch by event.

import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { standin } from "../misp/helpers.js";
import { loadStep, replayStep } from "./conformance.js";

const DIR = new URL("../fixtures/real-misp/rules/", import.meta.url);
const run = JSON.parse(readFileSync(new URL("_run.json", DIR), "utf8")) as { eventUuid: string; eventId: string; sharingGroupId: string; steps: { step: string }[] };
/** Set the scene with calls the stand-in does not offer (events/add, sharing_groups/add): seeded instead. */
const SETUP = new Set(["r0-setup-events-add", "r12-setup-sharing-groups-add"]);

describe("MISP stand-in against the real MISP 2.5.1 capture of the rules' calls", () => {
  it("answers and publishes like the real MISP for every call", async () => {
    const misp = await standin({ role: { permSiteAdmin: true, permSync: true, name: "admin" }, sharingGroups: [Number(run.sharingGroupId)] });
    const created = loadStep(DIR, "r0-setup-events-add").response.body as { Event: { info: string } };
    // events/index is asked by the capture's numeric id: the stand-in's event gets the same one.
    while (misp.state.events.length < Number(run.eventId) - 1) misp.seedEvent();
    expect(misp.seedEvent({ uuid: run.eventUuid, orgcId: 1, info: created.Event.info, distribution: 1 }).id).toBe(Number(run.eventId));
    // Tags the capture's instance knew already (it published no definition for them).
    const scratch = misp.seedAttribute(misp.seedEvent().uuid, { type: "domain", value: "scratch.example" });
    for (const tag of ['dark-web:topic="credit-card"', "case:open"]) await misp.analyst("POST", "/tags/attachTagToObject", { uuid: scratch.uuid, tag, local: 1 });
    const replayed: string[] = [];
    for (const { step } of run.steps) {
      if (SETUP.has(step)) continue;
      await replayStep(misp, DIR, step);
      replayed.push(step);
    }
    expect(replayed).toHaveLength(20);
  });
});
