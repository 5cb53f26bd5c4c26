/**
 * Emergency staffing tiers live (issue 4 §8), over real SIP/RTP in one process: E購網's order
 * queue is served by group 'egou'; its tier 'surge' adds 'egou-backup' once 2 callers wait and
 * switches SKTickets' banner to its outage preset. Only agent 1004 (egou-backup) is logged in:
 * one waiting caller is not offered to him; the second one escalates the tier (a tier change
 * naming the outage preset is reported) and 1004's phone rings. When nobody waits any more the
 * tier is released after its hold time. (The preset switch itself: tier-announcer.test.ts.)
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { realClock } from '../../src/clock.ts';
import { queuesRepository } from '../../src/store/repositories/queues.ts';
import { TestPhone } from '../agents/phone.ts';
import { startAcdNode, PASSWORD, sleep, type AcdNode } from './node.ts';

const clock = realClock();
let node: AcdNode;
let p1004: TestPhone;

before(async () => {
  node = await startAcdNode({ sipPort: 44800, callerPort: 44801, rtpPorts: '44810-44899' });
  const queues = queuesRepository(node.store.db, clock);
  const q = await queues.get(node.tenantId, 'egou-orders');
  await queues.update(
    node.tenantId,
    'egou-orders',
    {
      ...q.config,
      requiredSkills: [],
      relax: [],
      tiers: [{ name: 'surge', when: { waitingAtLeast: 2 }, addGroups: ['egou-backup'], holdSeconds: 1, announcementPreset: { line: '4008002222', slot: 'banner', preset: 'outage' } }],
    },
    'test',
  );
  p1004 = await TestPhone.start({ extension: '1004', port: 44802, rtpPort: 44803 });
  p1004.behaviour = { kind: 'ring' };
  assert.equal(await p1004.register({ registrar: 44800, password: PASSWORD }), 200);
  const id = node.acd.agents.byExt('1004')!.id;
  await node.until(() => node.acd.agents.get(id)?.state === 'available', '1004 available');
});

after(async () => {
  await p1004?.close();
  await node?.close();
});

async function toQueue(rtpPort: number) {
  const session = await node.dial('4008001111', rtpPort);
  const callId = await node.callIdOf(session.callId);
  await node.until(() => node.journeyOf(callId).some((e) => e.kind === 'node' && e.node === 'welcome'), 'the welcome');
  await node.press(session, '0');
  await node.until(() => node.journeyOf(callId).some((e) => e.kind === 'set' && e.name === 'queue.entered'), 'queue entered');
  return { session, callId };
}

test('the second waiting caller escalates the tier and the backup agent rings; released when the queue empties', async () => {
  const first = await toQueue(44850);
  await sleep(2500); // routing runs every second: 1004 is not in 'egou'
  assert.equal(p1004.invites.length, 0, 'one waiting caller is not offered to a backup agent');
  assert.equal(node.tierChanges.length, 0, 'no tier yet');

  const second = await toQueue(44852);
  await node.until(() => p1004.invites.length >= 1, '1004 rings once the tier is active', 20_000);
  assert.deepEqual(node.tierChanges.map((c) => [c.queue, c.level, c.name, c.preset?.preset]), [['egou-orders', 1, 'surge', 'outage']]);
  assert.deepEqual(node.acd.engine.tiers.extraGroups(), { 'egou-orders': ['egou-backup'] });

  // Hang both callers up: the queue empties, the level is released after its hold time.
  await first.session.bye().catch(() => undefined);
  await second.session.bye().catch(() => undefined);
  await node.until(() => node.tierChanges.length === 2, 'the tier released', 20_000);
  assert.deepEqual(node.tierChanges.map((c) => [c.level, c.name]), [[1, 'surge'], [0, null]]);
  assert.deepEqual(node.acd.engine.tiers.extraGroups(), {});
});
