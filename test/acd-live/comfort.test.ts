/**
 * Comfort and peak-shifting messages while waiting (issue 4 §3, C9), over real SIP/RTP in one
 * process: E購網's order queue names the line's slots `peak` and `comfort`. A caller waiting with
 * no agent hears the position, the peak-shifting message once and the comfort message each time;
 * a supervisor's change of the comfort slot reaches the caller already waiting at the next one.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { realClock } from '../../src/clock.ts';
import { queuesRepository } from '../../src/store/repositories/queues.ts';
import { announcementsRepository } from '../../src/store/repositories/announcements.ts';
import { linesRepository } from '../../src/store/repositories/lines.ts';
import { startAcdNode, type AcdNode } from './node.ts';

const clock = realClock();
let node: AcdNode;
const PEAK = '目前為來電尖峰時段，建議您於離峰時段再撥，或至官網查詢。';
const COMFORT_1 = '感謝您的耐心等候，客服人員將盡快為您服務。';
const COMFORT_2 = '您也可以到官網查詢訂單進度。';

before(async () => {
  node = await startAcdNode({ sipPort: 44900, callerPort: 44901, rtpPorts: '44910-44999' });
  const queues = queuesRepository(node.store.db, clock);
  const q = await queues.get(node.tenantId, 'egou-orders');
  await queues.update(node.tenantId, 'egou-orders', { ...q.config, announcements: { ...q.config.announcements, positionEverySeconds: 2, comfortSlot: 'comfort', peakShiftingSlot: 'peak', offerCallbackAfterSeconds: 3600 } }, 'test');
});

after(async () => {
  await node?.close();
});

async function setSlot(slot: string, text: string): Promise<void> {
  const line = await linesRepository(node.store.db, clock).resolveLine(node.tenantId, '4008001111');
  const state = await announcementsRepository(node.store.db, clock).set(node.tenantId, line.id, slot, { text, expiresAt: null, by: 'supervisor' });
  node.runtime.announcementChanged(node.tenantId, line.id, state);
}

test('position, then peak-shifting once and comfort each time; a changed comfort text reaches the waiting caller', async () => {
  await setSlot('peak', PEAK);
  await setSlot('comfort', COMFORT_1);
  const session = await node.dial('4008001111', 44950);
  const callId = await node.callIdOf(session.callId);
  await node.until(() => node.journeyOf(callId).some((e) => e.kind === 'node' && e.node === 'welcome'), 'the welcome');
  await node.press(session, '0');
  const heard = (): string[] => node.journeyOf(callId).flatMap((e) => (e.kind === 'prompt' && e.node === 'queue' && e.text ? [e.text] : []));
  await node.until(() => heard().length >= 1, 'the first queue announcement', 30_000);
  const first = heard()[0]!;
  assert.match(first, /^您目前排在第1位/);
  assert.ok(first.includes(PEAK) && first.endsWith(COMFORT_1), `position, peak-shifting, comfort: ${first}`);

  await setSlot('comfort', COMFORT_2);
  await node.until(() => heard().some((t) => t.endsWith(COMFORT_2)), 'the new comfort text at a later announcement', 30_000);
  const later = heard().filter((t) => t.endsWith(COMFORT_2));
  assert.ok(later.every((t) => !t.includes(PEAK)), 'the peak-shifting message only once');
  await session.bye();
});
