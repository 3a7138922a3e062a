// The configuration's keys, read from the schema through zod's public JSON Schema export: the leaf
// keys as dotted paths (the README's reference table is checked against them by
// test/config/docs.test.ts) and the keys permitted at a path (for "did you mean" in load errors).

import { z } from "zod";
import { configSchema } from "./schema.js";

/** The part of JSON Schema that `z.toJSONSchema` emits for the config and that this file reads. */
interface JsonSchemaNode {
  readonly type?: string;
  readonly properties?: Readonly<Record<string, JsonSchemaNode>>;
  readonly additionalProperties?: JsonSchemaNode | boolean;
  readonly anyOf?: readonly JsonSchemaNode[];
}

/** The config as it is written (`io: "input"`: keys with defaults are optional). */
const CONFIG_JSON_SCHEMA = z.toJSONSchema(configSchema, { io: "input", unrepresentable: "any" }) as JsonSchemaNode;

/** Leaf keys (`misp.url`, `bus.zmq.silenceWarnMs`, ...); records and unions count as leaves. */
export function configKeys(node: JsonSchemaNode = CONFIG_JSON_SCHEMA, prefix = ""): string[] {
  if (node.properties === undefined) return [prefix];
  return Object.entries(node.properties).flatMap(([key, child]) => configKeys(child, prefix ? `${prefix}.${key}` : key));
}

/** The object schema a value at `path` must match (a record's entries included), if there is one. */
function objectAt(path: readonly PropertyKey[]): JsonSchemaNode | undefined {
  let node: JsonSchemaNode | undefined = CONFIG_JSON_SCHEMA;
  for (const segment of path) {
    if (node === undefined) return undefined;
    node = objectBranch(node);
    const named: JsonSchemaNode | undefined = node?.properties?.[String(segment)];
    const additional = node?.additionalProperties;
    node = named ?? (typeof additional === "object" ? additional : undefined);
  }
  return node === undefined ? undefined : objectBranch(node);
}

function objectBranch(node: JsonSchemaNode): JsonSchemaNode | undefined {
  if (node.properties !== undefined) return node;
  return node.anyOf?.find((branch) => branch.properties !== undefined) ?? (node.type === "object" ? node : undefined);
}

/** The keys a mapping at `path` may hold (`["misp"]` → url, key, ...); empty when it is not a fixed set. */
export function keysAt(path: readonly PropertyKey[]): string[] {
  return Object.keys(objectAt(path)?.properties ?? {});
}
