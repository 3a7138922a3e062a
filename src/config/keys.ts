// Every configuration key as a dotted path, read from the schema itself, so that the README's
// reference table can be checked against it (test/config/docs.test.ts).

import type { z } from "zod";
import { configSchema } from "./schema.js";

interface Def {
  readonly type: string;
  readonly shape?: Record<string, z.ZodType>;
  readonly innerType?: z.ZodType;
  readonly in?: z.ZodType;
}

function def(schema: z.ZodType): Def {
  return (schema as unknown as { _zod: { def: Def } })._zod.def;
}

function unwrap(schema: z.ZodType): z.ZodType {
  let current = schema;
  for (;;) {
    const d = def(current);
    if ((d.type === "default" || d.type === "optional" || d.type === "nullable" || d.type === "prefault") && d.innerType) current = d.innerType;
    else if (d.type === "pipe" && d.in) current = d.in;
    else return current;
  }
}

/** Leaf keys (`misp.url`, `bus.zmq.silenceWarnMs`, ...); records and unions count as leaves. */
export function configKeys(schema: z.ZodType = configSchema, prefix = ""): string[] {
  const d = def(unwrap(schema));
  if (d.type !== "object" || !d.shape) return [prefix];
  return Object.entries(d.shape).flatMap(([key, child]) => configKeys(child, prefix ? `${prefix}.${key}` : key));
}
