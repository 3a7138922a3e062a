// The files a test broker runs from: server.properties exactly as measured in
// shared/field/kafka-broker.md, logging configs for both Kafka lines, and the JVM's watchdog.

export interface ServerPropertiesOptions {
  readonly port: number;
  readonly controllerPort: number;
  readonly dataDir: string;
}

export function serverProperties({ port, controllerPort, dataDir }: ServerPropertiesOptions): string {
  return [
    "process.roles=broker,controller",
    "node.id=1",
    `controller.quorum.voters=1@127.0.0.1:${controllerPort}`,
    `listeners=PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controllerPort}`,
    `advertised.listeners=PLAINTEXT://127.0.0.1:${port}`,
    "controller.listener.names=CONTROLLER",
    "inter.broker.listener.name=PLAINTEXT",
    "listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
    `log.dirs=${dataDir}`,
    // Off, so a test fails loudly if the daemon relies on a topic MISP never created.
    "auto.create.topics.enable=false",
    "offsets.topic.replication.factor=1",
    "offsets.topic.num.partitions=1",
    "transaction.state.log.replication.factor=1",
    "transaction.state.log.min.isr=1",
    "transaction.state.log.num.partitions=1",
    "share.coordinator.state.topic.replication.factor=1",
    "share.coordinator.state.topic.min.isr=1",
    "group.initial.rebalance.delay.ms=0",
    // Without it, per-message commits are 3-4x slower on 4.0/4.1.
    "group.coordinator.append.linger.ms=0",
    // The cleaner's default 128 MiB dedupe buffer is allocated at start-up.
    "log.cleaner.dedupe.buffer.size=4194304",
    "",
  ].join("\n");
}

/** Kafka 4.x logs through log4j2 (log4j-slf4j-impl). */
export const log4j2Properties = `status = warn
appender.out.type = Console
appender.out.name = out
appender.out.layout.type = PatternLayout
appender.out.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = info
rootLogger.appenderRef.out.ref = out
logger.request.name = kafka.request.logger
logger.request.level = warn
`;

/** Kafka 3.x logs through reload4j (slf4j-reload4j). */
export const log4j1Properties = `log4j.rootLogger=INFO, out
log4j.appender.out=org.apache.log4j.ConsoleAppender
log4j.appender.out.layout=org.apache.log4j.PatternLayout
log4j.appender.out.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.logger.kafka.request.logger=WARN
`;

/**
 * `sh -c SCRIPT kafka-watchdog RUNDIR java ...`: runs the JVM and ties its life to the test
 * runner. The runner holds the write end of our stdin and never writes: EOF means the runner is
 * gone (even after kill -9), so the JVM gets SIGTERM, then SIGKILL 15 s later, and RUNDIR is
 * removed since nobody else will. A SIGTERM to the wrapper is forwarded to the JVM; the wrapper
 * exits with the JVM's status. The JVM's pid goes to RUNDIR/jvm.pid (for RSS readings).
 * An asynchronous command's stdin is /dev/null in sh, so the watchdog reads the pipe through fd 3.
 */
export const jvmWatchdogScript = `
rundir=$1
shift
exec 3<&0
"$@" </dev/null 3<&- &
jvm=$!
echo "$jvm" >"$rundir/jvm.pid"
trap 'kill -TERM "$jvm" 2>/dev/null' TERM INT HUP
(
  while read -r _ <&3; do :; done
  : >"$rundir/orphaned"
  kill -TERM "$jvm" 2>/dev/null
  sleep 15
  kill -KILL "$jvm" 2>/dev/null
) &
dog=$!
exec 3<&-
status=0
while :; do
  wait "$jvm"
  status=$?
  kill -0 "$jvm" 2>/dev/null || break
done
kill "$dog" 2>/dev/null
if [ -e "$rundir/orphaned" ]; then rm -rf "$rundir"; fi
exit "$status"
`;
