/**
 * What the CLI prints: lines on stdout, JSON for --json, aligned tables for lists, and
 * times in the local zone of the machine running the CLI (ISO in --json output).
 */
export function out(line = ''): void {
  process.stdout.write(`${line}\n`);
}

export function note(line: string): void {
  process.stderr.write(`${line}\n`);
}

export function printJson(value: unknown): void {
  out(JSON.stringify(value, null, 2));
}

/** Rows as aligned columns under a header; the last column is not padded. */
export function table(header: readonly string[], rows: ReadonlyArray<readonly string[]>): void {
  const widths = header.map((h, i) => Math.max(displayWidth(h), ...rows.map((r) => displayWidth(r[i] ?? ''))));
  const line = (cells: readonly string[]): string =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c + ' '.repeat(widths[i]! - displayWidth(c))))
      .join('  ')
      .trimEnd();
  out(line(header));
  for (const r of rows) out(line(r));
}

/** Columns a string takes in a terminal: CJK and full-width characters take two. */
export function displayWidth(s: string): number {
  let w = 0;
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    w += (c >= 0x1100 && c <= 0x115f) || (c >= 0x2e80 && c <= 0xa4cf) || (c >= 0xac00 && c <= 0xd7a3) || (c >= 0xf900 && c <= 0xfaff) || (c >= 0xfe30 && c <= 0xfe4f) || (c >= 0xff00 && c <= 0xff60) || (c >= 0xffe0 && c <= 0xffe6) ? 2 : 1;
  }
  return w;
}

/** A time as "YYYY-MM-DD HH:MM:SS" in the local zone; accepts ms, Date or an ISO string. */
export function when(t: unknown): string {
  if (t === null || t === undefined || t === '') return '-';
  const d = t instanceof Date ? t : new Date(t as string | number);
  if (Number.isNaN(d.getTime())) return String(t);
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

/** Only the clock time, "HH:MM:SS", for streams of events. */
export function clockTime(t: unknown): string {
  return when(t).slice(11) || '-';
}
