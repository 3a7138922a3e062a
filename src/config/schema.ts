// One schema is the config's type, its defaults and its validation; README's "Configuration" table
// is checked against its keys (keys.ts) by test/config/docs.test.ts.

import { z } from "zod";

const url = (schemes: readonly string[]) =>
  z.string().refine(
    (value) => {
      try {
        return schemes.includes(new URL(value).protocol.replace(/:$/, ""));
      } catch {
        return false;
      }
    },
    { message: `must be a URL with scheme ${schemes.join(" or ")}` },
  );

const positiveInt = z.number().int().positive();

const mispSchema = z
  .object({
    url: url(["http", "https"]),
    key: z.string().min(1).optional(),
    keyFile: z.string().min(1).optional(),
    caFile: z.string().min(1).optional(),
    verifyTls: z.boolean().default(true),
    timeoutMs: positiveInt.default(15_000),
    tagLocality: z.enum(["auto", "local", "global"]).default("auto"),
    commentPrefix: z.string().min(1).regex(/^[^:]*$/, "must not contain ':'").default("misp-enrichd"),
    distribution: z.number().int().min(0).max(5).default(5),
  })
  .strict();

const zmqSchema = z
  .object({
    url: url(["tcp", "ipc"]).default("tcp://127.0.0.1:50000"),
    username: z.string().min(1).optional(),
    password: z.string().min(1).optional(),
    silenceWarnMs: positiveInt.default(30_000),
    reconnectIntervalMs: positiveInt.default(1_000),
    receiveHighWaterMark: positiveInt.default(10_000),
  })
  .strict();

const kafkaSchema = z
  .object({
    brokers: z.array(z.string().regex(/^[^\s:]+:\d+$/, "must be host:port")).min(1),
    clientId: z.string().min(1).default("misp-enrichd"),
    groupId: z.string().min(1).default("misp-enrichd"),
    fromBeginning: z.boolean().default(false),
    topics: z.record(z.string(), z.string().min(1)).default({}),
    ssl: z
      .union([z.boolean(), z.object({ caFile: z.string().optional(), rejectUnauthorized: z.boolean().default(true) }).strict()])
      .default(false),
    sasl: z
      .object({
        mechanism: z.enum(["plain", "scram-sha-256", "scram-sha-512"]),
        username: z.string().min(1),
        password: z.string().min(1),
      })
      .strict()
      .optional(),
    sessionTimeoutMs: positiveInt.default(30_000),
    heartbeatIntervalMs: positiveInt.default(3_000),
  })
  .strict();

const busSchema = z
  .object({
    type: z.enum(["zmq", "kafka"]).default("zmq"),
    zmq: zmqSchema.default(zmqSchema.parse({})),
    kafka: kafkaSchema.optional(),
    maxFrameBytes: positiveInt.default(16 * 1024 * 1024),
  })
  .strict();

/** Module answers kept (modules/cache.ts): key module + type + value + config hash. */
const moduleCacheSchema = z
  .object({
    ttlSeconds: z.number().int().min(0).default(3_600),
    ttlSecondsByModule: z.record(z.string(), z.number().int().min(0)).default({}),
    maxEntries: positiveInt.default(10_000),
    maxBytes: positiveInt.default(32 * 1024 * 1024),
  })
  .strict();

const modulesSchema = z
  .object({
    url: url(["http", "https"]).default("http://127.0.0.1:6666"),
    timeoutMs: positiveInt.default(20_000),
    // A stock server runs min(32, 5 × CPUs) worker threads (10 on 2 cores) and a timed-out call keeps
    // its thread: 8 stays below. A farm behind a load balancer takes more; `check` warns when a single
    // stock server is asked for more than 9 (modules/capacity.ts).
    concurrency: z.number().int().min(1).max(1024).default(8),
    config: z.record(z.string(), z.record(z.string(), z.unknown())).default({}),
    cache: moduleCacheSchema.default(moduleCacheSchema.parse({})),
  })
  .strict();

const pipelineSchema = z
  .object({
    concurrency: positiveInt.default(16),
    maxPending: positiveInt.default(512),
    handlerTimeoutMs: positiveInt.default(120_000),
    retryAttempts: z.number().int().min(1).default(5),
    retryInitialDelayMs: positiveInt.default(500),
    retryMaxDelayMs: positiveInt.default(30_000),
    spoolRetryMs: positiveInt.default(60_000),
    drainTimeoutMs: positiveInt.default(15_000),
    echoTtlSeconds: positiveInt.default(86_400),
    handledTtlSeconds: positiveInt.default(7 * 86_400),
    maxChainDepth: z.number().int().min(0).default(8),
  })
  .strict();

const backfillSchema = z
  .object({
    enabled: z.boolean().default(true),
    intervalMs: positiveInt.default(600_000),
    overlapSeconds: z.number().int().min(0).default(120),
    maxAgeSeconds: positiveInt.default(86_400),
  })
  .strict();

/** `30s`, `15m`, `24h`, `7d`, `2w`. */
const duration = z.string().regex(/^\d+\s*[smhdw]$/, "must be a duration such as 30m, 24h or 7d");

/**
 * A rule: a declarative subscriber (rules/). Its `on` and `where` are those of `sub.on`, its `do` a
 * list of actions; both are checked item by item when the rules are compiled (rules/compile.ts),
 * with every problem named by rule and key.
 */
