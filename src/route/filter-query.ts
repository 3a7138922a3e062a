// Filter queries `"<kind>[:<action>]"` (route/types.ts FilterQuery). The template-literal type
// catches typos in TypeScript subscribers; this is the same check at load time, for everyone else.

import { EnrichdError } from "../errors.js";
import { ACTIONS_BY_KIND, MESSAGE_KINDS, type MessageKind } from "../decode/types.js";
import { normaliseAction } from "../decode/decode.js";

export interface ParsedFilterQuery {
  readonly kind: MessageKind;
  /** Absent: every action of the kind. */
  readonly action?: string;
}

const KINDS: ReadonlySet<string> = new Set(MESSAGE_KINDS);

/** Every query the grammar accepts, in catalogue order. */
export function permittedQueries(kind?: MessageKind): string[] {
  const kinds = kind === undefined ? MESSAGE_KINDS : [kind];
  return kinds.flatMap((k) => [k, ...ACTIONS_BY_KIND[k].map((action) => `${k}:${action}`)]);
}

/** The query's kind and action, or a sentence saying what is wrong and what is permitted. */
export function checkFilterQuery(query: unknown): ParsedFilterQuery | string {
  if (typeof query !== "string") {
    return `filter query ${JSON.stringify(query) ?? String(query)} is not a string. Permitted values are: ${MESSAGE_KINDS.join(", ")}, or "<kind>:<action>"`;
  }
  const colon = query.indexOf(":");
  const kind = colon === -1 ? query : query.slice(0, colon);
  if (!KINDS.has(kind)) {
    return `filter query "${query}" names no known kind "${kind}". Permitted values are: ${MESSAGE_KINDS.join(", ")}, each optionally followed by ":<action>"`;
  }
  const known = kind as MessageKind;
  if (colon === -1) return { kind: known };
  const action = query.slice(colon + 1);
  const actions: readonly string[] = ACTIONS_BY_KIND[known];
  if (!actions.includes(action)) {
    // MISP's own spelling ("attached to attribute", "soft_delete") is the likeliest slip.
    const normal = normaliseAction(action);
    const hint = actions.includes(normal) ? ` (did you mean "${known}:${normal}"?)` : "";
    return `filter query "${query}": ${known} has no action "${action}"${hint}. Permitted values are: ${permittedQueries(known).join(", ")}`;
  }
  return { kind: known, action };
}

/** Throws EnrichdError ENRICHD_SUBSCRIBER_INVALID listing the permitted values. */
export function parseFilterQuery(query: string): ParsedFilterQuery {
  const parsed = checkFilterQuery(query);
  if (typeof parsed === "string") {
    throw new EnrichdError("ENRICHD_SUBSCRIBER_INVALID", parsed, { details: { query } });
  }
  return parsed;
}
