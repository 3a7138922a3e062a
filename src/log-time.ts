// The `time` field of every log line: the ISO 8601 UTC instant pino's `isoTime` writes, to the
// millisecond. `Date.prototype.toISOString` cost about 3 µs per line on the hot path (one info line
// per enrichment); the text up to the second is kept while the second lasts, and only the
// milliseconds are laid out per line.

let second = Number.NaN;
let upToSecond = "";

/** `,"time":"<ISO 8601>"` for `now` (milliseconds since the epoch), as pino.stdTimeFunctions.isoTime. */
export function isoTimeField(now: number = Date.now()): string {
  const ms = now % 1000;
  const s = now - ms;
  if (s !== second || ms < 0) {
    // Negative instants (before 1970) are left to Date: not worth a cache.
    if (ms < 0) return `,"time":"${new Date(now).toISOString()}"`;
    second = s;
    upToSecond = `,"time":"${new Date(s).toISOString().slice(0, -4)}`; // without "000Z"
  }
  return `${upToSecond}${ms < 10 ? "00" : ms < 100 ? "0" : ""}${ms}Z"`;
}
