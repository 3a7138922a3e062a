// Loads subscriber files from folders (the built-in `subscribers/` and `subscribers.paths`), merges
// each one's options with the config, runs its setup and collects its routes. Every problem in
// every file is reported together; a bad subscriber stops start-up, it is never half-loaded.

import { readdirSync } from "node:fs";
import { basename, extname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { Config } from "../config/schema.js";
import type { MessageKind } from "../decode/types.js";
import { EnrichdError } from "../errors.js";
import type { FilterQuery, Where } from "../route/types.js";
import type { Effect } from "./effects.js";
import { isSubscriberDefinition } from "./define.js";
import type { Handler, RegisteredHandler, SubscriberDefinition, SubscriberOptions } from "./types.js";

/** Built-ins: dist/subscribers next to dist/src (or subscribers/ next to src/ when run from source). */
export const BUILTIN_SUBSCRIBERS_DIR = fileURLToPath(new URL("../../subscribers/", import.meta.url));

// Under vitest this file runs as TypeScript, and so can the subscribers; node only loads JavaScript.
const EXTENSIONS = import.meta.url.endsWith(".ts") ? [".js", ".mjs", ".ts"] : [".js", ".mjs"];

/** Built-ins that run unless the config disables them; the others need `enabled: true`. */
export const DEFAULT_ENABLED = new Set(["geolocation", "onion-lookup"]);

export interface LoadedSubscriber {
  readonly name: string;
  readonly file: string;
  readonly options: SubscriberOptions;
  readonly modules: readonly { readonly module: string; readonly types: readonly string[] }[];
  readonly handlers: readonly RegisteredHandler[];
  /** What its writes make MISP publish (loop analysis); undefined when it does not say. */
  readonly effects?: readonly Effect[];
}

export interface SubscriberSetting {
  readonly enabled?: boolean;
  readonly options?: Readonly<Record<string, unknown>>;
}

export interface LoadSubscribersOptions {
  readonly dirs: readonly string[];
  readonly settings: Readonly<Record<string, SubscriberSetting>>;
}

function listFiles(dir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (error) {
    throw new EnrichdError("ENRICHD_SUBSCRIBER_INVALID", `cannot read subscriber folder ${dir}: ${(error as Error).message}`);
  }
  return names
    .filter((name) => EXTENSIONS.includes(extname(name)) && !name.endsWith(".d.ts") && !name.startsWith("_"))
    .sort()
    .map((name) => join(dir, name));
}

function mergeOptions(name: string, defaults: SubscriberOptions, overrides: Readonly<Record<string, unknown>>, problems: string[]): SubscriberOptions {
  for (const key of Object.keys(overrides)) {
    if (!(key in defaults)) {
      problems.push(`subscribers.settings.${name}.options.${key} is not an option of ${name}; permitted: ${Object.keys(defaults).join(", ") || "(none)"}`);
    }
  }
  return Object.freeze({ ...defaults, ...overrides });
}

/** The subscribers a config enables: the built-ins, then those in `subscribers.paths`. */
export function loadConfiguredSubscribers(config: Config): Promise<LoadedSubscriber[]> {
  return loadSubscribers({ dirs: [BUILTIN_SUBSCRIBERS_DIR, ...config.subscribers.paths], settings: config.subscribers.settings });
}

export async function loadSubscribers(options: LoadSubscribersOptions): Promise<LoadedSubscriber[]> {
  const problems: string[] = [];
  const loaded: LoadedSubscriber[] = [];
  const seen = new Map<string, string>();

  for (const dir of options.dirs) {
    for (const file of listFiles(resolve(dir))) {
      const name = basename(file, extname(file));
      const setting = options.settings[name] ?? {};
      const enabled = setting.enabled ?? DEFAULT_ENABLED.has(name);
      if (seen.has(name)) {
        problems.push(`subscriber ${name} is defined twice: ${seen.get(name)} and ${file}`);
        continue;
      }
      seen.set(name, file);
      if (!enabled) continue;

      let definition: unknown;
      try {
        definition = ((await import(pathToFileURL(file).href)) as { default?: unknown }).default;
      } catch (error) {
        problems.push(`subscriber ${name} (${file}) failed to load: ${(error as Error).message}`);
        continue;
      }
      if (!isSubscriberDefinition(definition)) {
        problems.push(`subscriber ${name} (${file}) must \`export default defineSubscriber({ options, setup })\``);
        continue;
      }
      const def = definition as SubscriberDefinition;
      const merged = mergeOptions(name, def.options, setting.options ?? {}, problems);
      const handlers: RegisteredHandler[] = [];
      try {
        def.setup(
          {
            on(query: FilterQuery | readonly FilterQuery[], whereOrHandler: Where | Handler<MessageKind>, maybeHandler?: Handler<MessageKind>) {
              const handler = typeof whereOrHandler === "function" ? whereOrHandler : maybeHandler;
              const where = typeof whereOrHandler === "function" ? {} : whereOrHandler;
              if (typeof handler !== "function") {
                problems.push(`subscriber ${name}: on(${JSON.stringify(query)}) needs a handler function`);
                return;
              }
              const queries = (Array.isArray(query) ? [...query] : [query]) as FilterQuery[];
              handlers.push({ subscriber: name, index: handlers.length, queries, where, handler, ...(def.order === undefined ? {} : { order: def.order }) });
            },
          },
          merged,
        );
      } catch (error) {
        problems.push(`subscriber ${name}: setup threw: ${(error as Error).message}`);
        continue;
      }
      if (handlers.length === 0) problems.push(`subscriber ${name} registers no handler (call sub.on in setup)`);
      const effects = def.effects?.(merged);
      loaded.push({ name, file, options: merged, modules: def.modules?.(merged) ?? [], handlers, ...(effects ? { effects } : {}) });
    }
  }

  for (const name of Object.keys(options.settings)) {
    if (!seen.has(name)) {
      problems.push(`subscribers.settings.${name} names no subscriber file; found: ${[...seen.keys()].join(", ") || "(none)"}`);
    }
  }
  if (problems.length > 0) {
    throw new EnrichdError("ENRICHD_SUBSCRIBER_INVALID", `subscribers are invalid: ${problems.join("; ")}`, { details: { problems } });
  }
  return loaded;
}
