// Every metric the daemon exports: its type, help text and label names. prom-client needs the label
// names up front; README's metrics table is checked against this list (test/metrics/catalogue.test.ts).
// Label values come from the daemon's own vocabulary (kinds, outcomes, codes, subscriber and module
// names from the config, MISP endpoints without ids), never from a frame, so the series stay bounded.

export type MetricType = "counter" | "gauge" | "histogram";

export interface MetricSpec {
  readonly type: MetricType;
  readonly help: string;
  readonly labels: readonly string[];
  /** Histograms only: upper bounds in seconds. */
  readonly buckets?: readonly number[];
}

/** A call to a peer: 5 ms (a cached answer) to 30 s (a timeout). */
const CALL_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30];
/** Bus to written: within a second when all is well, up to hours when work waited in the spool. */
const END_TO_END_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600, 14_400, 86_400];

const counter = (help: string, ...labels: string[]): MetricSpec => ({ type: "counter", help, labels });
const gauge = (help: string, ...labels: string[]): MetricSpec => ({ type: "gauge", help, labels });
const histogram = (help: string, buckets: readonly number[], ...labels: string[]): MetricSpec => ({ type: "histogram", help, labels, buckets });

export const METRIC_CATALOGUE = {
  // Bus and decoding.
  misp_enrichd_frames_total: counter("Bus frames received, by transport and kind (unknown for unknown topics).", "transport", "kind"),
  misp_enrichd_frames_dropped_total: counter("Frames dropped before parsing, by reason (unwanted-topic, too-large, no-route: an attribute no route can match).", "reason"),
  misp_enrichd_decode_errors_total: counter("Frames that failed to decode, by error code.", "code"),
  misp_enrichd_messages_total: counter("Decoded messages, by kind.", "kind"),
  misp_enrichd_echoes_total: counter("Messages recognised as echoes of the daemon's own writes.", "kind"),
  misp_enrichd_bus_silence_warnings_total: counter("Times the bus was silent for longer than bus.zmq.silenceWarnMs.", "transport"),
  misp_enrichd_bus_last_message_age_seconds: gauge("Seconds since the bus delivered its last frame (heartbeats included); -1 before the first.", "transport"),
  misp_enrichd_kafka_consumer_lag: gauge("Messages between the group's committed offset and the end of each partition, by kind (topic mapping) and partition.", "kind", "partition"),
  // Pipeline and handlers.
  misp_enrichd_in_flight: gauge("Handler runs accepted by the pipeline (running or queued) and not yet done."),
  misp_enrichd_handler_runs_total: counter("Handler runs, by subscriber and outcome (done, skipped, duplicate, revoked, spooled, dead-lettered, retry-later).", "subscriber", "outcome"),
  misp_enrichd_handler_duration_seconds: histogram("Time of one handler run, retries included, by subscriber.", END_TO_END_BUCKETS, "subscriber"),
  misp_enrichd_bus_to_written_seconds: histogram("From a frame's arrival on the bus to its handler's success, spool time included, by subscriber.", END_TO_END_BUCKETS, "subscriber"),
  misp_enrichd_retries_total: counter("Handler retries after a retriable error.", "subscriber"),
  misp_enrichd_chain_cut_total: counter("Echoes of the daemon's own writes dropped at pipeline.maxChainDepth, by the subscriber or rule that wrote.", "by"),
  // Rules.
  misp_enrichd_rule_actions_total: counter("Rule actions run, by rule, action and outcome (done, skipped).", "rule", "action", "outcome"),
  misp_enrichd_schedule_runs_total: counter("Scheduled rule runs, by rule.", "rule"),
  // Peers.
  misp_enrichd_module_queries_total: counter("misp-modules queries, by module and outcome.", "module", "outcome"),
  misp_enrichd_module_cache_hits_total: counter("Module queries answered from the result cache, by module.", "module"),
  misp_enrichd_module_cache_misses_total: counter("Module queries the result cache sent to the server, by module.", "module"),
  misp_enrichd_module_cache_coalesced_total: counter("Module queries that joined an identical query in flight instead of calling, by module.", "module"),
  misp_enrichd_module_cache_evictions_total: counter("Answers evicted from the result cache to stay within its bounds, by module.", "module"),
  misp_enrichd_module_query_duration_seconds: histogram("Time of one misp-modules /query call (waiting for a slot included), by module.", CALL_BUCKETS, "module"),
  misp_enrichd_misp_requests_total: counter("MISP REST requests, by endpoint and outcome.", "endpoint", "outcome"),
  misp_enrichd_misp_request_duration_seconds: histogram("Time of one MISP REST call, by endpoint.", CALL_BUCKETS, "endpoint"),
  misp_enrichd_objects_written_total: counter("Objects created in MISP (created), found already there (exists) or refused.", "outcome"),
  misp_enrichd_breaker_state: gauge("Circuit breaker state by peer (misp, modules): 0 closed, 1 half-open, 2 open.", "peer"),
  misp_enrichd_breaker_transitions_total: counter("Circuit breaker state changes, by peer and new state.", "peer", "state"),
  misp_enrichd_breaker_rejections_total: counter("Calls refused at once because the peer's breaker was open.", "peer"),
  // Durable state.
  misp_enrichd_spool_entries: gauge("Entries waiting in the on-disk retry spool."),
  misp_enrichd_spool_bytes: gauge("Bytes of the entries in the on-disk retry spool."),
  misp_enrichd_spool_full: gauge("1 while the spool is at state.spool.maxEntries or maxBytes (the pipeline then holds new work), else 0."),
  misp_enrichd_dead_letters: gauge("Dead letters kept in the state folder."),
  misp_enrichd_dead_letters_evicted_total: counter("Oldest dead letters removed to stay within state.deadLetters.maxEntries/maxBytes."),
  misp_enrichd_backfill_runs_total: counter("Gap backfill runs, by trigger.", "reason"),
  misp_enrichd_backfill_attributes_total: counter("Attributes fed to the pipeline by gap backfill."),
  misp_enrichd_ledger_entries: gauge("Live entries of each ledger (own, references, handled, once).", "ledger"),
  // The process.
  misp_enrichd_config_reloads_total: counter("SIGHUP reloads, by outcome (applied, refused).", "outcome"),
  misp_enrichd_healthy: gauge("1 when /healthz answers 200, else 0 (computed at each scrape)."),
} as const satisfies Record<string, MetricSpec>;

export type MetricName = keyof typeof METRIC_CATALOGUE;

/** What `collectDefaultMetrics` adds under the same prefix (process and Node.js runtime figures). */
export const DEFAULT_METRICS_PREFIX = "misp_enrichd_";
