// What turns frames into routed messages for a config and a set of routes: the topic table, the
// decoder (which drops unwanted topics, and attribute frames no route can match, unread) and the router. The pipeline and `tail` build theirs
// here, so `tail --explain` judges a message as the daemon would.

import type { Config } from "../config/schema.js";
import { createDecoder, type Decoder } from "../decode/decoder.js";
import { createPrefilter } from "../decode/prefilter.js";
import { createTopicTable, type TopicTable } from "../decode/topic.js";
import type { MessageKind } from "../decode/types.js";
import { attributePrefilterSpec } from "./prefilter-spec.js";
import { createRouter, type Router } from "./router.js";
import type { RouteSpec } from "./types.js";

export interface Routing<H> {
  readonly topics: TopicTable;
  readonly router: Router<H>;
  readonly decoder: Decoder;
}

export interface RoutingOptions<H> {
  readonly config: Config;
  readonly routes: readonly RouteSpec<H>[];
  /** Defaults to the config's table. */
  readonly topics?: TopicTable;
  /** Kinds the decoder parses; defaults to the router's kinds (what some route wants). */
  readonly decode?: ReadonlySet<MessageKind>;
}

/** The topic names `bus.kafka.topics` renames, kind by kind, with MISP's ZeroMQ topics beside them. */
export function topicTableFor(config: Config): TopicTable {
  return createTopicTable({ kafkaTopics: (config.bus.kafka?.topics ?? {}) as Partial<Record<MessageKind, string>> });
}

/** Throws ENRICHD_SUBSCRIBER_INVALID listing every problem of every route. */
export function createRouting<H>(options: RoutingOptions<H>): Routing<H> {
  const topics = options.topics ?? topicTableFor(options.config);
  const router = createRouter(options.routes);
  // Decoding for the router only (not for `tail`, which shows everything): frames no route can match are dropped unread.
  const attribute = options.decode === undefined ? attributePrefilterSpec(router.routes) : undefined;
  const prefilter = attribute ? createPrefilter({ attribute }) : undefined;
  const decoder = createDecoder({
    table: topics,
    wanted: options.decode ?? router.kinds,
    maxFrameBytes: options.config.bus.maxFrameBytes,
    ...(prefilter ? { prefilter } : {}),
  });
  return { topics, router, decoder };
}
