// `misp-enrichd tail`: the bus, one readable line per message, like MISP's sub.py but typed. Needs
// only the bus settings (never MISP's key); `--json` records frames for `replay`; `--explain` says
// which subscribers would act on each message and why the others would not.

import type { FrameSink } from "../bus/types.js";
import type { Config } from "../config/schema.js";
import { ZMQ_TOPICS, type TopicTable } from "../decode/topic.js";
import { MESSAGE_KINDS, type BusFrame, type MessageKind } from "../decode/types.js";
import { errorMessage, isEnrichdError } from "../errors.js";
import type { Logger } from "../log.js";
import { createMetrics } from "../metrics/metrics.js";
import { createEchoGuard } from "../misp/echo-guard.js";
import { createRouting, type Routing } from "../route/routing.js";
import { readOwnUuids } from "../state/ledgers.js";
import { createPersistentSet, type PersistentSet } from "../state/persistent-set.js";
import { compileRules } from "../rules/compile.js";
import { loadConfiguredSubscribers, type LoadedSubscriber } from "../subscriber/load.js";
import type { Handler, RegisteredHandler } from "../subscriber/types.js";
import { exitAfterFlush, fail, loadConfigWithoutMisp, loggerFor, writeOut, type CommonOptions } from "./common.js";
import { createLookingBus } from "./looking-bus.js";
import { explainLines, messageLine, problemLine, rawLine, type Explainer } from "./tail-format.js";

export interface TailOptions extends CommonOptions {
  readonly topic?: readonly string[];
  readonly json?: boolean;
  readonly explain?: boolean;
  readonly count?: string;
  readonly url?: string;
  readonly fromBeginning?: boolean;
}

const RESOLVED = { done: Promise.resolve() };

/** `--topic` takes kinds (`attribute`), ZeroMQ topics (`misp_json_attribute`) or Kafka topics (`misp_attribute`). */
export function selectKinds(values: readonly string[], table: TopicTable): Set<MessageKind> | string {
  if (values.length === 0) return new Set(MESSAGE_KINDS);
  const kinds = new Set<MessageKind>();
  const unknown: string[] = [];
  for (const value of values.flatMap((v) => v.split(",")).map((v) => v.trim()).filter(Boolean)) {
    const kind = (MESSAGE_KINDS as readonly string[]).includes(value) ? (value as MessageKind) : table.kindOf(value);
    if (kind === undefined) unknown.push(value);
    else kinds.add(kind);
  }
  if (unknown.length > 0) {
    return `--topic ${unknown.join(", ")}: unknown. Permitted are the kinds ${MESSAGE_KINDS.join(", ")}, or a ZeroMQ topic such as ${Object.keys(ZMQ_TOPICS).slice(0, 3).join(", ")}, or a Kafka topic`;
  }
  return kinds;
}

function parseCount(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) fail(`--count ${value}: must be a whole number of at least 1`);
  return n;
}

/**
 * Decoder and router as the daemon builds them. Routes only with --explain (the subscribers `run`
 * would load; their errors end `tail` as they end `run`); the decoder reads the kinds asked for.
 */
async function routingFor(config: Config, topics: TopicTable, kinds: ReadonlySet<MessageKind>, explain: boolean): Promise<Routing<Handler<MessageKind>>> {
  try {
    const subscribers = explain ? await loadConfiguredSubscribers(config) : [];
    const rules = explain ? ruleRouteSpecs(config, subscribers) : [];
    const routes = [...subscribers.flatMap((s) => s.handlers), ...rules];
    return createRouting({ config, routes, topics, decode: kinds });
  } catch (error) {
    fail(isEnrichdError(error) ? error.message : errorMessage(error));
  }
}

/** The rules' routes, for verdicts only (never run); their problems end `tail` as they end `run`. */
function ruleRouteSpecs(config: Config, subscribers: readonly LoadedSubscriber[]): RegisteredHandler[] {
  const { rules, problems } = compileRules(config, { env: process.env, subscriberNames: subscribers.map((s) => s.name), requireEnv: false });
  if (problems.length > 0) fail(`invalid configuration: ${problems.join("; ")}`);
  return rules.map((rule) => ({ subscriber: rule.name, index: 0, queries: rule.queries, where: rule.where, handler: async () => undefined }));
}

