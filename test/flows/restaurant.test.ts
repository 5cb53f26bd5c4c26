/**
 * The seeds' restaurant flow (src/flows/demo/restaurant.ts) run by the interpreter on a
 * ManualClock set to the edges of the `restaurant` schedule (Tue–Sun 11:30–14:00 and
 * 17:30–21:30, Mondays 公休): each call asserts the exact words spoken — the after-hours
 * message with when it opens again — and the `schedule.reopens` variable in the journey.
 * 2026-11-23 is a Monday; Taipei is UTC+8.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../../src/clock.ts';
import { DigitBuffer } from '../../src/call/digits.ts';
import { RESTAURANT_MENU, RESTAURANT_WELCOME, restaurantFlow } from '../../src/flows/demo/restaurant.ts';
import { runFlow, type CallPort, type FlowOutcome } from '../../src/flows/interpreter.ts';
import type { Flow } from '../../src/flows/schema.ts';
import { validateFlow } from '../../src/flows/validate.ts';
import { RESTAURANT_AFTER_HOURS_MESSAGE, RESTAURANT_HOURS, restaurant, restaurantAfterHoursMessage } from '../../src/schedules/presets.ts';
import type { Schedule } from '../../src/schedules/schedule.ts';

/** A caller on a ManualClock: prompts take `playMs`, keys arrive at clock offsets. */
class Caller implements CallPort {
  readonly played: string[] = [];
  hungUp = false;
  private readonly controller = new AbortController();
  private readonly digits: DigitBuffer;

  constructor(
    private readonly clock: ManualClock,
    keys: Array<[number, string]> = [],
    private readonly playMs = 0,
  ) {
    this.digits = new DigitBuffer(clock);
    for (const [at, key] of keys) clock.setTimeout(() => this.digits.push(key), at);
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }
  play(prompt: { text?: string }): Promise<'done'> {
    this.played.push(prompt.text ?? '<audio>');
    return new Promise((resolve) => this.clock.setTimeout(() => resolve('done'), this.playMs));
  }
  nextDigit(timeoutMs: number): Promise<string | undefined> {
    return this.digits.next(timeoutMs, this.controller.signal);
  }
  clearDigits(): void {
    this.digits.clear();
  }
  hangup(): Promise<void> {
    this.hungUp = true;
    return Promise.resolve();
  }
}

const flow: Flow = (() => {
  const result = validateFlow(restaurantFlow);
  assert.ok(result.ok, JSON.stringify(result));
  assert.deepEqual(result.warnings, [], 'schedule.reopens is known to be set before it is spoken');
  return result.flow;
})();

/** Taipei wall time → instant. */
const taipei = (month: number, day: number, hour: number, minute: number): number => Date.UTC(2026, month - 1, day, hour - 8, minute);

async function call(at: number, opts: { schedule?: Schedule; keys?: Array<[number, string]>; playMs?: number; timeZone?: string } = {}) {
  const clock = new ManualClock(0, at);
  const caller = new Caller(clock, opts.keys, opts.playMs);
  const schedule = opts.schedule ?? restaurant();
  const run = runFlow(flow, caller, {
    clock,
    caller: { number: '0912345678' },
    call: { id: 'c1' },
    line: { name: '餐廳', number: '4008003333', timeZone: opts.timeZone ?? 'Asia/Taipei' },
    schedules: (name) => (name === 'restaurant' ? schedule : undefined),
  });
  let out: FlowOutcome | undefined;
  void run.then((o) => (out = o));
  for (let t = 0; t < 600_000 && out === undefined; t += 100) {
    await new Promise((r) => setImmediate(r));
    if (out === undefined) clock.advance(100);
  }
  assert.ok(out, 'the flow ended');
  const reopens = out.journey.flatMap((e) => (e.kind === 'set' && e.name === 'schedule.reopens' ? [e.value] : []));
  const nodes = out.journey.flatMap((e) => (e.kind === 'node' ? [e.node] : []));
  return { out, caller, reopens, nodes };
}

