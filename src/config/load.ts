// YAML file + environment → validated, frozen Config. Every problem is reported at once, on one
// line, naming the key, what is permitted and what was given (problems.ts); the process exits
// before touching any peer.

import { readFileSync } from "node:fs";
import { parse as parseYaml } from "yaml";
import { EnrichdError } from "../errors.js";
import { exposedSecretsProblem } from "./file-mode.js";
import { describeIssue, isSecretKey } from "./problems.js";
import { configSchema, ENV_OVERRIDES, type Config } from "./schema.js";

export const DEFAULT_CONFIG_PATH = "/etc/misp-enrichd/config.yaml";

export interface LoadConfigOptions {
  /** A path given explicitly must exist; the default path may be absent (env-only operation). */
  readonly path?: string;
  readonly env?: NodeJS.ProcessEnv;
  /** Applied last, e.g. `--dry-run`. */
  readonly overrides?: Readonly<Record<string, unknown>>;
}

function invalid(message: string, details: Record<string, unknown> = {}): EnrichdError {
  return new EnrichdError("ENRICHD_CONFIG_INVALID", `invalid configuration: ${message}`, { details });
}

function readYaml(path: string, required: boolean): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    if (!required && (error as NodeJS.ErrnoException).code === "ENOENT") return {};
    throw invalid(`cannot read config file ${path}: ${(error as Error).message}`, { path });
  }
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (error) {
    throw invalid(`config file ${path} is not valid YAML: ${(error as Error).message.split("\n")[0]}`, { path });
  }
  if (doc === null || doc === undefined) return {};
  if (typeof doc !== "object" || Array.isArray(doc)) throw invalid(`config file ${path} must hold a mapping at the top level`);
  return doc as Record<string, unknown>;
}

function setPath(target: Record<string, unknown>, path: string, value: unknown): void {
  const keys = path.split(".");
  let node = target;
  for (const key of keys.slice(0, -1)) {
    const next = node[key];
    if (typeof next !== "object" || next === null || Array.isArray(next)) node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  node[keys[keys.length - 1] as string] = value;
}

function applyEnv(doc: Record<string, unknown>, env: NodeJS.ProcessEnv): void {
  for (const [name, path] of Object.entries(ENV_OVERRIDES)) {
    const raw = env[name];
    if (raw === undefined || raw === "") continue;
    let value: unknown = raw;
    if (name === "MISP_KAFKA_BROKERS") value = raw.split(",").map((s) => s.trim()).filter(Boolean);
    // systemd may list several state directories separated by colons: the first is ours.
    if (name === "STATE_DIRECTORY") value = raw.split(":")[0];
    setPath(doc, path, value);
  }
  // Brokers given in the environment mean "use Kafka" unless the file chose a bus explicitly.
  const bus = doc.bus as Record<string, unknown> | undefined;
  if (env.MISP_KAFKA_BROKERS && bus && bus.type === undefined) bus.type = "kafka";
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === "object" && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value as Record<string, unknown>)) deepFreeze(child);
  }
  return value;
}

export function loadConfig(options: LoadConfigOptions = {}): Config {
  const env = options.env ?? process.env;
  const path = options.path ?? DEFAULT_CONFIG_PATH;
  const doc = readYaml(path, options.path !== undefined);
  // Judged on the file alone, before the environment adds its secrets to the document.
  const exposed = exposedSecretsProblem(path, doc);
  applyEnv(doc, env);
  for (const [key, value] of Object.entries(options.overrides ?? {})) setPath(doc, key, value);

  const parsed = configSchema.safeParse(doc);
  if (!parsed.success) {
    // zod skips cross-field refinements once a field fails: repeat the one that matters most.
    const misp = (doc.misp ?? {}) as Record<string, unknown>;
    const keyMissing = !misp.key && !misp.keyFile ? ["misp.key is required (or misp.keyFile, MISP_KEY, MISP_KEY_FILE)"] : [];
    const problems = parsed.error.issues.flatMap((issue) => describeIssue(issue, doc));
    for (const extra of keyMissing) if (!problems.some((p) => p.startsWith("misp.key "))) problems.push(extra);
    throw invalid(problems.join("; "), { problems });
  }

  // Reported once the config is otherwise valid, so that a file's problems come first.
  if (exposed) throw invalid(exposed, { path });

  const config = parsed.data;
  let key = config.misp.key;
  if (!key && config.misp.keyFile) {
    try {
      key = readFileSync(config.misp.keyFile, "utf8").trim();
    } catch (error) {
      throw invalid(`misp.keyFile cannot be read (${(error as NodeJS.ErrnoException).code ?? "error"}): ${config.misp.keyFile}`);
    }
    if (!key) throw invalid(`misp.keyFile is empty: ${config.misp.keyFile}`);
  }
  return deepFreeze({ ...config, misp: { ...config.misp, key: key as string } }) as Config;
}

/** Every secret value in the config, for the logger to scrub. */
export function collectSecrets(config: Config): string[] {
  const secrets = [config.misp.key];
  if (config.bus.zmq.password) secrets.push(config.bus.zmq.password);
  if (config.bus.kafka?.sasl) secrets.push(config.bus.kafka.sasl.password);
  for (const moduleConfig of Object.values(config.modules.config)) {
    for (const [name, value] of Object.entries(moduleConfig)) {
      if (typeof value === "string" && isSecretKey(name)) secrets.push(value);
    }
  }
  return secrets.filter((s) => s.length > 0);
}
