// `check`'s MISP lines: reachable, the key valid, its role's permissions for what the daemon writes,
// and whether its organisation is MISP's host organisation (the only one allowed local tags).

import type { Config } from "../config/schema.js";
import { errorMessage, isEnrichdError } from "../errors.js";
import { isHostOrgRefusal } from "../misp/tag-locality.js";
import type { MispClient, MispSelf } from "../misp/types.js";
import { failed, ok, warned, type CheckLine } from "./check-line.js";

/**
 * MISP exposes `MISP.host_org_id` to site admins only. `attachTagToObject` tests the host organisation
 * before it looks for the target (TagsController::attachTagToObject; real-misp fixtures f5, j1), so a
 * local attach to a uuid that names nothing, with a tag id that cannot exist, answers without
 * writing anything: 404 "Invalid Target." for a host-organisation key, 403 "Local tags can only be
 * added by users of the host organisation." for any other.
 */
export const PROBE_UUID = "00000000-0000-0000-0000-000000000000";
export const PROBE_TAG = "-1";

const KEY_FIX = "set misp.key (MISP_KEY, or misp.keyFile / MISP_KEY_FILE) to the API key of an enabled user with API access (MISP: Administration → List Auth Keys)";

export async function checkMisp(config: Config, client: MispClient, signal: AbortSignal): Promise<CheckLine[]> {
  const url = config.misp.url;
  try {
    const version = await client.getVersion(signal);
    const lines = [ok("misp", `MISP ${version.version} at ${url}`)];
    return [...lines, ...(await checkKey(config, client, signal))];
  } catch (error) {
    const code = isEnrichdError(error) ? error.code : undefined;
    if (code === "ENRICHD_MISP_AUTH") {
      return [ok("misp", `reachable at ${url}`), failed("misp key", `refused: ${errorMessage(error)}`, KEY_FIX)];
    }
    if (code === "ENRICHD_MISP_UNAVAILABLE") {
      return [failed("misp", `not reachable: ${errorMessage(error)}`, "check misp.url (MISP_URL), that MISP runs, and its TLS certificate (misp.caFile / MISP_CA_FILE, misp.verifyTls)")];
    }
    return [failed("misp", `${url} does not answer like MISP's API: ${errorMessage(error)}`, "misp.url must be MISP's base URL, e.g. https://misp.example.org")];
  }
}

async function checkKey(config: Config, client: MispClient, signal: AbortSignal): Promise<CheckLine[]> {
  let self: MispSelf;
  try {
    self = await client.getSelf(signal);
  } catch (error) {
    const auth = isEnrichdError(error) && error.code === "ENRICHD_MISP_AUTH";
    return [failed("misp key", `GET /users/view/me failed: ${errorMessage(error)}`, auth ? KEY_FIX : undefined)];
  }
  const who = `user ${self.email || `#${self.userId}`} (id ${self.userId}) of organisation ${self.orgName || "?"} (id ${self.orgId}), role ${self.role.name || "?"}`;
  return [ok("misp key", `valid: ${who}`), ...permissionLines(self), await hostOrgLine(config, client, self, signal)];
}

function permissionLines(self: MispSelf): CheckLine[] {
  const { role } = self;
  const grant = `give the key's user a role with this permission (MISP: Administration → List Roles), or use another user's key`;
  const lines: CheckLine[] = [];
  lines.push(
    role.permAdd
      ? ok("misp role", `${role.name} may add objects, attributes and references (perm_add)`)
      : failed("misp role", `${role.name} lacks perm_add: the daemon cannot write objects, attributes or references`, grant),
  );
  if (role.permSiteAdmin) {
    lines.push(ok("misp role", `${role.name} is site admin: it may enrich every event`));
  } else if (role.permModifyOrg) {
    lines.push(
      warned(
        "misp role",
        `${role.name} may modify events created by ${self.orgName || `organisation ${self.orgId}`} (perm_modify_org); MISP refuses writes to other organisations' events (403)`,
        "nothing, if the daemon enriches only your organisation's events; otherwise use a site admin's key",
      ),
    );
  } else if (role.permModify) {
    lines.push(warned("misp role", `${role.name} may modify only events its user created (perm_modify without perm_modify_org)`, "grant perm_modify_org, or use a site admin's key"));
  } else {
    lines.push(failed("misp role", `${role.name} may modify no event (no perm_modify, perm_modify_org or site admin)`, grant));
  }
  lines.push(
    role.permTagger
      ? ok("misp role", `${role.name} may attach tags (perm_tagger)`)
      : failed("misp role", `${role.name} lacks perm_tagger: the daemon cannot attach tags`, grant),
  );
  lines.push(
    role.permTagEditor
      ? ok("misp role", `${role.name} may create tags MISP does not know yet (perm_tag_editor)`)
      : warned("misp role", `${role.name} lacks perm_tag_editor: tags a module returns that MISP does not know yet are refused`, "create those tags in MISP first, or grant perm_tag_editor"),
  );
  return lines;
}

async function hostOrgLine(config: Config, client: MispClient, self: MispSelf, signal: AbortSignal): Promise<CheckLine> {
  const mode = config.misp.tagLocality;
  const org = self.orgName || `organisation ${self.orgId}`;
  if (mode === "global") {
    return ok("misp tags", "global (misp.tagLocality global): synchronised with the event; MISP lets only the event's creator organisation or a site admin attach them");
  }
  let answer: unknown;
  try {
    await client.attachTags(PROBE_UUID, [PROBE_TAG], true, signal);
    answer = "200";
  } catch (error) {
    answer = error;
  }
  if (isEnrichdError(answer) && answer.code === "ENRICHD_MISP_REJECTED" && answer.details.status === 404) {
    return ok("misp tags", `${org} is MISP's host organisation: tags on source attributes go on as local tags (never synchronised, no edit echo)`);
  }
  if (isHostOrgRefusal(answer)) {
    const text = `${org} is not MISP's host organisation (MISP.host_org_id), the only one MISP lets attach local tags`;
    if (mode === "local") {
      return failed("misp tags", `${text}, and misp.tagLocality is local: every tag the daemon attaches will be refused`, "set misp.tagLocality to auto (global tags instead) or use the key of a host-organisation user");
    }
    return warned(
      "misp tags",
      `${text}: the daemon will attach global tags instead (misp.tagLocality auto); they are synchronised with the event and need its creator organisation`,
      "to keep tags local, use the key of a user of the host organisation",
    );
  }
  const why = answer === "200" ? "MISP accepted a probe that should have matched nothing" : errorMessage(answer);
  return warned("misp tags", `cannot tell whether ${org} is MISP's host organisation: ${why}`, "the daemon starts with local tags and switches to global ones if MISP refuses them (misp.tagLocality auto)");
}
