// Replays the real MISP 2.5.1 capture (test/fixtures/real-misp, docs/real-misp-observations.md)
// against the stand-in, call by call and in the same order, and compares what comes back: status,
// content type, the shape of every JSON answer (keys and scalar kinds at every depth), MISP's texts
// (ids masked), and the bus messages each call published (topic, action, payload shape).

import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import type { MispStandin } from "@misp-enrichd/standins";
import { standin } from "../misp/helpers.js";
import { loadStep, replayStep, type Step } from "./conformance.js";

const DIR = new URL("../fixtures/real-misp/", import.meta.url);
const run = JSON.parse(readFileSync(new URL("_run.json", DIR), "utf8")) as { eventUuid: string; steps: { step: string }[] };
const files = new Set(readdirSync(DIR));

const load = (name: string): Step => loadStep(DIR, name);
const replay = (misp: MispStandin, name: string): Promise<void> => replayStep(misp, DIR, name, INSTANCE_SPECIFIC[name] !== undefined);

/** Fields whose kind depends on the instance, not on MISP's code; each with why. */
const INSTANCE_SPECIFIC: Readonly<Record<string, string>> = {
  "a2-users-view-me": "the capture's first admin was made by the installer: date_created, gpgkey, last_pw_change are null there (j0c, an ordinary user, has the stand-in's kinds)",
  "a5b-accept-json-charset-users-view-me": "as a2",
  "i2-attributes-restSearch-accept-charset": "with a limit MISP's row order is unspecified (no ORDER BY): the capture's one row was an object attribute",
};

/** Steps that set the scene with calls the stand-in does not offer; the scene is seeded instead. */
const SETUP = new Set(["b1-events-add", "e3a-setup-events-add-other", "j0a-setup-organisation-add", "j0b-setup-user-add"]);

describe("MISP stand-in against the real MISP 2.5.1 capture", () => {
  it("answers and publishes like the real MISP for every call of the capture", async () => {
    // The capture's key is a site admin of the host organisation, with perm_sync.
    const misp = await standin({ role: { permSiteAdmin: true, permSync: true, name: "admin" } });
    misp.seedEvent({ uuid: run.eventUuid, orgcId: 1, info: "misp-enrichd real-MISP capture" });
    const other = load("e3a-setup-events-add-other").response.body as { Event: { uuid: string } };
    const replayed: string[] = [];
    for (const { step } of run.steps) {
      if (step.startsWith("j")) continue; // the second organisation's user: below
      if (SETUP.has(step)) {
        if (step === "e3a-setup-events-add-other") misp.seedEvent({ uuid: other.Event.uuid, orgcId: 1 });
        continue;
      }
      if (!files.has(`${step}.json`)) continue;
      await replay(misp, step);
      replayed.push(step);
    }
    expect(replayed.length).toBeGreaterThanOrEqual(45);
  });

  it("refuses the second organisation's user exactly like the real MISP", async () => {
    const misp = await standin({ hostOrgId: 1, orgId: 2, role: { name: "User", permTagEditor: false } });
    const event = misp.seedEvent({ uuid: run.eventUuid, orgcId: 1 });
    for (const step of ["b2-attributes-add", "b5-attributes-add-inline-local-tag"]) {
      const body = load(step).request.body as { uuid: string; type: string; value: string };
      misp.seedAttribute(event.uuid, { uuid: body.uuid, type: body.type, value: body.value });
    }
    for (const step of ["j0c-other-user-view-me", "j1-other-org-attachTag-local", "j2-other-org-attachTag-global", "j3-other-org-objects-add-inline-local-tag"]) await replay(misp, step);
  });
});
