// The messages between a scenario process and its peers process (bench/peers.ts), over Node's IPC.

export interface PeersStartOptions {
  /**
   * "standin": packages/standins/src/misp-server (the test suite's MISP, full validation and echoes).
   * "light": bench/misp-like.ts, constant time per write, for pushing tens of thousands of writes.
   */
  readonly misp: "standin" | "light";
  /** Each MISP request is held this long (a proxy in front of the stand-in, or the light server itself). */
  readonly mispDelayMs: number;
  /**
   * 0: the daemon talks to the modules stand-in directly (it answers in microseconds); else through
   * a proxy that holds each request this long, as a real module server that asks an upstream does.
   */
  readonly modulesDelayMs: number;
  /** Bind a ZeroMQ PUB socket and have the MISP stand-in (or the light MISP) echo its writes on it, as MISP does. */
  readonly zmq: boolean;
  /**
   * The modules stand-in holds each /query this long itself, with no cap on how many wait at once
   * (a module farm), instead of answering at once behind a delaying proxy.
   */
  readonly modulesLatencyMs?: number;
}

export interface PeersStarted {
  readonly mispUrl: string;
  readonly modulesUrl: string;
  readonly zmqUrl?: string;
}

export interface SeedRequest {
  /** A name for this batch of events, to check its order later. */
  readonly set: string;
  readonly events: number;
  readonly attributesPerEvent: number;
  /** First octet of the (routable) addresses of this set; sets must not share one. */
  readonly firstOctet: number;
  /** PRNG seed of the interleaving: one event's attributes keep their order, events interleave. */
  readonly seed: number;
  /** Synthesized sets only: this many distinct values, repeated in turn (all ip-dst); default all distinct. */
  readonly distinctValues?: number;
}

export interface SeedResult {
  /** `misp_json_attribute <json>` frames, in publish order. */
  readonly frames: readonly string[];
}

export interface OrderCheck {
  readonly events: number;
  /** Messages of the set seen at this boundary. */
  readonly seen: number;
  /** Times a message of an event arrived before one published earlier for the same event. */
  readonly violations: number;
  /** Messages seen more than once. */
  readonly duplicates: number;
}

export interface PeersStats {
  readonly moduleQueries: number;
  /** Highest number of /query requests open at the module server at once. */
  readonly maxModuleConcurrency: number;
  readonly mispRequests: number;
  readonly maxMispConcurrency: number;
  readonly objects: number;
  readonly references: number;
  /** Handler starts: module queries in arrival order. */
  readonly queryOrder: OrderCheck;
  /** Write-backs: references (object → source attribute) in the order MISP stored them. */
  readonly writeOrder: OrderCheck;
  /** CPU of the peers process since the last reset, ms. */
  readonly cpuMs: number;
  /** Bus frames published, by topic (bench frames and MISP's echoes). */
  readonly publishedByTopic: Readonly<Record<string, number>>;
  /** Echo frames the light MISP published. */
  readonly echoes: number;
  /** When the light MISP answered its first objects/add (epoch ms). */
  readonly firstObjectAt?: number;
}

export interface MixRequest {
  /** Total frames to publish. */
  readonly total: number;
  /** Seeded set whose frames are published among the rest (all of them, spread evenly). */
  readonly wantedSet: string;
  /** Other frames and their share of the remainder (shares are normalised). */
  readonly others: readonly { readonly line: string; readonly share: number }[];
}

export interface MixResult {
  readonly sentByTopic: Readonly<Record<string, number>>;
  readonly publishMs: number;
}

export type PeersRequest =
  | { readonly op: "start"; readonly options: PeersStartOptions }
  | { readonly op: "seed"; readonly request: SeedRequest }
  | { readonly op: "synthesize"; readonly request: SeedRequest }
  | { readonly op: "reset" }
  | { readonly op: "stats"; readonly set?: string }
  | { readonly op: "heartbeat" }
  | { readonly op: "mix"; readonly request: MixRequest }
  | { readonly op: "settled" }
  /** Publishes the set's frames in turn, one every `intervalMs`, until `stopDrip` (a daemon starting up). */
  | { readonly op: "drip"; readonly set: string; readonly intervalMs: number }
  | { readonly op: "stopDrip" }
  | { readonly op: "close" };

export interface PeersEnvelope {
  readonly id: number;
  readonly request: PeersRequest;
}

export type PeersReply = { readonly id: number; readonly ok: true; readonly result: unknown } | { readonly id: number; readonly ok: false; readonly error: string };
