// Hands the metrics the same frozen labels object for the same label values, so that a hot call site
// builds no series key per call (metrics.ts keeps the key of a frozen labels object). A call site that
// counts per subscriber, endpoint or outcome keeps one of these; the set of values is small and fixed.

import type { Labels } from "./metrics.js";

export type LabelCache = (labels: Readonly<Record<string, string>>) => Labels;

/** A name, then its value, then the next name…: one level of Maps each, the labels object at the end. */
interface Node {
  readonly next: Map<string, Map<string, Node>>;
  labels?: Labels;
}

export function createLabelCache(): LabelCache {
  const root: Node = { next: new Map() };
  // Walked name by value instead of looking up a key built from them: the names and values are
  // mostly the same few strings, whose hashes V8 keeps, so a call builds nothing (a key string
  // was a new string to hash on every call).
  return (labels) => {
    let node = root;
    for (const name in labels) {
      const value = labels[name] as string;
      let byValue = node.next.get(name);
      if (byValue === undefined) node.next.set(name, (byValue = new Map()));
      let child = byValue.get(value);
      if (child === undefined) byValue.set(value, (child = { next: new Map() }));
      node = child;
    }
    return (node.labels ??= Object.freeze({ ...labels }));
  };
}