const ruleSchema = z
  .object({
    // It names the rule in logs, metrics, `check` and its once marker tag (no `_` or `"`: MISP's tag lookup is a LIKE).
    name: z.string().max(100).regex(/^[A-Za-z0-9][A-Za-z0-9.-]*$/, "must be letters, digits, '.' and '-', starting with a letter or digit"),
    on: z.union([z.string(), z.array(z.string()).min(1)]),
    where: z.record(z.string(), z.unknown()).optional(),
    do: z.array(z.unknown()).min(1),
    once: z.boolean().default(false),
    schedule: z.object({ every: duration, window: duration }).strict().optional(),
  })
  .strict();

const breakerSchema = z
  .object({
    failureThreshold: positiveInt.default(5),
    openMs: positiveInt.default(30_000),
    halfOpenProbes: positiveInt.default(1),
  })
  .strict();

const bounds = (maxEntries: number, maxBytes: number) =>
  z.object({ maxEntries: positiveInt.default(maxEntries), maxBytes: positiveInt.default(maxBytes) }).strict().default({ maxEntries, maxBytes });

const MIB = 1024 * 1024;

const stateSchema = z
  .object({
    dir: z.string().min(1).default("/var/lib/misp-enrichd"),
    spool: bounds(100_000, 512 * MIB),
    deadLetters: bounds(10_000, 128 * MIB),
    ledgerMaxEntries: positiveInt.default(1_000_000),
  })
  .strict();

const subscriberEntry = z
  .object({
    enabled: z.boolean().default(true),
    options: z.record(z.string(), z.unknown()).default({}),
  })
  .strict();

export const configSchema = z
  .object({
    misp: mispSchema,
    bus: busSchema.default(busSchema.parse({})),
    modules: modulesSchema.default(modulesSchema.parse({})),
    pipeline: pipelineSchema.default(pipelineSchema.parse({})),
    backfill: backfillSchema.default(backfillSchema.parse({})),
    subscribers: z
      .object({
        /** Extra folders of compiled subscriber files (.js/.mjs), loaded after the built-in ones. */
        paths: z.array(z.string().min(1)).default([]),
        /** Per subscriber: enabled and option overrides. Built-ins geolocation and onion-lookup are on unless disabled. */
        settings: z.record(z.string(), subscriberEntry).default({}),
      })
      .strict()
      .default({ paths: [], settings: {} }),
    breaker: breakerSchema.default(breakerSchema.parse({})),
    state: stateSchema.default(stateSchema.parse({})),
    log: z
      .object({ level: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info") })
      .strict()
      .default({ level: "info" }),
    metrics: z
      .object({ listen: z.string().regex(/^[^\s:]+:\d+$/, "must be host:port").optional() })
      .strict()
      .default({}),
    /** Declarative subscribers: see README "Rules". */
    rules: z.array(ruleSchema).default([]),
    dryRun: z.boolean().default(false),
  })
  .strict()
  // Rules across keys; `crossField` tells problems.ts that the message needs no "got …".
  .superRefine((config, ctx) => {
    const params = { crossField: true };
    if (!config.misp.key && !config.misp.keyFile) {
      ctx.addIssue({ code: "custom", path: ["misp", "key"], message: "is required (or misp.keyFile, MISP_KEY, MISP_KEY_FILE)", params });
    }
    if (config.bus.type === "kafka" && !config.bus.kafka) {
      ctx.addIssue({ code: "custom", path: ["bus", "kafka"], message: "is required when bus.type is kafka (or MISP_KAFKA_BROKERS)", params });
    }
    const firstOfName = new Map<string, number>();
    config.rules.forEach((rule, i) => {
      const first = firstOfName.get(rule.name);
      if (first === undefined) firstOfName.set(rule.name, i);
      else ctx.addIssue({ code: "custom", path: ["rules", i, "name"], message: `${JSON.stringify(rule.name)} is the name of rules[${first}] too; rule names are unique`, params });
    });
    if (Boolean(config.bus.zmq.username) !== Boolean(config.bus.zmq.password)) {
      ctx.addIssue({ code: "custom", path: ["bus", "zmq", "password"], message: "username and password go together (PLAIN auth)", params });
    }
  });

export type ConfigInput = z.input<typeof configSchema>;
export type ParsedConfig = z.output<typeof configSchema>;

/** The validated config with the API key resolved from keyFile; frozen. */
export type Config = Readonly<ParsedConfig & { misp: ParsedConfig["misp"] & { key: string } }>;

/** Environment variables and the key each overrides; README documents the same table. */
export const ENV_OVERRIDES = {
  MISP_URL: "misp.url",
  MISP_KEY: "misp.key",
  MISP_KEY_FILE: "misp.keyFile",
  MISP_CA_FILE: "misp.caFile",
  MISP_ZMQ_URL: "bus.zmq.url",
  MISP_ZMQ_USERNAME: "bus.zmq.username",
  MISP_ZMQ_PASSWORD: "bus.zmq.password",
  MISP_KAFKA_BROKERS: "bus.kafka.brokers",
  MISP_KAFKA_GROUP: "bus.kafka.groupId",
  MISP_MODULES_URL: "modules.url",
  STATE_DIRECTORY: "state.dir",
  LOG_LEVEL: "log.level",
} as const;
