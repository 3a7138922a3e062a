// The recorded frame corpus (test/fixtures/decode/zmq-wire-frames.txt): one real-shaped MISP
// ZeroMQ frame per line, `<topic> <json>`. The benchmark reads it, never changes it.

import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

/** dist/bench/corpus.js → <repo>/test/fixtures/decode/ */
const CORPUS = fileURLToPath(new URL("../../test/fixtures/decode/zmq-wire-frames.txt", import.meta.url));

export interface CorpusFrame {
  readonly topic: string;
  /** The whole frame as it travels on the wire. */
  readonly line: string;
  /** Parsed payload, for building variants. */
  readonly payload: Record<string, unknown>;
}

export function loadCorpus(): CorpusFrame[] {
  return readFileSync(CORPUS, "utf8")
    .split("\n")
    .filter((line) => line.trim().length > 0)
    .map((line) => {
      const space = line.indexOf(" ");
      return { topic: line.slice(0, space), line, payload: JSON.parse(line.slice(space + 1)) as Record<string, unknown> };
    });
}

/** The first frame on `topic` whose payload satisfies `where`; throws when the corpus has none. */
export function corpusFrame(corpus: readonly CorpusFrame[], topic: string, where: (payload: Record<string, unknown>) => boolean = () => true): CorpusFrame {
  const found = corpus.find((f) => f.topic === topic && where(f.payload));
  if (!found) throw new Error(`the frame corpus has no ${topic} frame of that kind`);
  return found;
}

export function isAdd(payload: Record<string, unknown>): boolean {
  return payload.action === "add";
}
