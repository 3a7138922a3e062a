// The daemon's YAML config as the suite builds it: dotted keys for scenario overrides
// (`"pipeline.spoolRetryMs": 2000`), nested into the document `loadConfig` reads, merged key by key.

export type Dotted = Readonly<Record<string, unknown>>;
export type ConfigDoc = Record<string, unknown>;

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/** `{"a.b": 1}` → `{a: {b: 1}}`. */
export function nest(dotted: Dotted): ConfigDoc {
  const doc: ConfigDoc = {};
  for (const [path, value] of Object.entries(dotted)) {
    const keys = path.split(".");
    let node = doc;
    for (const key of keys.slice(0, -1)) {
      if (!isPlainObject(node[key])) node[key] = {};
      node = node[key] as ConfigDoc;
    }
    node[keys[keys.length - 1] as string] = value;
  }
  return doc;
}

/** `over` on top of `base`, objects merged key by key; arrays and scalars replaced. */
export function mergeConfig(base: Readonly<ConfigDoc>, over: Readonly<ConfigDoc>): ConfigDoc {
  const out: ConfigDoc = { ...base };
  for (const [key, value] of Object.entries(over)) {
    const current = out[key];
    out[key] = isPlainObject(current) && isPlainObject(value) ? mergeConfig(current, value) : value;
  }
  return out;
}