/** Exactly one prompt, the after-hours message naming `when`, then our hangup. */
async function closedCall(at: number, when: string, opts: Parameters<typeof call>[1] = {}): Promise<void> {
  const { out, caller, reopens } = await call(at, opts);
  const expected = `您好,感谢您致电本餐厅。我们现在已经打烊,将于${when}开始营业。订位请在营业时间内再来电,或访问我们的网站在线预订。谢谢!`;
  assert.deepEqual(caller.played, [expected], 'only the after-hours message, naming when it reopens');
  assert.equal(expected, restaurantAfterHoursMessage(opts.schedule ?? restaurant(), at), 'the words of src/schedules/presets.ts');
  assert.deepEqual(reopens, [when], 'the schedule node set schedule.reopens once');
  assert.equal(out.variables['schedule.reopens'], when);
  assert.equal(out.end, 'hangup');
  assert.ok(caller.hungUp, 'we hung up');
}

/** Open: the welcome and the menu; no key → goodbye; nothing says closed. */
async function openCall(at: number, opts: Parameters<typeof call>[1] = {}): Promise<void> {
  const { out, caller, reopens } = await call(at, opts);
  assert.deepEqual(caller.played.slice(0, 2), [RESTAURANT_WELCOME, RESTAURANT_MENU], 'welcome, then the menu');
  assert.deepEqual(reopens, [], 'no reopening time while open');
  assert.equal(out.variables['schedule.reopens'], undefined);
  assert.ok(!caller.played.some((t) => t.includes('打烊')), 'nothing says it is closed');
}

describe('restaurant flow: closed, with when it reopens', () => {
  test('Monday, closed all day (公休): reopens tomorrow, Tuesday 11:30', async () => {
    await closedCall(taipei(11, 23, 12, 0), '明天(周二)11:30');
    await closedCall(taipei(11, 23, 18, 0), '明天(周二)11:30');
  });

  test('13:59 is lunch; 14:00 is closed until 17:30 today', async () => {
    await openCall(taipei(11, 24, 13, 59));
    await closedCall(taipei(11, 24, 14, 0), '今天 17:30');
  });

  test('21:29 is dinner; 21:30 is closed until tomorrow 11:30, and Sunday 21:30 until Tuesday', async () => {
    await openCall(taipei(11, 24, 21, 29));
    await closedCall(taipei(11, 24, 21, 30), '明天(周三)11:30');
    await closedCall(taipei(11, 29, 21, 30), '后天(周二)11:30');
  });

  test('just after midnight: "today" is the new local day', async () => {
    // Tuesday 00:00 and 00:01 Taipei (Monday 16:00 UTC): the restaurant opens today.
    await closedCall(taipei(11, 24, 0, 0), '今天 11:30');
    await closedCall(taipei(11, 24, 0, 1), '今天 11:30');
    // Monday 00:01, just after Sunday: Monday is 公休, so tomorrow.
    await closedCall(taipei(11, 23, 0, 1), '明天(周二)11:30');
  });

  test('11:29 is closed until 11:30 today; 11:30 is open', async () => {
    await closedCall(taipei(11, 25, 11, 29), '今天 11:30');
    await openCall(taipei(11, 25, 11, 30));
  });

  test('a holiday: the holiday message (今天店休) with the day after', async () => {
    const christmas: Schedule = { ...restaurant(), holidays: [{ date: '2026-12-25', name: '圣诞节' }] };
    const { out, caller, reopens, nodes } = await call(taipei(12, 25, 12, 0), { schedule: christmas });
    assert.deepEqual(caller.played, ['您好,感谢您致电本餐厅。今天店休,我们将于明天(周六)11:30开始营业。订位请在营业时间内再来电,或访问我们的网站在线预订。谢谢!']);
    assert.deepEqual(reopens, ['明天(周六)11:30']);
    assert.deepEqual(nodes, ['hours', 'holiday', 'holidayNotice', 'end'], 'the holiday branch');
    assert.equal(out.end, 'hangup');
  });

  test('a holiday on Tuesday after 公休 Monday: Sunday night names the date, Wednesday', async () => {
    const tuesdayOff: Schedule = { ...restaurant(), holidays: [{ date: '2026-11-24' }] };
    await closedCall(taipei(11, 22, 22, 0), '11月25日(周三)11:30', { schedule: tuesdayOff });
    await closedCall(taipei(11, 23, 12, 0), '后天(周三)11:30', { schedule: tuesdayOff });
  });

  test('a line in another time zone: its own local hours and local "today"', async () => {
    // 05:30 UTC on Tuesday: 13:30 in Taipei (lunch), 14:30 in Tokyo (closed until 17:30),
    // and still Monday 21:30 in Los Angeles (公休, so tomorrow, Tuesday, in LA).
    const instant = Date.UTC(2026, 10, 24, 5, 30);
    await openCall(instant);
    await closedCall(instant, '今天 17:30', { schedule: restaurant('Asia/Tokyo'), timeZone: 'Asia/Tokyo' });
    await closedCall(instant, '明天(周二)11:30', { schedule: restaurant('America/Los_Angeles'), timeZone: 'America/Los_Angeles' });
  });

  test('a schedule that never opens again: the fixed after-hours message, schedule.reopens empty', async () => {
    const never: Schedule = { timeZone: 'Asia/Taipei', weekly: { mon: [], tue: [], wed: [], thu: [], fri: [], sat: [], sun: [] }, holidays: [] };
    const { caller, reopens, nodes } = await call(taipei(11, 24, 12, 0), { schedule: never });
    assert.deepEqual(caller.played, [RESTAURANT_AFTER_HOURS_MESSAGE]);
    assert.deepEqual(reopens, ['']);
    assert.deepEqual(nodes, ['hours', 'closed', 'afterHoursFixed', 'end']);
  });
});

