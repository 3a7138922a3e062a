// The Kafka transport: a kafkajs consumer group over the topics MISP's KafkaPubTool writes to.
// At least once: offsets are committed by hand, per partition, only up to the longest prefix of
// delivered messages whose `done` settled (kafka-offsets.ts, kafka-intake.ts). A supervisor
// loop starts the consumer on the topics that exist, looks again for missing ones, and starts
// a new consumer when kafkajs gives up on one (it does not restart after every kind of crash).

import { Kafka, type Consumer } from "kafkajs";
import type { MessageKind } from "../decode/types.js";
import { EnrichdError } from "../errors.js";
import { retryDelayMs } from "../retry-delay.js";
import type { Bus, BusStatus, FrameSink } from "./types.js";
import { createKafkaCommitter } from "./kafka-commit.js";
import { describeKafka, isPermanentKafkaError, kafkaRetry, resolveKafkaBusOptions, toKafkaConfig, type KafkaBusOptions } from "./kafka-config.js";
import { createKafkaIntake } from "./kafka-intake.js";
import { watchKafkaLag, type KafkaLagWatch } from "./kafka-lag.js";
import { createOffsetTracker } from "./kafka-offsets.js";
import { deferred, settlesWithin, withTimeout, type Deferred } from "./kafka-time.js";

export { DEFAULT_KAFKA_TOPICS, type KafkaBusOptions, type KafkaSaslOptions } from "./kafka-config.js";

const ADMIN_TIMEOUT_MS = 30_000;
const DISCONNECT_TIMEOUT_MS = 15_000;

