// Hands the metrics the same frozen labels object for the same label values, so that a hot call site
// builds no series key per call (metrics.ts keeps the key of a frozen labels object). A call site that
// counts per subscriber, endpoint or outcome keeps one of these; the set of values is small and fixed.

import type { Labels } from "./metrics.js";

export type LabelCache = (labels: Readonly<Record<string, string>>) => Labels;

export function createLabelCache(): LabelCache {
  const known = new Map<string, Labels>();
  return (labels) => {
    let key = "";
    for (const name in labels) key += `${name}\u0000${labels[name] as string}\u0001`;
    let frozen = known.get(key);
    if (frozen === undefined) known.set(key, (frozen = Object.freeze({ ...labels })));
    return frozen;
  };
}
