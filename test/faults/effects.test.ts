// The fault suite's accounting: an effect is written once its object and its reference are both in
// MISP; a missing one is lost; a second reference, a second object for a source, or an object no
// sent attribute explains is a duplicate. If this counted wrong, every row of the suite would lie.

import { describe, expect, it } from "vitest";
import type { StandinState } from "@misp-enrichd/standins";
import { createEffectLedger } from "../../faults/effects.js";
import { deriveObjectUuid } from "../../src/misp/uuid.js";

const SOURCES = ["5e0b1f9e-0d4a-4c65-9c41-0a6f3cf0a001", "5e0b1f9e-0d4a-4c65-9c41-0a6f3cf0a002", "5e0b1f9e-0d4a-4c65-9c41-0a6f3cf0a003"];
const objectOf = (source: string): string => deriveObjectUuid(source, "mmdb_lookup", { name: "geolocation" });

function fakeState(): StandinState & { objects: { uuid: string }[]; references: { sourceUuid: string; referencedUuid: string; relationshipType: string }[] } {
  return { objects: [], references: [] } as unknown as ReturnType<typeof fakeState>;
}

const reference = (source: string, object = objectOf(source)): { sourceUuid: string; referencedUuid: string; relationshipType: string } => ({
  sourceUuid: object,
  referencedUuid: source,
  relationshipType: "expanded-from",
});

describe("the fault suite's effect ledger", () => {
  it("counts an effect written only once both its object and its reference are there, and when that happened", () => {
    const state = fakeState();
    const ledger = createEffectLedger(state);
    for (const source of SOURCES) ledger.expect(source);
    state.objects.push({ uuid: objectOf(SOURCES[0] as string) }, { uuid: objectOf(SOURCES[1] as string) });
    expect(ledger.poll()).toBe(0);
    expect(ledger.caughtUpAt(1)).toBeUndefined();
    state.references.push(reference(SOURCES[0] as string), reference(SOURCES[2] as string));
    expect(ledger.poll()).toBe(1);
    expect(ledger.caughtUpAt(1)).toBeTypeOf("number");
    expect(ledger.caughtUpAt(2)).toBeUndefined();
    expect(ledger.count()).toMatchObject({ expected: 3, written: 1, lost: 2, duplicated: 0, lostSample: [SOURCES[1], SOURCES[2]] });
  });

  it("counts a second reference, a second object for one source and an unexplained object as duplicates", () => {
    const state = fakeState();
    const ledger = createEffectLedger(state);
    for (const source of SOURCES) ledger.expect(source);
    for (const source of SOURCES) {
      state.objects.push({ uuid: objectOf(source) });
      state.references.push(reference(source));
    }
    expect(ledger.count()).toMatchObject({ written: 3, lost: 0, duplicated: 0, duplicateDetail: "" });
    state.references.push(reference(SOURCES[0] as string));
    const other = "7c1d2e3f-0000-4000-8000-00000000beef";
    state.objects.push({ uuid: other });
    state.references.push(reference(SOURCES[1] as string, other));
    expect(ledger.count()).toMatchObject({
      written: 3,
      lost: 0,
      duplicated: 3,
      duplicateDetail: "1 second reference(s), 1 second object(s) for one source, 1 object(s) no sent attribute explains",
    });
  });
});
