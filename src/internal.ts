// `misp-enrichd/internal`: the pieces of the daemon that this repository's own tools build on (the
// demo in packages/standins). Not an API for anyone else: it changes with the daemon, unannounced.

export { createDaemon, type Daemon } from "./daemon.js";
export type { Bus } from "./bus/types.js";
export { EXIT_FAILURE, exitAfterFlush, prettyStream, writeOut } from "./cli/common.js";
export { loadConfig } from "./config/load.js";
export { DEFAULT_KAFKA_TOPICS, HEARTBEAT_TOPIC, createTopicTable } from "./decode/topic.js";
export type { MessageKind } from "./decode/types.js";
export { errorMessage } from "./errors.js";
export { createLogger, type Logger } from "./log.js";
