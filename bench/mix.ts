// The frame sequence of section 4: the wanted frames spread evenly through `total`, the rest
// filled from the other lines by their shares, and an end marker last.

import { END_MARKER } from "./bus-tap.js";
import type { MixRequest } from "./peers-protocol.js";

export interface MixFrame {
  readonly frame: Buffer;
  readonly topic: string;
}

export function buildMix(request: MixRequest, wanted: readonly string[]): MixFrame[] {
  const others = request.total - wanted.length;
  if (others < 0) throw new Error(`mix: ${wanted.length} wanted frames do not fit in ${request.total}`);
  const totalShare = request.others.reduce((sum, o) => sum + o.share, 0);
  const quota = request.others.map((o) => ({
    frame: Buffer.from(o.line),
    topic: o.line.slice(0, o.line.indexOf(" ")),
    left: Math.round((others * o.share) / totalShare),
  }));
  const sequence: MixFrame[] = [];
  const step = wanted.length === 0 ? Infinity : request.total / wanted.length;
  let w = 0;
  let o = 0;
  for (let i = 0; i < request.total; i++) {
    if (w < wanted.length && i >= Math.floor(w * step)) {
      sequence.push({ frame: Buffer.from(wanted[w] as string), topic: "misp_json_attribute" });
      w++;
      continue;
    }
    // Round robin over the lines that still have quota; rounding leftovers go to the first line.
    let q = quota[o % quota.length];
    for (let tries = 0; q !== undefined && q.left <= 0 && tries < quota.length; tries++) q = quota[++o % quota.length];
    if (q === undefined || q.left <= 0) q = quota[0];
    if (q === undefined) break;
    q.left--;
    o++;
    sequence.push({ frame: q.frame, topic: q.topic });
  }
  sequence.push({ frame: Buffer.from(`misp_json_self ${JSON.stringify(END_MARKER)}`), topic: "misp_json_self" });
  return sequence;
}
