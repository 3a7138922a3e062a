import { describe, expect, it } from "vitest";
import { errorForStatus, ONION_INVALID } from "../../src/misp/misp-errors.js";
import { withOnionFallback, type OnionDowngrade } from "../../src/misp/onion-fallback.js";
import type { AttributeToWrite, MispClient, ObjectToWrite } from "../../src/misp/types.js";
import { captureLogs } from "../support/log-capture.js";
import { V2_ONION, V3_ONION } from "./helpers.js";

/** MISP 2.5.1's answer to an object or attribute holding a v3 onion (field/real-misp.md). */
const onionRefusal = (path: string): Error =>
  errorForStatus({ method: "POST", path }, 403, { name: "Could not add Attribute", message: "Could not add Attribute", url: path, errors: { value: [ONION_INVALID] } });
const otherRefusal = (path: string): Error =>
  errorForStatus({ method: "POST", path }, 403, { name: "Could not add Attribute", message: "Could not add Attribute", url: path, errors: { value: ["IP address has an invalid format."] } });

const attribute = (type: string, value: string, relation?: string): AttributeToWrite => ({
  uuid: crypto.randomUUID(),
  type,
  value,
  ...(relation ? { objectRelation: relation } : {}),
  toIds: false,
  comment: "misp-enrichd: onion via onion_lookup",
  distribution: 5,
  tags: [],
});

const hiddenService = (address: string): ObjectToWrite => ({
  uuid: crypto.randomUUID(),
  name: "tor-hiddenservice",
  metaCategory: "network",
  description: "Tor hidden service",
  templateUuid: "cbac07d6-fbe9-43b8-8d91-d515812ce330",
  templateVersion: "2",
  comment: "misp-enrichd: onion via onion_lookup",
  distribution: 5,
  attributes: [attribute("onion-address", address, "address"), attribute("text", "en", "language")],
});

/** A client that answers each write with the next verdict: an error to throw, or "created". */
function scripted(...verdicts: (Error | "created")[]) {
  const sent: { kind: "object" | "attribute"; types: string[] }[] = [];
  const answer = async (): Promise<"created"> => {
    const verdict = verdicts.shift() ?? "created";
    if (verdict instanceof Error) throw verdict;
    return verdict;
  };
  const client = {
    addObject: async (_event: string, object: ObjectToWrite) => {
      sent.push({ kind: "object", types: object.attributes.map((a) => a.type) });
      return answer();
    },
    addAttribute: async (_event: string, a: AttributeToWrite) => {
      sent.push({ kind: "attribute", types: [a.type] });
      return answer();
    },
  } as unknown as MispClient;
  const downgrades: OnionDowngrade[] = [];
  const logs = captureLogs();
  const fallback = withOnionFallback(client, { logger: logs.logger, onDowngrade: (d) => downgrades.push(d) });
  return { fallback, sent, downgrades, logs };
}

const EVENT = "5a0c4f1e-2b3d-4c5e-8f90-1a2b3c4d5e6f";

describe("onion fallback (MISP 2.5.1 refuses v3 onion-address values)", () => {
  it("writes a refused object once more with its v3 onion typed text, and reports the value", async () => {
    const { fallback, sent, downgrades, logs } = scripted(onionRefusal("/objects/add"), "created");
    const object = hiddenService(V3_ONION);
    expect(await fallback.addObject(EVENT, object)).toBe("created");
    expect(sent).toEqual([
      { kind: "object", types: ["onion-address", "text"] },
      { kind: "object", types: ["text", "text"] },
    ]);
    expect(downgrades).toEqual([
      {
        attributeUuid: object.attributes[0]!.uuid,
        what: `onion-address ${V3_ONION} (address of tor-hiddenservice object ${object.uuid})`,
        reason: `MISP: ${ONION_INVALID} Written as type text instead.`,
      },
    ]);
    expect(logs.find("misp refused onion-address values: writing them as text")).toHaveLength(1);
  });

  it("writes a refused standalone v3 onion once more as text", async () => {
    const { fallback, sent, downgrades } = scripted(onionRefusal("/attributes/add"), "created");
    const onion = attribute("onion-address", V3_ONION);
    expect(await fallback.addAttribute(EVENT, onion)).toBe("created");
    expect(sent.map((s) => s.types)).toEqual([["onion-address"], ["text"]]);
    expect(downgrades).toEqual([{ attributeUuid: onion.uuid, what: `onion-address ${V3_ONION} (attribute ${onion.uuid})`, reason: expect.stringContaining(ONION_INVALID) }]);
  });

  it("sends one request and reports nothing when MISP accepts the onion", async () => {
    const { fallback, sent, downgrades } = scripted("created");
    await fallback.addObject(EVENT, hiddenService(V3_ONION));
    expect(sent).toHaveLength(1);
    expect(downgrades).toEqual([]);
  });

  it("passes any other refusal on untouched", async () => {
    const refusal = otherRefusal("/objects/add");
    const { fallback, sent } = scripted(refusal);
    await expect(fallback.addObject(EVENT, hiddenService(V3_ONION))).rejects.toBe(refusal);
    expect(sent).toHaveLength(1);
  });

  it("does not retry when nothing in the write is a v3 onion", async () => {
    const refusal = onionRefusal("/objects/add");
    const { fallback, sent } = scripted(refusal);
    await expect(fallback.addObject(EVENT, hiddenService(V2_ONION))).rejects.toBe(refusal);
    await expect(scripted(refusal).fallback.addAttribute(EVENT, attribute("onion-address", V2_ONION))).rejects.toBe(refusal);
    expect(sent).toHaveLength(1);
  });

  it("retries only once: a second refusal propagates and nothing is reported", async () => {
    const second = otherRefusal("/objects/add");
    const { fallback, sent, downgrades } = scripted(onionRefusal("/objects/add"), second);
    await expect(fallback.addObject(EVENT, hiddenService(V3_ONION))).rejects.toBe(second);
    expect(sent).toHaveLength(2);
    expect(downgrades).toEqual([]);
  });
});
