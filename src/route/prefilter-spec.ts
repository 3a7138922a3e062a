// What the routes' where-objects let through, read as data: the facts the decoder's prefilter
// (decode/prefilter.ts) can test on a frame's bytes before parsing it. Only attribute routes are
// analysed; a fact stays open (accepts everything) as soon as one route leaves it open.

import type { AttributePrefilterSpec } from "../decode/prefilter.js";
import type { Route } from "./types.js";

export function attributePrefilterSpec(routes: readonly Route[]): AttributePrefilterSpec | undefined {
  const attributeRoutes = routes.filter((route) => route.kinds.has("attribute"));
  if (attributeRoutes.length === 0) return undefined;
  let types: Set<string> | undefined = new Set<string>();
  let inObject = false;
  let standalone = false;
  for (const { where } of attributeRoutes) {
    if (where.type === undefined) types = undefined;
    else if (types !== undefined) for (const type of typeof where.type === "string" ? [where.type] : where.type) types.add(type);
    // objectName matches object attributes only, like inObject: true.
    if (where.inObject !== false) inObject = true;
    if (where.inObject !== true && where.objectName === undefined) standalone = true;
  }
  return types === undefined ? { inObject, standalone } : { types, inObject, standalone };
}