/** The echo guard as the daemon's own-uuids ledger makes it now; the comment marker alone when unreadable. */
function explainerFor(config: Config, routing: Routing<unknown>, logger: Logger): Explainer {
  let own: PersistentSet;
  try {
    own = readOwnUuids(config);
  } catch (error) {
    logger.warn({ stateDir: config.state.dir, err: errorMessage(error) }, "own-uuids.jsonl not readable: echo verdicts rely on the comment marker only");
    own = createPersistentSet({ ttlSeconds: config.pipeline.echoTtlSeconds });
  }
  const { router } = routing;
  return { router, wantedKinds: router.kinds, echoGuard: createEchoGuard({ own, commentPrefix: config.misp.commentPrefix }) };
}

export async function tailCommand(options: TailOptions): Promise<void> {
  const config = loadConfigWithoutMisp(options, options.url ? { "bus.type": "zmq", "bus.zmq.url": options.url } : {});
  const logger = loggerFor(config, options, { stderr: true, level: "warn" });
  const metrics = createMetrics();
  const max = parseCount(options.count);
  const { bus, topics } = createLookingBus(config, "tail", logger, metrics, { fromBeginning: options.fromBeginning === true });
  const selection = selectKinds(options.topic ?? [], topics);
  if (typeof selection === "string") fail(selection);
  const kinds: ReadonlySet<MessageKind> = selection;
  const routing = await routingFor(config, topics, kinds, options.explain === true);
  const explainer = options.explain ? explainerFor(config, routing, logger) : undefined;
  const { decoder } = routing;
  // With --json, notes start with '#' so the recording stays replayable.
  const note = options.json ? "#" : "";

  let printed = 0;
  const stop = new AbortController();

  function render(frame: BusFrame): string | undefined {
    const outcome = decoder.decodeFrame(frame);
    if (outcome.status === "dropped") {
      if (outcome.reason !== "too-large" || (outcome.kind && !kinds.has(outcome.kind))) return undefined;
      const text = problemLine(frame, outcome.topic, `dropped unread: ${frame.payload.length} bytes is more than bus.maxFrameBytes`);
      return options.json ? `${note}${text}\n` : `${text}\n`;
    }
    if (outcome.status === "error") {
      const kind = topics.kindOf(outcome.topic);
      if (kind !== undefined && !kinds.has(kind)) return undefined;
      if (options.json) return `${rawLine(frame)}\n${note}    ✘ ${outcome.error.code}: ${outcome.error.message}\n`;
      return `${problemLine(frame, outcome.topic, `${outcome.error.code}: ${outcome.error.message}`)}\n`;
    }
    const message = outcome.message;
    if (!kinds.has(message.kind)) return undefined;
    const head = options.json ? rawLine(frame) : messageLine(message);
    const why = explainer ? explainLines(message, explainer).map((l) => `${note}${l}\n`).join("") : "";
    return `${head}\n${why}`;
  }

  const sink: FrameSink = async (frame) => {
    if (stop.signal.aborted) return RESOLVED;
    const text = render(frame);
    if (text === undefined) return RESOLVED;
    await writeOut(text);
    printed++;
    if (max !== undefined && printed >= max) stop.abort();
    return RESOLVED;
  };

  const onSignal = (): void => stop.abort();
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  stop.signal.addEventListener("abort", () => void bus.close(), { once: true });
  const shown = options.topic?.length ? [...kinds].join(", ") : "all topics";
  const explaining = explainer ? `; explaining with subscribers ${[...new Set(explainer.router.routes.map((r) => r.subscriber))].join(", ") || "(none enabled)"}` : "";
  process.stderr.write(`misp-enrichd tail: ${bus.describe} (${shown})${explaining}\n`);
  try {
    await bus.run(kinds, sink, stop.signal);
  } catch (error) {
    process.stderr.write(`misp-enrichd tail: ${errorMessage(error)}\n`);
    await bus.close().catch(() => undefined);
    exitAfterFlush(1);
    return;
  }
  await bus.close();
  exitAfterFlush(0);
}