export function createKafkaBus(options: KafkaBusOptions): Bus {
  const opts = resolveKafkaBusOptions(options);
  const log = opts.logger.child({ bus: "kafka" });
  const kafka = new Kafka(toKafkaConfig(opts, log));
  const tracker = createOffsetTracker();
  const intakeStopped = deferred();
  const committer = createKafkaCommitter({ tracker, log, retryMs: opts.retryInitialMs, consumer: () => consumer });
  const intake = createKafkaIntake({
    maxInFlight: opts.maxInFlight,
    heartbeatIntervalMs: opts.heartbeatIntervalMs,
    tracker,
    committer,
    log,
    consumer: () => consumer,
    stopped: intakeStopped.promise,
    onFatal: (error) => fail(error),
  });
  let consumer: Consumer | undefined;
  let topicsRead: readonly string[] = [];
  let starting: Promise<void> | undefined;
  /** Wakes the supervisor: a consumer crashed for good. */
  let wake: Deferred = deferred();
  let crashes = 0;
  let closing = false;
  let joined = false;
  let lastContactAt = 0;
  let started = false;
  let fatal: EnrichdError | undefined;
  let closed: Promise<void> | undefined;
  let lag: KafkaLagWatch | undefined;

  const fail = (error: EnrichdError): void => {
    if (fatal !== undefined) return;
    fatal = error;
    log.error({ err: error }, "kafka bus failed");
    void close();
  };

  const newConsumer = (topics: readonly string[]): Consumer => {
    const c = kafka.consumer({
      groupId: opts.groupId,
      sessionTimeout: opts.sessionTimeoutMs,
      heartbeatInterval: opts.heartbeatIntervalMs,
      maxWaitTimeInMs: opts.maxWaitTimeMs,
      allowAutoTopicCreation: false,
      retry: kafkaRetry(opts),
    });
    const contact = (): void => {
      lastContactAt = Date.now();
    };
    c.on(c.events.FETCH, contact);
    c.on(c.events.HEARTBEAT, contact);
    c.on(c.events.COMMIT_OFFSETS, contact);
    c.on(c.events.GROUP_JOIN, ({ payload }) => {
      // Kafka redelivers from the committed offsets now: positions computed before must not commit.
      tracker.newGeneration();
      intake.rejoined(c, payload.memberAssignment);
      joined = true;
      crashes = 0;
      contact();
      log.info({ groupId: opts.groupId, assignment: payload.memberAssignment }, "kafka group joined");
    });
    c.on(c.events.REBALANCING, () => log.info({ groupId: opts.groupId }, "kafka group rebalancing"));
    c.on(c.events.DISCONNECT, () => {
      joined = false;
      log.info({ topics }, "kafka consumer disconnected");
    });
    c.on(c.events.CRASH, ({ payload: { error, restart } }) => {
      joined = false;
      log.error({ err: error, restart }, "kafka consumer crashed");
      if (restart || consumer !== c || closing) return;
      if (isPermanentKafkaError(error)) {
        fail(new EnrichdError("ENRICHD_BUS_FAILED", `the Kafka consumer stopped: ${error.message}`, { cause: error, retriable: false }));
        return;
      }
      consumer = undefined; // kafkajs gave up on it and disconnected it; the supervisor starts another
      crashes += 1;
      wake.resolve();
    });
    return c;
  };

  /** Hold intake, wait for in-flight messages (bounded), commit what finished, leave the group. */
  const drainAndStop = async (c: Consumer): Promise<void> => {
    intake.hold();
    try {
      c.pause(topicsRead.map((topic) => ({ topic })));
    } catch {
      // not running (crashed or never joined)
    }
    if (!(await settlesWithin(tracker.drained(), opts.drainTimeoutMs))) {
      log.warn({ inFlight: tracker.totalInFlight(), drainTimeoutMs: opts.drainTimeoutMs }, "kafka messages still in flight; they will be redelivered");
    }
    await committer.flush();
    await withTimeout(c.disconnect(), DISCONNECT_TIMEOUT_MS, "Kafka consumer disconnect").catch((error: unknown) =>
      log.warn({ err: error }, "kafka consumer did not disconnect cleanly"),
    );
    if (consumer === c) consumer = undefined;
    joined = false;
  };

  const startConsumer = async (topics: readonly string[], sink: FrameSink): Promise<void> => {
    if (consumer !== undefined) await drainAndStop(consumer);
    if (closing) return;
    intake.open();
    const c = newConsumer(topics);
    consumer = c;
    topicsRead = topics;
    try {
      await c.connect();
      await c.subscribe({ topics: [...topics], fromBeginning: opts.fromBeginning });
      await c.run({ autoCommit: false, eachMessage: (payload) => intake.handle(sink, payload) });
    } catch (error) {
      if (consumer === c) consumer = undefined;
      await withTimeout(c.disconnect(), DISCONNECT_TIMEOUT_MS, "Kafka consumer disconnect").catch(() => undefined);
      throw error;
    }
    if (consumer === c) log.info({ topics, groupId: opts.groupId }, "kafka consumer started");
  };

  const existingTopics = async (): Promise<ReadonlySet<string>> => {
    const admin = kafka.admin({ retry: kafkaRetry(opts) });
    try {
      await withTimeout(admin.connect(), ADMIN_TIMEOUT_MS, "Kafka admin connect");
      return new Set(await withTimeout(admin.listTopics(), ADMIN_TIMEOUT_MS, "Kafka topic list"));
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  };

  const delays = { initialMs: opts.retryInitialMs, maxMs: opts.retryMaxMs };

  /** Sleeps `ms`, but wakes at once when intake stops or a consumer crashed for good. */
  const rest = (ms: number): Promise<unknown> => settlesWithin(Promise.race([intakeStopped.promise, wake.promise]), ms);

  /** Keeps a consumer running on every wanted topic that exists, until intake stops. */
  const supervise = async (wanted: readonly string[], sink: FrameSink): Promise<void> => {
    let failures = 0;
    while (!closing) {
      if (crashes > 0) await settlesWithin(intakeStopped.promise, retryDelayMs(crashes, delays));
      if (closing) return;
      wake = deferred();
      let missing: string[];
      try {
        const existing = await existingTopics();
        const present = wanted.filter((topic) => existing.has(topic));
        missing = wanted.filter((topic) => !existing.has(topic));
        if (present.length > 0 && (consumer === undefined || present.length > topicsRead.length) && !closing) {
          await (starting = startConsumer(present, sink));
        }
        failures = 0;
      } catch (error) {
        if (isPermanentKafkaError(error)) {
          fail(new EnrichdError("ENRICHD_BUS_FAILED", `Kafka refused us: ${(error as Error).message}`, { cause: error, retriable: false }));
          return;
        }
        const retryInMs = retryDelayMs(++failures, delays);
        log.warn({ err: error, retryInMs }, "kafka unreachable; retrying");
        await rest(retryInMs);
        continue;
      }
      if (missing.length > 0) {
        const err = new EnrichdError("ENRICHD_BUS_FAILED", `Kafka topics do not exist (yet): ${missing.join(", ")}`, { details: { missing } });
        log.warn({ err, missing, retryInMs: opts.topicRetryMs }, "kafka topics missing; looking again later");
      }
      await rest(missing.length > 0 ? opts.topicRetryMs : 2 ** 31 - 1);
    }
  };

  const run = async (kinds: ReadonlySet<MessageKind>, sink: FrameSink, signal: AbortSignal): Promise<void> => {
    if (started) throw new EnrichdError("ENRICHD_BUS_FAILED", "this Kafka bus is already running", { retriable: false });
    started = true;
    const onAbort = (): void => void close();
    signal.addEventListener("abort", onAbort, { once: true });
    if (signal.aborted) onAbort();
    try {
      const wanted = [...new Set([...kinds].flatMap((kind) => opts.topics[kind] ?? []))];
      if (opts.metrics) {
        const read = Object.fromEntries([...kinds].flatMap((kind) => (opts.topics[kind] ? [[kind, opts.topics[kind]]] : [])));
        lag = watchKafkaLag({ kafka, groupId: opts.groupId, topics: read, metrics: opts.metrics, log, intervalMs: opts.lagIntervalMs });
      }
      const unmapped = [...kinds].filter((kind) => opts.topics[kind] === undefined);
      if (unmapped.length > 0) log.info({ kinds: unmapped }, "no kafka topic configured for these kinds");
      if (wanted.length === 0) log.warn("no kafka topic to read; the bus stays idle");
      else await supervise(wanted, sink);
      await intakeStopped.promise;
      await close();
    } finally {
      signal.removeEventListener("abort", onAbort);
    }
    if (fatal !== undefined) throw fatal;
  };

  const close = (): Promise<void> => {
    closed ??= (async () => {
      closing = true;
      intake.hold();
      intakeStopped.resolve();
      await starting?.catch(() => undefined);
      if (consumer !== undefined) await drainAndStop(consumer);
      committer.stopRetrying();
      await lag?.stop();
      log.info({ inFlight: tracker.totalInFlight() }, "kafka bus closed");
    })();
    return closed;
  };

  return {
    transport: "kafka",
    describe: describeKafka(opts),
    run,
    status: (): BusStatus => ({ connected: joined && Date.now() - lastContactAt < opts.sessionTimeoutMs, lastFrameAt: intake.lastFrameAt() }),
    close,
  };
}
