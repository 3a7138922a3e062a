// MISP 2.5.1 refuses every Tor v3 (56-character) onion-address with 403 "Onion address has an invalid
// format." (its validator has a typo, field/real-misp.md). This decorator of the client retries such a
// write once with the refused values typed `text` — template conformity checks relations, not types
// (rest.md §2), so an object stays valid — and reports each value it downgraded. A MISP that accepts v3
// onions never sees the retry.

import type { Logger } from "../log.js";
import { ONION_INVALID, isOnionRefusal } from "./misp-errors.js";
import type { AttributeToWrite, MispClient, ObjectToWrite } from "./types.js";

/** One value written as `text` instead of `onion-address`. */
export interface OnionDowngrade {
  readonly attributeUuid: string;
  /** What was refused, for the write report: the value and where it sits. */
  readonly what: string;
  readonly reason: string;
}

export interface OnionFallbackOptions {
  /** Or a function that makes it, called only when there is something to log. */
  readonly logger: Logger | (() => Logger);
  /** Told each downgraded value once its write succeeded. */
  readonly onDowngrade: (downgrade: OnionDowngrade) => void;
}

const REASON = `MISP: ${ONION_INVALID} Written as type text instead.`;

/** Tor v2 addresses are the only ones MISP 2.5.1's validator accepts (its v3 branch has a typo). */
const V2_ONION = /^[a-z2-7]{16}\.onion$/i;

export function isRefusedOnion(a: Pick<AttributeToWrite, "type" | "value">): boolean {
  return a.type === "onion-address" && !V2_ONION.test(a.value);
}

/** The same attribute as plain `text`; the uuid is kept: the refused request saved nothing under it. */
function asText<A extends AttributeToWrite>(a: A): A {
  return { ...a, type: "text" };
}

/** The two writes MISP 2.5.1 may refuse for a v3 onion. */
export type OnionWrites = Pick<MispClient, "addObject" | "addAttribute">;

/** Made per write-back (its report collects the downgrades): the two writes alone, not a copy of the whole client. */
export function withOnionFallback(client: OnionWrites, options: OnionFallbackOptions): OnionWrites {
  const { onDowngrade } = options;
  const logger = options.logger;
  const log = typeof logger === "function" ? logger : (): Logger => logger;
  return {
    async addObject(eventUuid, object, signal) {
      try {
        return await client.addObject(eventUuid, object, signal);
      } catch (error) {
        const changed = object.attributes.filter(isRefusedOnion);
        if (!isOnionRefusal(error) || changed.length === 0) throw error;
        log().warn({ objectUuid: object.uuid, values: changed.map((a) => a.value) }, "misp refused onion-address values: writing them as text");
        const retry: ObjectToWrite = { ...object, attributes: object.attributes.map((a) => (isRefusedOnion(a) ? asText(a) : a)) };
        const outcome = await client.addObject(eventUuid, retry, signal);
        for (const a of changed) {
          onDowngrade({ attributeUuid: a.uuid, what: `${a.type} ${a.value} (${a.objectRelation ?? "?"} of ${object.name} object ${object.uuid})`, reason: REASON });
        }
        return outcome;
      }
    },
    async addAttribute(eventUuid, attribute, signal) {
      try {
        return await client.addAttribute(eventUuid, attribute, signal);
      } catch (error) {
        if (!isOnionRefusal(error) || !isRefusedOnion(attribute)) throw error;
        log().warn({ attributeUuid: attribute.uuid, value: attribute.value }, "misp refused an onion-address value: writing it as text");
        const outcome = await client.addAttribute(eventUuid, asText(attribute), signal);
        onDowngrade({ attributeUuid: attribute.uuid, what: `${attribute.type} ${attribute.value} (attribute ${attribute.uuid})`, reason: REASON });
        return outcome;
      }
    },
  };
}
