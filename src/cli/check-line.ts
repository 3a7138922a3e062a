// One line of `check`: a verdict, what was checked, what was found, and what to do about a failure.

export type Verdict = "ok" | "fail" | "warn";

export interface CheckLine {
  readonly verdict: Verdict;
  /** Short name of the peer or setting: "misp", "misp key", "modules", "bus", ... */
  readonly subject: string;
  readonly text: string;
  /** What to change; shown after the text on failures and warnings. */
  readonly fix?: string;
}

const MARK: Readonly<Record<Verdict, string>> = { ok: "✔", fail: "✘", warn: "⚠" };

export const ok = (subject: string, text: string): CheckLine => ({ verdict: "ok", subject, text });
export const failed = (subject: string, text: string, fix?: string): CheckLine => ({ verdict: "fail", subject, text, ...(fix ? { fix } : {}) });
export const warned = (subject: string, text: string, fix?: string): CheckLine => ({ verdict: "warn", subject, text, ...(fix ? { fix } : {}) });

export function formatLine(line: CheckLine): string {
  return `${MARK[line.verdict]} ${line.subject}: ${line.text}${line.fix ? ` — fix: ${line.fix}` : ""}`;
}
