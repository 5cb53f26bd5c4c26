import type { FlowInput } from '../schema.ts';
import { REOPENS } from '../nodes/schedule.ts';
import { RESTAURANT_AFTER_HOURS_MESSAGE, RESTAURANT_HOURS, restaurantAfterHoursText, restaurantHolidayText } from '../../schedules/presets.ts';

/**
 * The seeds' restaurant (seed 004): a caller who wants to book is not offered a menu that
 * only tells them, after pressing for a booking, that the restaurant is closed. The schedule
 * `restaurant` is checked first: open → welcome and a short menu (hours, booking, staff);
 * closed → the after-hours ("下班后") message saying when it opens again
 * ({{schedule.reopens}}, set by the schedule node), then hang up; a holiday likewise with
 * 今天店休. Booking and staff check the hours again, so a caller who lingers in the menu past
 * closing time hears the after-hours message instead of waiting for nobody. Text in the
 * seed's language (simplified Chinese), the same wording as src/schedules/presets.ts.
 */

/** The demo queue (src/demo/seed.ts) booking and staff calls end in. */
export const RESTAURANT_QUEUE = 'restaurant-staff';
export const RESTAURANT_WELCOME = '您好,感谢您致电本餐厅。';
export const RESTAURANT_MENU = '听营业时间请按1,订位请按2,转接服务人员请按0,重听请按米字键。';
export const RESTAURANT_GOODBYE = '感谢您的来电,再见!';

const when = `{{${REOPENS}}}`;

export const restaurantFlow: FlowInput = {
  version: 1,
  name: 'restaurant',
  description: 'The seeds\' restaurant: a menu while open, the after-hours message with when it reopens while closed',
  start: 'hours',
  nodes: {
    hours: { type: 'schedule', schedule: 'restaurant', open: 'welcome', closed: 'closed', holiday: 'holiday' },
    welcome: { type: 'say', prompt: { text: RESTAURANT_WELCOME }, bargeIn: true, next: 'menu' },
    menu: {
      type: 'menu',
      prompt: { text: RESTAURANT_MENU },
      options: { '1': 'hoursInfo', '2': 'bookingOpen', '0': 'staffOpen' },
      noInput: 'goodbye',
      invalid: 'staffOpen',
    },
    hoursInfo: { type: 'say', prompt: { text: RESTAURANT_HOURS }, bargeIn: true, next: 'menu' },
    bookingOpen: { type: 'schedule', schedule: 'restaurant', open: 'booking', closed: 'closed', holiday: 'holiday' },
    booking: { type: 'queue', queue: RESTAURANT_QUEUE, skills: ['booking'] },
    staffOpen: { type: 'schedule', schedule: 'restaurant', open: 'staff', closed: 'closed', holiday: 'holiday' },
    staff: { type: 'queue', queue: RESTAURANT_QUEUE },
    closed: { type: 'branch', on: 'variable', name: REOPENS, cases: [{ matches: '.', next: 'afterHours' }], default: 'afterHoursFixed' },
    afterHours: { type: 'say', prompt: { text: restaurantAfterHoursText(when) }, next: 'end' },
    holiday: { type: 'branch', on: 'variable', name: REOPENS, cases: [{ matches: '.', next: 'holidayNotice' }], default: 'afterHoursFixed' },
    holidayNotice: { type: 'say', prompt: { text: restaurantHolidayText(when) }, next: 'end' },
    afterHoursFixed: { type: 'say', prompt: { text: RESTAURANT_AFTER_HOURS_MESSAGE }, next: 'end' },
    goodbye: { type: 'say', prompt: { text: RESTAURANT_GOODBYE }, next: 'end' },
    end: { type: 'hangup' },
  },
};
