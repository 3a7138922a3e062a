// Local tags never leak to partners and cause no `edit` echo, but MISP lets only users of its host
// organisation attach them (rest.md §4, field/real-misp.md). In "auto" mode the daemon tries local
// and, on that exact refusal, switches to global once, says so, and retries the call.

import { isEnrichdError } from "../errors.js";
import type { Logger } from "../log.js";
import type { MispClient } from "./types.js";

export type TagLocalityMode = "auto" | "local" | "global";

export interface TagLocality {
  /** Whether tags on source attributes go on as local tags right now. */
  readonly local: () => boolean;
  readonly wrap: (client: MispClient) => MispClient;
}

const HOST_ORG_REFUSAL = /host organi[sz]ation/i;

export function isHostOrgRefusal(error: unknown): boolean {
  if (!isEnrichdError(error)) return false;
  const text = `${error.message} ${JSON.stringify(error.details)}`;
  return HOST_ORG_REFUSAL.test(text);
}

export function createTagLocality(mode: TagLocalityMode, logger: Logger): TagLocality {
  let local = mode !== "global";
  return {
    local: () => local,
    wrap(client) {
      return {
        ...client,
        async attachTags(targetUuid, tags, wantLocal, signal, cause) {
          try {
            return await client.attachTags(targetUuid, tags, wantLocal, signal, cause);
          } catch (error) {
            if (!(mode === "auto" && wantLocal && isHostOrgRefusal(error))) throw error;
            if (local) {
              local = false;
              logger.warn(
                { tags },
                "MISP refused a local tag: the API key's organisation is not MISP.host_org_id; attaching global tags from now on (set misp.tagLocality to silence this)",
              );
            }
            return client.attachTags(targetUuid, tags, false, signal, cause);
          }
        },
      };
    },
  };
}
