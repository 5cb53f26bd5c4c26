/**
 * A queue's calling windows (the days and hours callbacks may be placed, in the line's time
 * zone) and the callback slots a caller can pick from them (issue 4 §4: "a scheduled slot the
 * caller picks"). Pure: the instant and the zone are parameters.
 */
import type { QueueConfig } from './queue-config.ts';
import { speakTime } from '../announcements/template.ts';
import { DAY_MS, MINUTE_MS, wallOf } from '../schedules/zone.ts';

export type CallingWindows = QueueConfig['callbacks']['windows'];

const DAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;

/** Whether `at` falls in one of the windows (days and HH:MM in the zone; close is exclusive). */
export function inCallingWindow(windows: CallingWindows, at: number, timeZone: string): boolean {
  const parts = new Intl.DateTimeFormat('en-US', { timeZone, weekday: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).formatToParts(at);
  const get = (t: string): string => parts.find((p) => p.type === t)?.value ?? '';
  const day = get('weekday').toLowerCase().slice(0, 3);
  const hm = `${get('hour').padStart(2, '0')}:${get('minute').padStart(2, '0')}`;
  return windows.some((w) => (w.days as readonly string[]).includes(day) && DAYS.includes(day as never) && hm >= w.open && hm < w.close);
}

export interface CallbackSlot {
  /** Epoch ms; the callback is due from start and placed before end. */
  readonly start: number;
  readonly end: number;
}

export interface SlotOptions {
  /** How many slots to offer (1–9: one key each). */
  readonly count: number;
  /** Length of a slot; slots start on multiples of it in the zone's wall clock. */
  readonly minutes: number;
  /** A slot starts at least this long after now (time for the team to see it). */
  readonly leadMinutes: number;
}

/** Look no further than this for open slots (a queue closed all week offers none). */
const HORIZON_DAYS = 8;

/**
 * The next `count` slots wholly inside the calling windows, starting at least leadMinutes from
 * `now`, aligned to `minutes` on the wall clock of `timeZone` (14:00–15:00, not 14:07–15:07).
 */
export function callbackSlots(windows: CallingWindows, timeZone: string, now: number, opts: SlotOptions): CallbackSlot[] {
  const step = opts.minutes * MINUTE_MS;
  const earliest = now + opts.leadMinutes * MINUTE_MS;
  // Align on the wall clock: the zone's offset at `earliest` (a slot straddling a DST jump is
  // checked below by its own ends, so a rare off-by-an-hour alignment only skips that slot).
  const offset = wallOf(timeZone, earliest) - earliest;
  let start = Math.ceil((earliest + offset) / step) * step - offset;
  const out: CallbackSlot[] = [];
  for (const until = now + HORIZON_DAYS * DAY_MS; out.length < opts.count && start < until; start += step) {
    const end = start + step;
    if (inCallingWindow(windows, start, timeZone) && inCallingWindow(windows, end - MINUTE_MS, timeZone)) out.push({ start, end });
  }
  return out;
}

const WEEKDAY_TW = ['週日', '週一', '週二', '週三', '週四', '週五', '週六'] as const;

/** The day of `at` as a caller hears it relative to `now`: 今天, 明天, 後天, or 12月1日(週二). */
export function spokenDay(at: number, now: number, timeZone: string): string {
  const day = Math.floor(wallOf(timeZone, at) / DAY_MS);
  const days = day - Math.floor(wallOf(timeZone, now) / DAY_MS);
  if (days === 0) return '今天';
  if (days === 1) return '明天';
  if (days === 2) return '後天';
  const d = new Date(day * DAY_MS);
  return `${d.getUTCMonth() + 1}月${d.getUTCDate()}日(${WEEKDAY_TW[d.getUTCDay()]})`;
}

/** "今天下午2點到下午3點": the slot as the menu reads it, in the line's zone. */
export function slotText(slot: CallbackSlot, now: number, timeZone: string): string {
  return `${spokenDay(slot.start, now, timeZone)}${speakTime(slot.start, timeZone)}到${speakTime(slot.end, timeZone)}`;
}
