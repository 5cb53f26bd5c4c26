/**
 * The flow's `callback` node on a live call (issue 4 §4, a slot the caller picks), over real
 * SIP/RTP in one process: the caller hears the next open slots of the queue's calling windows
 * in the line's time zone, presses 2, and the scheduled callback — due at the second slot's
 * start, with the number, line, IVR path and digits — is in the store BEFORE the confirmation
 * that names the slot starts to play. A caller who presses nothing books nothing.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { realClock } from '../../src/clock.ts';
import { callbackSlots, slotText } from '../../src/acd/calling-window.ts';
import { flowsRepository } from '../../src/store/repositories/flows.ts';
import { linesRepository } from '../../src/store/repositories/lines.ts';
import { queuesRepository } from '../../src/store/repositories/queues.ts';
import { callbacksRepository } from '../../src/store/repositories/callbacks.ts';
import { startAcdNode, type AcdNode } from './node.ts';

const clock = realClock();
let node: AcdNode;
const NUMBER = '4008009999';
const QUICK_NUMBER = '4008009998';
const TZ = 'Asia/Taipei';
const WINDOWS = [{ days: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const, open: '08:00', close: '22:00' }];

before(async () => {
  node = await startAcdNode({ sipPort: 44100, callerPort: 44101, rtpPorts: '44500-44599' });
  const db = node.store.db;
  const queues = queuesRepository(db, clock);
  const q = await queues.get(node.tenantId, 'egou-orders');
  await queues.update(node.tenantId, 'egou-orders', { ...q.config, callbacks: { ...q.config.callbacks, windows: WINDOWS.map((w) => ({ ...w, days: [...w.days] })) } }, 'test');
  const lines = linesRepository(db, clock);
  const line = await lines.createLine(node.tenantId, { name: 'callback booking', timeZone: TZ }, 'test');
  await lines.addNumber(node.tenantId, line.id, NUMBER, 'test');
  const flows = flowsRepository(db, clock);
  const { version } = await flows.push(
    node.tenantId,
    {
      version: 1,
      name: 'book-callback',
      start: 'hello',
      nodes: {
        hello: { type: 'say', prompt: { text: '您好' }, next: 'book' },
        book: { type: 'callback', queue: 'egou-orders', prompt: { text: '我們可以在您方便的時段回電。' }, slots: 3, slotMinutes: 60, leadMinutes: 30, timeoutSeconds: 4, retries: 0 },
      },
    },
    'test',
  );
  await flows.publish(node.tenantId, 'book-callback', version.version, 'test');
  await lines.setFlow(node.tenantId, line.id, 'book-callback', 'test');
  // A second line offering one slot with a short wait for the key: the no-key case.
  const quick = await lines.createLine(node.tenantId, { name: 'callback booking, one slot', timeZone: TZ }, 'test');
  await lines.addNumber(node.tenantId, quick.id, QUICK_NUMBER, 'test');
  const one = await flows.push(
    node.tenantId,
    { version: 1, name: 'book-one', start: 'book', nodes: { book: { type: 'callback', queue: 'egou-orders', slots: 1, timeoutSeconds: 1, retries: 0 } } },
    'test',
  );
  await flows.publish(node.tenantId, 'book-one', one.version.version, 'test');
  await lines.setFlow(node.tenantId, quick.id, 'book-one', 'test');
});

after(async () => {
  await node?.close();
});

test('the caller picks the second slot: stored as a scheduled callback before the confirmation names it', async () => {
  const callbacks = callbacksRepository(node.store.db, clock);
  const before = clock.wallNow();
  let atConfirmation: number | undefined;
  let menu: string | undefined;
  let menuStarted!: () => void;
  const menuPlaying = new Promise<void>((resolve) => (menuStarted = resolve));
  node.prompts.onPrompt = async (text) => {
    if (text.startsWith('請選擇回撥時段')) {
      menu = text;
      menuStarted();
    }
    if (text.startsWith('已為您預約回撥')) atConfirmation = (await callbacks.list(node.tenantId)).filter((c) => c.kind === 'scheduled').length;
  };
  const session = await node.dial(NUMBER, 44550);
  const callId = await node.callIdOf(session.callId);
  await menuPlaying;
  await node.press(session, '2'); // while the slots are being read: the key cuts the list short
  await session.ended;
  node.prompts.onPrompt = undefined;
  const after = clock.wallNow();

  // The slots the caller heard are the ones of the windows at the time of the call.
  const expected = [before, after].map((t) => callbackSlots(WINDOWS.map((w) => ({ ...w, days: [...w.days] })), TZ, t, { count: 3, minutes: 60, leadMinutes: 30 }));
  assert.ok(menu, 'the menu was read');
  assert.ok(expected.some((slots) => slots.length === 3 && menu === `請選擇回撥時段：${slots.map((s, i) => `${slotText(s, before, TZ)}，請按${i + 1}`).join('；')}。`), `menu: ${menu}`);
  assert.equal(atConfirmation, 1, 'the callback was committed before the confirmation played');

  const [cb] = (await callbacks.list(node.tenantId)).filter((c) => c.kind === 'scheduled');
  assert.ok(cb, 'a scheduled callback');
  const slot = expected.map((s) => s[1]!).find((s) => s.start === cb.dueAt?.getTime());
  assert.ok(slot, `due at the second slot's start: ${cb.dueAt?.toISOString()}`);
  assert.equal(cb.windowStart?.getTime(), slot.start);
  assert.equal(cb.windowEnd?.getTime(), slot.end);
  assert.equal(cb.nextAttemptAt?.getTime(), slot.start, 'not worked before the slot');
  assert.equal(cb.callerNumber, '0912345678');
  assert.equal(cb.queue, 'egou-orders');
  assert.equal(cb.callId, callId);
  assert.equal(cb.state, 'pending');
  assert.ok(cb.ivrPath.includes('book') && cb.digits.endsWith('2'), `path and digits kept: ${cb.ivrPath.join('>')} ${cb.digits}`);
  const journey = node.journeyOf(callId);
  assert.ok(journey.some((e) => e.kind === 'digit' && e.node === 'callback' && e.digit === '2'), 'the key is in the journey');
  const read = journey.find((e) => e.kind === 'prompt' && (e.text ?? '').startsWith('請選擇回撥時段'));
  assert.equal(read?.kind === 'prompt' ? read.result : undefined, 'interrupted', 'the key ended the list');
  const confirmation = journey.find((e) => e.kind === 'prompt' && (e.text ?? '').startsWith('已為您預約回撥'));
  assert.equal(confirmation?.kind === 'prompt' ? confirmation.text : undefined, `已為您預約回撥，我們將在${slotText(slot, before, TZ)}之間回撥給您。感謝您的來電，再見。`);
  await callbacks.cancel(node.tenantId, cb.id, 'test');
});

test('no key: nothing is booked and the caller is told so', async () => {
  const callbacks = callbacksRepository(node.store.db, clock);
  const count = (await callbacks.list(node.tenantId)).length;
  const session = await node.dial(QUICK_NUMBER, 44552);
  const callId = await node.callIdOf(session.callId);
  await session.ended;
  assert.equal((await callbacks.list(node.tenantId)).length, count, 'no callback stored');
  const journey = node.journeyOf(callId);
  assert.ok(journey.some((e) => e.kind === 'no-input' && e.node === 'callback'), 'the missing key is in the journey');
  assert.ok(journey.some((e) => e.kind === 'prompt' && (e.text ?? '').startsWith('您沒有選擇回撥時段')), 'told nothing was booked');
});
