/**
 * Ready-made schedules for the common cases in the product brief and the seed material:
 * round-the-clock lines, office hours, a night shift (the seeds' "20:00 – 次日 8:00" off-hours
 * window) and the seeds' restaurant that plays an after-hours message with when to call back.
 */
import { parseSchedule, weekdayOf, WEEKDAYS } from './schedule.ts';
import type { Interval, Schedule, Weekday } from './schedule.ts';
import { isOpen } from './evaluate.ts';
import { DAY_MS, MINUTE_MS, wallOf } from './zone.ts';

function everyDay(hours: Interval[], days: readonly Weekday[] = WEEKDAYS): Schedule['weekly'] {
  const weekly = { mon: [], tue: [], wed: [], thu: [], fri: [], sat: [], sun: [] } as Schedule['weekly'];
  for (const d of days) weekly[d] = hours.map((iv) => ({ ...iv }));
  return weekly;
}

/** Open every minute of every day (24/7 lines): nextChange() is undefined. */
export function twentyFourSeven(timeZone = 'Asia/Taipei'): Schedule {
  return parseSchedule({ timeZone, weekly: everyDay([{ open: '00:00', close: '24:00' }]), holidays: [] });
}

/** Monday to Friday 09:00–18:00 (Taipei office hours by default). */
export function weekdayOfficeHours(timeZone = 'Asia/Taipei'): Schedule {
  return parseSchedule({
    timeZone,
    weekly: everyDay([{ open: '09:00', close: '18:00' }], ['mon', 'tue', 'wed', 'thu', 'fri']),
    holidays: [],
  });
}

/** Every night 20:00 to 08:00 the next morning: the seeds' off-hours window, a past-midnight shift. */
export function nightShift(timeZone = 'Asia/Taipei'): Schedule {
  return parseSchedule({ timeZone, weekly: everyDay([{ open: '20:00', close: '08:00' }]), holidays: [] });
}

/**
 * The seeds' restaurant example gives no hours, so a typical lunch/dinner split: 11:30–14:00
 * and 17:30–21:30, Tuesday to Sunday, closed Mondays (公休).
 */
export function restaurant(timeZone = 'Asia/Taipei'): Schedule {
  return parseSchedule({
    timeZone,
    weekly: everyDay(
      [
        { open: '11:30', close: '14:00' },
        { open: '17:30', close: '21:30' },
      ],
      ['tue', 'wed', 'thu', 'fri', 'sat', 'sun'],
    ),
    holidays: [],
  });
}

/** The restaurant's hours as the caller hears them (menu option and after-hours message). */
export const RESTAURANT_HOURS = '营业时间为每周二至周日,午餐 11:30 至 14:00,晚餐 17:30 至 21:30,每周一公休。';

/**
 * The restaurant's after-hours ("下班后") message, worded as the seed describes it: say it is
 * closed, when to call back to book, and offer the self-service alternative. This fixed form
 * is for when the reopening time is unknown; restaurantAfterHoursText() names the time.
 */
export const RESTAURANT_AFTER_HOURS_MESSAGE =
  '您好,感谢您致电本餐厅。我们现在已经打烊。' +
  RESTAURANT_HOURS +
  '订位请在营业时间内再来电,或访问我们的网站在线预订。谢谢!';

/**
 * The after-hours message naming when the restaurant opens again (`when` is reopeningText(),
 * or a flow's `{{schedule.reopens}}` template, so the demo flow and this module say the same).
 */
export function restaurantAfterHoursText(when: string): string {
  return `您好,感谢您致电本餐厅。我们现在已经打烊,将于${when}开始营业。订位请在营业时间内再来电,或访问我们的网站在线预订。谢谢!`;
}

/** The same on a closed day (a holiday of the schedule): 今天店休 instead of 已经打烊. */
export function restaurantHolidayText(when: string): string {
  return `您好,感谢您致电本餐厅。今天店休,我们将于${when}开始营业。订位请在营业时间内再来电,或访问我们的网站在线预订。谢谢!`;
}

const ZH_WEEKDAY: Record<Weekday, string> = { mon: '周一', tue: '周二', wed: '周三', thu: '周四', fri: '周五', sat: '周六', sun: '周日' };

/**
 * When a closed line opens again, in the line's own local time and the seeds' wording:
 * 今天 17:30, 明天(周二)11:30, 后天(周三)11:30, or 12月28日(周一)09:00.
 * Undefined when it is open now or never opens again.
 */
export function reopeningText(schedule: Schedule, instantMs: number): string | undefined {
  const st = isOpen(schedule, instantMs);
  if (st.open || st.until === undefined) return undefined;
  const nowWall = wallOf(schedule.timeZone, instantMs);
  const thenWall = wallOf(schedule.timeZone, st.until);
  const thenDay = Math.floor(thenWall / DAY_MS);
  const days = thenDay - Math.floor(nowWall / DAY_MS);
  const minutes = Math.floor((thenWall - thenDay * DAY_MS) / MINUTE_MS);
  const time = `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;
  const weekday = ZH_WEEKDAY[weekdayOf(thenDay)];
  if (days === 0) return `今天 ${time}`;
  if (days === 1) return `明天(${weekday})${time}`;
  if (days === 2) return `后天(${weekday})${time}`;
  const date = new Date(thenDay * DAY_MS);
  return `${date.getUTCMonth() + 1}月${date.getUTCDate()}日(${weekday})${time}`;
}

/**
 * The after-hours message with the specific time to call back, as the seed asks for; falls
 * back to the fixed text when the reopening is unknown. Undefined while the restaurant is open.
 */
export function restaurantAfterHoursMessage(schedule: Schedule, instantMs: number): string | undefined {
  if (isOpen(schedule, instantMs).open) return undefined;
  const when = reopeningText(schedule, instantMs);
  if (when === undefined) return RESTAURANT_AFTER_HOURS_MESSAGE;
  return restaurantAfterHoursText(when);
}
