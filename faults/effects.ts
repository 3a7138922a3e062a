// What the messages sent should have caused, checked against what MISP holds. One effect per sent
// attribute: the geolocation object the daemon derives for it (its uuid is deterministic) and that
// object's reference to the attribute. Lost: an expected effect missing. Duplicated: a second
// reference, a second object for the same source, or an object no sent attribute explains.

import type { StandinState } from "@misp-enrichd/standins";
import { deriveObjectUuid } from "../src/misp/uuid.js";

/** The geolocation subscriber's module and object (subscribers/geolocation.ts). */
const MODULE = "mmdb_lookup";
const OBJECT = { name: "geolocation" } as const;

export interface EffectCounts {
  readonly expected: number;
  readonly written: number;
  readonly lost: number;
  readonly duplicated: number;
  /** Source attribute uuids whose effect is missing (the first ten), for the report. */
  readonly lostSample: readonly string[];
  /** What the duplicates are, e.g. "2 second references, 1 stray object". */
  readonly duplicateDetail: string;
}

export interface EffectLedger {
  /** A message about this attribute was sent: its effect is now expected. */
  expect(sourceUuid: string): void;
  readonly expected: number;
  /** Reads MISP's rows added since the last call; returns how many expected effects are written. */
  poll(): number;
  /** When the last of the first `n` expected effects was written (epoch ms); undefined while one is missing. */
  caughtUpAt(n: number): number | undefined;
  /** A full count, duplicates included. */
  count(): EffectCounts;
}

interface Expected {
  readonly source: string;
  object: boolean;
  reference: boolean;
  /** Epoch ms, once both are there. */
  writtenAt?: number;
}

export function createEffectLedger(state: StandinState): EffectLedger {
  const byObject = new Map<string, Expected>();
  /** In the order the messages were sent. */
  const inOrder: Expected[] = [];
  let objectsRead = 0;
  let referencesRead = 0;
  let written = 0;

  // Each flag turns true once: the effect is written when the second one does.
  const settle = (entry: Expected): void => {
    if (entry.object && entry.reference) {
      written++;
      entry.writtenAt = Date.now();
    }
  };

  const poll = (): number => {
    for (; objectsRead < state.objects.length; objectsRead++) {
      const entry = byObject.get((state.objects[objectsRead] as { uuid: string }).uuid);
      if (entry === undefined || entry.object) continue;
      entry.object = true;
      settle(entry);
    }
    for (; referencesRead < state.references.length; referencesRead++) {
      const row = state.references[referencesRead] as { sourceUuid: string; referencedUuid: string };
      const entry = byObject.get(row.sourceUuid);
      if (entry === undefined || entry.reference || row.referencedUuid !== entry.source) continue;
      entry.reference = true;
      settle(entry);
    }
    return written;
  };

  return {
    expect(sourceUuid) {
      const source = sourceUuid.toLowerCase();
      const entry: Expected = { source, object: false, reference: false };
      byObject.set(deriveObjectUuid(source, MODULE, OBJECT), entry);
      inOrder.push(entry);
    },
    get expected() {
      return byObject.size;
    },
    poll,
    caughtUpAt(n) {
      poll();
      let last: number | undefined;
      for (const entry of inOrder.slice(0, n)) {
        if (entry.writtenAt === undefined) return undefined;
        last = Math.max(last ?? 0, entry.writtenAt);
      }
      return last;
    },
    count() {
      poll();
      const lostSample: string[] = [];
      for (const entry of byObject.values()) if (!(entry.object && entry.reference) && lostSample.length < 10) lostSample.push(entry.source);
      const references = new Map<string, number>();
      const objectsOfSource = new Map<string, Set<string>>();
      for (const r of state.references) {
        const key = `${r.sourceUuid}|${r.referencedUuid}|${r.relationshipType}`;
        references.set(key, (references.get(key) ?? 0) + 1);
        const objects = objectsOfSource.get(r.referencedUuid) ?? new Set<string>();
        objects.add(r.sourceUuid);
        objectsOfSource.set(r.referencedUuid, objects);
      }
      const secondReferences = [...references.values()].reduce((sum, n) => sum + n - 1, 0);
      const sources = new Set([...byObject.values()].map((e) => e.source));
      const secondObjects = [...objectsOfSource].filter(([source]) => sources.has(source)).reduce((sum, [, objects]) => sum + objects.size - 1, 0);
      const stray = state.objects.filter((o) => !byObject.has(o.uuid)).length;
      const parts = [
        secondReferences > 0 ? `${secondReferences} second reference(s)` : "",
        secondObjects > 0 ? `${secondObjects} second object(s) for one source` : "",
        stray > 0 ? `${stray} object(s) no sent attribute explains` : "",
      ].filter(Boolean);
      return {
        expected: byObject.size,
        written,
        lost: byObject.size - written,
        duplicated: secondReferences + secondObjects + stray,
        lostSample,
        duplicateDetail: parts.join(", "),
      };
    },
  };
}
