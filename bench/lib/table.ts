/** Plain-text and Markdown tables with right-aligned numbers. */

export type Cell = string | number;

export interface Column {
  readonly title: string;
  /** Left-align (text) instead of right-align (numbers). */
  readonly left?: boolean;
}

function text(c: Cell): string {
  return typeof c === 'number' ? String(c) : c;
}

export function plainTable(columns: readonly Column[], rows: readonly (readonly Cell[])[]): string {
  const widths = columns.map((col, i) => Math.max(col.title.length, ...rows.map((r) => text(r[i] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells.map((c, i) => (columns[i]?.left ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ').trimEnd();
  return [line(columns.map((c) => c.title)), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map((r) => line(r.map(text)))].join('\n');
}

export function markdownTable(columns: readonly Column[], rows: readonly (readonly Cell[])[]): string {
  const esc = (s: string): string => s.replace(/\|/g, '\\|');
  const head = `| ${columns.map((c) => esc(c.title)).join(' | ')} |`;
  const sep = `|${columns.map((c) => (c.left ? ':---' : '---:')).join('|')}|`;
  return [head, sep, ...rows.map((r) => `| ${r.map((c) => esc(text(c))).join(' | ')} |`)].join('\n');
}

/** Fixed decimals, "–" for a missing value. */
export function fmt(v: number | undefined, decimals = 1): string {
  return v === undefined || !Number.isFinite(v) ? '–' : v.toFixed(decimals);
}

/** Nearest-rank percentile of unsorted samples (sorts a copy). */
export function percentile(values: readonly number[], p: number): number | undefined {
  if (values.length === 0) return undefined;
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
}
