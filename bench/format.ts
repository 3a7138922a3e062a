// Plain-text tables and number formatting for the benchmark's printout. No dependency: the output
// is meant to be pasted into bench/README.md as it is.

export type Cell = string | number;

/** Right-aligns numbers, left-aligns text; the first row is the header. */
export function table(rows: readonly (readonly Cell[])[]): string {
  const text = rows.map((row) => row.map((cell) => (typeof cell === "number" ? num(cell) : cell)));
  const widths: number[] = [];
  for (const row of text) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  const line = (row: readonly string[], raw: readonly Cell[]): string =>
    row
      .map((cell, i) => {
        const width = widths[i] ?? 0;
        return typeof raw[i] === "number" || /^[\d.,]+( ?[a-zA-Z/%µ×]+)?$/.test(cell) ? cell.padStart(width) : cell.padEnd(width);
      })
      .join("  ")
      .trimEnd();
  const [head, ...body] = text;
  if (head === undefined) return "";
  const rule = widths.map((w) => "-".repeat(w)).join("  ");
  return [line(head, []), rule, ...body.map((row, i) => line(row, rows[i + 1] ?? []))].join("\n");
}

/** 1234567 → "1,234,567"; 12.345 → "12.3"; 0.01234 → "0.0123". */
export function num(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  const abs = Math.abs(value);
  if (abs >= 100 || Number.isInteger(value)) return Math.round(value).toLocaleString("en-US");
  if (abs >= 10) return value.toFixed(1);
  if (abs >= 1) return value.toFixed(2);
  return value.toPrecision(3);
}

export function mib(bytes: number): string {
  return `${(bytes / 1_048_576).toFixed(1)} MiB`;
}

export function ms(value: number): string {
  return value >= 100 ? `${Math.round(value)} ms` : `${value.toFixed(value >= 10 ? 1 : 2)} ms`;
}

export function ratio(a: number, b: number): string {
  return b === 0 ? "n/a" : `${num(a / b)}×`;
}

export function percent(part: number, whole: number): string {
  return whole === 0 ? "n/a" : `${((100 * part) / whole).toFixed(1)} %`;
}

/** Nearest-rank percentile of unsorted samples; NaN when there are none. */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank] as number;
}

export function median(samples: readonly number[]): number {
  return percentile(samples, 50);
}

export function heading(title: string): string {
  return `\n${title}\n${"=".repeat(title.length)}`;
}
