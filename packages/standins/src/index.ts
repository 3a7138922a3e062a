// @misp-enrichd/standins: the peers misp-enrichd talks to, run on 127.0.0.1 for the tests, the
// benchmark and the demo. A MISP that validates and echoes its writes on a ZeroMQ publisher as MISP
// does, a misp-modules stand-in, the real misp-modules as a child process, the two upstreams the real
// modules need offline (an mmdb-server and onion-lookup), a real Kafka broker and MISP's Kafka producer. Never part of the
// daemon's package.

export { countryInfo, type CountryInfo } from "./country-info.js";
export { freePort, listenOnLoopback, type Listening } from "./listen.js";
export { prng } from "./prng.js";
export { DEFAULT_KAFKA_VERSION, fetchKafkaJars, kafkaVersion, startKafkaBroker, type KafkaBroker, type KafkaBrokerOptions } from "./kafka-broker.js";
export { phpJsonEncode, startKafkaPublisher, type KafkaPublisher, type KafkaPublisherOptions, type PublishOptions } from "./kafka-publisher.js";
export {
  startMispStandin,
  TEMPLATES,
  type EchoMessage,
  type MispFaults,
  type MispStandin,
  type MispStandinOptions,
  type OutageStatus,
  type RecordedCall,
  type SeedAttributeOptions,
  type SeededAttribute,
  type SeededEvent,
  type SeedEventOptions,
  type StandinState,
} from "./misp-server/index.js";
export { geoipDatabasePath, startMmdbServer, type MmdbServer, type MmdbServerOptions } from "./mmdb-server.js";
export { startModulesStandin, STANDIN_VERSION, type ModulesStandin, type ModulesStandinOptions, type StandinFailure } from "./modules-server.js";
export { DEFAULT_ONIONS, startOnionLookupServer, type OnionLookupServer, type OnionLookupServerOptions, type OnionRecord } from "./onion-lookup-server.js";
export { customModulesDir, findVenv, setupVenv, type SetupVenvOptions } from "./misp-modules-venv.js";
export { startRealModules, type RealModules, type RealModulesOptions } from "./real-modules.js";
export { startZmqPublisher, type ZmqPublisher, type ZmqPublisherOptions } from "./zmq-publisher.js";
