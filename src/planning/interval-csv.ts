/**
 * Interval counts imported from a CSV (issue 5 §2: "or an imported CSV of interval counts"):
 *   start,calls[,aht_seconds]
 * `start` is ISO 8601 with a zone (2025-11-11T00:30:00+08:00, …Z) or a local
 * "YYYY-MM-DD HH:MM" in the given time zone. A header line is skipped; blank lines and
 * lines starting with # are ignored. Any bad line is an error naming its line number.
 */
import { instantOfWall } from '../schedules/zone.ts';
import { ForecastInputError, type IntervalCount } from './forecast.ts';

const LOCAL = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2})$/;
const ZONED = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/;

/** A CSV start: ISO 8601 with a zone, or a local "YYYY-MM-DD HH:MM" in `timeZone`; undefined when it is neither. */
export function intervalStart(text: string, timeZone: string): number | undefined {
  const local = LOCAL.exec(text);
  if (local) {
    const [, y, mo, d, h, mi] = local.map(Number) as [number, number, number, number, number, number];
    const wall = Date.UTC(y, mo - 1, d, h, mi);
    const back = new Date(wall);
    if (back.getUTCFullYear() !== y || back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d || h > 23 || mi > 59) return undefined;
    return instantOfWall(timeZone, wall);
  }
  if (!ZONED.test(text)) return undefined;
  const ms = Date.parse(text);
  return Number.isFinite(ms) ? ms : undefined;
}

export function parseIntervalCsv(text: string, timeZone: string): IntervalCount[] {
  const out: IntervalCount[] = [];
  const lines = text.split(/\r?\n/);
  lines.forEach((raw, i) => {
    const line = raw.trim();
    const where = `line ${i + 1}`;
    if (line === '' || line.startsWith('#')) return;
    const cells = line.split(',').map((c) => c.trim());
    if (out.length === 0 && /^[a-z_ ]+$/i.test(cells[0] ?? '') && /calls/i.test(line)) return; // the header
    if (cells.length < 2 || cells.length > 3) throw new ForecastInputError(where, `expected start,calls[,aht_seconds], got ${cells.length} fields`);
    const start = intervalStart(cells[0]!, timeZone);
    if (start === undefined) throw new ForecastInputError(where, `start ${JSON.stringify(cells[0])}: expected 2025-11-11T00:30:00+08:00 or a local 2025-11-11 00:30`);
    const calls = Number(cells[1]);
    if (cells[1] === '' || !Number.isFinite(calls) || calls < 0) throw new ForecastInputError(where, `calls ${JSON.stringify(cells[1])}: expected a count ≥ 0`);
    let ahtSeconds: number | undefined;
    if (cells[2] !== undefined && cells[2] !== '') {
      ahtSeconds = Number(cells[2]);
      if (!Number.isFinite(ahtSeconds) || ahtSeconds < 0) throw new ForecastInputError(where, `aht_seconds ${JSON.stringify(cells[2])}: expected seconds ≥ 0`);
    }
    out.push({ start, calls, ...(ahtSeconds !== undefined ? { ahtSeconds } : {}) });
  });
  if (out.length === 0) throw new ForecastInputError('csv', 'no interval lines (start,calls[,aht_seconds])');
  return out;
}
