// Named sets of attribute frames: many events, each with its attributes in order, interleaved
// into one stream by a seeded PRNG. The registry remembers where each attribute sits in its event,
// so that any boundary (module queries, stored references) can be checked for per-event order.

import { randomUUID } from "node:crypto";
import { prng, type MispStandin } from "@misp-enrichd/standins";
import { corpusFrame, isAdd, loadCorpus } from "./corpus.js";
import type { OrderCheck, SeedRequest, SeedResult } from "./peers-protocol.js";

export interface FrameSets {
  /** Events and attributes created in the MISP stand-in; frames as MISP publishes them. */
  seed(standin: MispStandin, request: SeedRequest): SeedResult;
  /** Frames built from the corpus's attribute frame; nothing is stored anywhere. */
  synthesize(request: SeedRequest): SeedResult;
  framesOf(set: string): readonly string[];
  /** Per-event order of the attribute uuids given, in the order given. */
  checkOrder(uuids: Iterable<string | undefined>, set: string | undefined): OrderCheck;
}

interface Place {
  readonly set: string;
  readonly event: number;
  readonly seq: number;
}

/** A routable address, unique per (set, event, attribute) for up to 256 events of 62,500 attributes. */
function address(firstOctet: number, event: number, attribute: number): string {
  return `${firstOctet}.${event % 256}.${Math.floor(attribute / 250) % 256}.${(attribute % 250) + 1}`;
}


/** Picks an event with probability proportional to what it has left; each event keeps its order. */
function interleave(seed: number, perEvent: readonly (readonly string[])[]): string[] {
  const random = prng(seed);
  const next = perEvent.map(() => 0);
  let left = perEvent.reduce((sum, frames) => sum + frames.length, 0);
  const out: string[] = [];
  while (left > 0) {
    let pick = Math.floor(random() * left);
    let e = 0;
    for (; e < perEvent.length; e++) {
      const remaining = (perEvent[e] as readonly string[]).length - (next[e] as number);
      if (pick < remaining) break;
      pick -= remaining;
    }
    out.push((perEvent[e] as readonly string[])[next[e] as number] as string);
    next[e] = (next[e] as number) + 1;
    left--;
  }
  return out;
}

export function createFrameSets(): FrameSets {
  const places = new Map<string, Place>(); // attribute uuid → where it sits
  const sets = new Map<string, readonly string[]>();

  function build(request: SeedRequest, make: (event: number) => (attribute: number) => { uuid: string; frame: string }): SeedResult {
    const perEvent: string[][] = [];
    for (let e = 0; e < request.events; e++) {
      const next = make(e);
      const frames: string[] = [];
      for (let a = 0; a < request.attributesPerEvent; a++) {
        const { uuid, frame } = next(a);
        places.set(uuid, { set: request.set, event: e, seq: a });
        frames.push(frame);
      }
      perEvent.push(frames);
    }
    const frames = interleave(request.seed, perEvent);
    sets.set(request.set, frames);
    return { frames };
  }

  return {
    seed(standin, request) {
      return build(request, (e) => {
        const event = standin.seedEvent({ info: `bench ${request.set} event ${e}` });
        return (a) => {
          const value = address(request.firstOctet, e, a);
          const attribute = standin.seedAttribute(event.uuid, { type: a % 2 === 0 ? "ip-dst" : "ip-src", value, category: "Network activity" });
          return { uuid: attribute.uuid, frame: `${attribute.message.topic} ${JSON.stringify(attribute.message.payload)}` };
        };
      });
    },
    synthesize(request) {
      const template = corpusFrame(loadCorpus(), "misp_json_attribute", isAdd).payload;
      const distinct = request.distinctValues;
      return build(request, (e) => {
        const eventUuid = randomUUID();
        return (a) => {
          const uuid = randomUUID();
          const index = e * request.attributesPerEvent + a;
          const value = distinct === undefined ? address(request.firstOctet, e, a) : address(request.firstOctet, 0, index % distinct);
          const type = distinct === undefined && a % 2 === 1 ? "ip-src" : "ip-dst";
          const payload = structuredClone(template) as { Attribute: Record<string, unknown>; Event: Record<string, unknown> };
          Object.assign(payload.Attribute, { id: String(100_000 + index), event_id: String(10_000 + e), uuid, type, value, value1: value });
          Object.assign(payload.Event, { id: String(10_000 + e), uuid: eventUuid, info: `bench ${request.set} event ${e}` });
          return { uuid, frame: `misp_json_attribute ${JSON.stringify(payload)}` };
        };
      });
    },
    framesOf: (set) => sets.get(set) ?? [],
    checkOrder(uuids, set) {
      const last = new Map<number, number>();
      const seen = new Set<string>();
      let count = 0;
      let violations = 0;
      let duplicates = 0;
      for (const uuid of uuids) {
        const where = uuid === undefined ? undefined : places.get(uuid);
        if (uuid === undefined || where === undefined || (set !== undefined && where.set !== set)) continue;
        count++;
        if (seen.has(uuid)) duplicates++;
        seen.add(uuid);
        const previous = last.get(where.event);
        if (previous !== undefined && where.seq < previous) violations++;
        last.set(where.event, Math.max(previous ?? -1, where.seq));
      }
      return { events: last.size, seen: count, violations, duplicates };
    },
  };
}