describe('restaurant flow: open', () => {
  test('1 hears the hours, then 2 books (queue restaurant-staff, skill booking)', async () => {
    const { out, caller, nodes } = await call(taipei(11, 24, 12, 0), { keys: [[1000, '1'], [3000, '2']], playMs: 500 });
    assert.deepEqual(caller.played, [RESTAURANT_WELCOME, RESTAURANT_MENU, RESTAURANT_HOURS, RESTAURANT_MENU]);
    assert.deepEqual(nodes, ['hours', 'welcome', 'menu', 'hoursInfo', 'menu', 'bookingOpen', 'booking']);
    assert.equal(out.end, 'queue');
    assert.deepEqual(out.target, { kind: 'queue', queue: 'restaurant-staff', skills: ['booking'] });
  });

  test('0 reaches the staff queue', async () => {
    const { out } = await call(taipei(11, 24, 18, 0), { keys: [[1000, '0']] });
    assert.deepEqual(out.target, { kind: 'queue', queue: 'restaurant-staff' });
  });

  test('a caller who presses 2 after closing time hears the after-hours message, not a queue', async () => {
    // In the menu at 13:59:58; the key comes at 14:00:00.5.
    const { out, caller, reopens, nodes } = await call(taipei(11, 24, 13, 59) + 58_000, { keys: [[2500, '2']] });
    assert.deepEqual(nodes, ['hours', 'welcome', 'menu', 'bookingOpen', 'closed', 'afterHours', 'end']);
    assert.equal(caller.played.at(-1), '您好,感谢您致电本餐厅。我们现在已经打烊,将于今天 17:30开始营业。订位请在营业时间内再来电,或访问我们的网站在线预订。谢谢!');
    assert.deepEqual(reopens, ['今天 17:30']);
    assert.equal(out.end, 'hangup');
  });
});
