// At-least-once offset bookkeeping for the Kafka bus. Messages of one partition are processed
// concurrently, so they finish out of order; the offset committed for a partition is the one after
// the last message of the longest finished prefix of what was delivered. A crash then redelivers
// every unfinished message and never skips one. Pure logic, no I/O: the bus does the committing.

export interface OffsetCommit {
  readonly topic: string;
  readonly partition: number;
  /** The next offset to read, as Kafka commits it: last finished + 1. */
  readonly offset: string;
  /** The partition state it was computed in: marking a commit of a forgotten one does nothing. */
  readonly epoch: number;
}

export interface OffsetTracker {
  /**
   * Records a message handed to the pipeline, in delivery order. Returns the function to call
   * once its `done` settled (calling it again does nothing).
   */
  track(topic: string, partition: number, offset: string): () => void;
  /** Unfinished messages of a partition, all generations together (what bounds memory). */
  inFlight(topic: string, partition: number): number;
  totalInFlight(): number;
  /** Resolves once nothing is in flight. */
  drained(): Promise<void>;
  /**
   * Forgets every commit position (after a rebalance, a crash or a restart: Kafka redelivers from
   * the committed offset). Messages still in flight keep counting but never produce a commit.
   */
  newGeneration(): void;
  /** Commits due: partitions whose finished prefix moved past what was last committed. */
  pendingCommits(): OffsetCommit[];
  /** Records a successful commit, so pendingCommits() stops returning it. */
  markCommitted(commits: readonly OffsetCommit[]): void;
}

interface Entry {
  readonly offset: bigint;
  done: boolean;
}

interface PartitionState {
  readonly epoch: number;
  /** Delivered entries from `head` on; everything before `head` finished. */
  readonly queue: Entry[];
  head: number;
  lastTracked: bigint;
  /** Next offset to commit (last finished of the prefix + 1), or -1n when nothing finished. */
  committable: bigint;
  committed: bigint;
}

const key = (topic: string, partition: number): string => `${partition}\u0000${topic}`;

export function createOffsetTracker(): OffsetTracker {
  let epochs = 0;
  let total = 0;
  const states = new Map<string, PartitionState>();
  const inFlightByKey = new Map<string, number>();
  let drainWaiters: Array<() => void> = [];

  const freshState = (k: string): PartitionState => {
    const state: PartitionState = { epoch: ++epochs, queue: [], head: 0, lastTracked: -1n, committable: -1n, committed: -1n };
    states.set(k, state);
    return state;
  };

  const advance = (state: PartitionState): void => {
    const { queue } = state;
    while (state.head < queue.length && queue[state.head]?.done === true) {
      state.committable = (queue[state.head] as Entry).offset + 1n;
      state.head += 1;
    }
    // Drop the finished prefix now and then, so the array does not grow without bound.
    if (state.head > 1024 && state.head * 2 > queue.length) {
      queue.splice(0, state.head);
      state.head = 0;
    }
  };

  return {
    track(topic, partition, offset) {
      const k = key(topic, partition);
      const value = BigInt(offset);
      let state = states.get(k) ?? freshState(k);
      // A rewind (seek, or redelivery after the group reset us) starts over: an entry of the old
      // sequence must never let the new one commit past an unfinished message, nor the reverse.
      if (value <= state.lastTracked) state = freshState(k);
      state.lastTracked = value;
      const entry: Entry = { offset: value, done: false };
      state.queue.push(entry);
      inFlightByKey.set(k, (inFlightByKey.get(k) ?? 0) + 1);
      total += 1;
      const owner = state;
      return () => {
        if (entry.done) return;
        entry.done = true;
        inFlightByKey.set(k, (inFlightByKey.get(k) ?? 1) - 1);
        total -= 1;
        if (states.get(k) === owner) advance(owner);
        if (total === 0) {
          const waiters = drainWaiters;
          drainWaiters = [];
          for (const wake of waiters) wake();
        }
      };
    },

    inFlight: (topic, partition) => inFlightByKey.get(key(topic, partition)) ?? 0,

    totalInFlight: () => total,

    drained: () => (total === 0 ? Promise.resolve() : new Promise<void>((resolve) => drainWaiters.push(resolve))),

    newGeneration() {
      states.clear();
    },

    pendingCommits() {
      const due: OffsetCommit[] = [];
      for (const [k, state] of states) {
        if (state.committable <= state.committed) continue;
        const separator = k.indexOf("\u0000");
        due.push({
          topic: k.slice(separator + 1),
          partition: Number(k.slice(0, separator)),
          offset: state.committable.toString(),
          epoch: state.epoch,
        });
      }
      return due;
    },

    markCommitted(commits) {
      for (const commit of commits) {
        const state = states.get(key(commit.topic, commit.partition));
        if (state === undefined || state.epoch !== commit.epoch) continue;
        const value = BigInt(commit.offset);
        if (value > state.committed) state.committed = value;
      }
    },
  };
}
