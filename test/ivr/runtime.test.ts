/**
 * Live calls run their lines' published flows: real SIP calls from our own UAC into a
 * UserAgent + MediaEngine + FlowRuntime over a PGlite store seeded with the demo, prompts
 * spoken by espeak-ng. E購網 (4008001111) runs the Double-11 flow; SKTickets (4008002222)
 * hears its banner only once an outage is set, and a call already past the banner is not
 * affected; an unknown number gets 404 without a media leg; every call leaves a record
 * with its SIP Call-ID and journey.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { EGOU_ORDER_STATUS, EGOU_WELCOME, EGOU_MENU } from '../../src/demo/egou-prompts.ts';
import { InviteFailedError } from '../../src/sip/ua/outbound-invite.ts';
import { callsRepository } from '../../src/store/repositories/calls.ts';
import { linesRepository } from '../../src/store/repositories/lines.ts';
import { announcementsRepository } from '../../src/store/repositories/announcements.ts';
import { flowsRepository } from '../../src/store/repositories/flows.ts';
import type { FlowInput } from '../../src/flows/schema.ts';
import { realClock } from '../../src/clock.ts';
import type { JourneyEntry } from '../../src/flows/interpreter.ts';
import { startNode, type Node } from './harness.ts';

let node: Node;
before(async () => {
  node = await startNode({ sipPort: 32060, rtpPorts: '32500-32599', callerPort: 32061 });
});
after(async () => {
  await node?.close();
});

const nodesOf = (j: JourneyEntry[]): string[] => j.flatMap((e) => (e.kind === 'node' ? [e.node] : []));
const promptsOf = (j: JourneyEntry[]) => j.flatMap((e) => (e.kind === 'prompt' ? [e] : []));

test('4008001111 runs the Double-11 flow: welcome, menu, 1 → the order-status answer; digits logged; record stored', async () => {
  const session = await node.dial('4008001111', { rtpPort: 33900 });
  const callId = await node.callIdOf(session.callId);
  // Key 1 during the welcome: barge-in, then the menu takes the typed-ahead key.
  await node.until(() => nodesOf(node.journeyOf(callId)).includes('welcome'), 'the welcome node');
  await node.press(session, '1');
  await node.until(() => nodesOf(node.journeyOf(callId)).includes('orderStatus'), 'the order-status node');
  await node.press(session, '*');
  await node.until(() => promptsOf(node.journeyOf(callId)).some((p) => p.node === 'orderStatus'), 'the order-status prompt');
  await session.bye();
  await node.until(() => node.events.some((e) => e.type === 'call.ended' && e.callId === callId), 'call.ended');

  const journey = node.journeyOf(callId);
  assert.deepEqual(nodesOf(journey).slice(0, 3), ['welcome', 'menu', 'orderStatus'], 'welcome → menu → order status');
  const prompts = promptsOf(journey);
  assert.equal(prompts[0]?.text, EGOU_WELCOME, 'the Double-11 welcome was played first');
  assert.equal(prompts[1]?.text, EGOU_MENU, 'then the menu');
  assert.equal(prompts[2]?.text, EGOU_ORDER_STATUS, 'then the order-status answer, word for word');
  assert.equal(prompts[2]?.result, 'interrupted', '* interrupted it');
  const digits = journey.flatMap((e) => (e.kind === 'digit' ? [[e.node, e.digit]] : []));
  assert.deepEqual(digits.slice(0, 2), [['menu', '1'], ['orderStatus', '*']], 'the keys as the flow consumed them');
  const digitLines = node.logs.filter((l) => l.msg === 'digit' && l.callId === session.callId).map((l) => l.digit);
  assert.deepEqual(digitLines, ['1', '*'], 'each consumed key is logged with the SIP Call-ID');

  const calls = callsRepository(node.store.db, realClock());
  const rec = await calls.get(node.tenantId, session.callId);
  assert.equal(rec.id, callId, 'the record is found by the SIP Call-ID');
  assert.equal(rec.outcome, 'caller-hangup');
  assert.equal(rec.dialled, '4008001111');
  assert.equal(rec.caller, '0912345678');
  assert.ok(rec.endedAt, 'ended');
  assert.equal(rec.flowVersion, 1);
  assert.deepEqual(rec.legs, [{ role: 'caller', sipCallId: session.callId }]);
  assert.deepEqual(nodesOf(rec.journey), nodesOf(journey), 'the stored journey is the one the bus carried');
  assert.equal(node.runtime.live(node.tenantId, callId), undefined, 'no longer live');
});

test('4008002222: no banner until an outage is set; the next call hears it, a call past the banner does not', async () => {
  const lines = linesRepository(node.store.db, realClock());
  const line = await lines.lineForCall('4008002222');
  assert.ok(line, 'SKTickets is seeded');
  const announcements = announcementsRepository(node.store.db, realClock());

  // Call A: the banner slot is empty; press 1 during the welcome, so A is in the menu.
  const a = await node.dial('4008002222', { rtpPort: 33910 });
  const aId = await node.callIdOf(a.callId);
  await node.until(() => nodesOf(node.journeyOf(aId)).includes('welcome'), 'A: welcome');
  await node.press(a, '0'); // barge-in: the welcome stops; 0 stays typed ahead…
  await node.until(() => nodesOf(node.journeyOf(aId)).includes('banner'), 'A: banner node');
  assert.ok(node.runtime.live(node.tenantId, a.callId), 'A is live, found by its SIP Call-ID');
  assert.equal(promptsOf(node.journeyOf(aId)).filter((p) => p.slot === 'banner').length, 0, 'A heard no banner (empty slot)');

  // The outage is set through the repository and the runtime is told, as the API does.
  const state = await announcements.set(node.tenantId, line.lineId, 'banner', { preset: 'outage', values: { time: '15:00', url: 'sktickets.example' }, by: 'test' });
  node.runtime.announcementChanged(node.tenantId, line.lineId, state);
  assert.ok(state.text?.includes('預計於 下午3點 恢復正常'), `the outage text is rendered, its time spoken: ${state.text}`);
  assert.equal(node.runtime.announcements.current(node.tenantId, line.lineId, 'banner')?.version, state.version, 'applied at once, no poll needed');
  assert.ok(node.prompts.has(state.text!), 'its text is being rendered before any caller reaches it');

  // Call B hears it (no key pressed: the welcome plays out, then the banner).
  const b = await node.dial('4008002222', { rtpPort: 33920 });
  const bId = await node.callIdOf(b.callId);
  await node.until(() => promptsOf(node.journeyOf(bId)).some((p) => p.slot === 'banner'), 'B: the banner prompt', 60_000);
  const heard = promptsOf(node.journeyOf(bId)).find((p) => p.slot === 'banner')!;
  assert.equal(heard.text, state.text, 'B heard the outage text');
  assert.equal(heard.version, state.version, 'and the journey records its version');
  await b.bye();

  // A, already past the banner, goes on unchanged: 0 in the menu is the agent queue.
  await node.until(() => nodesOf(node.journeyOf(aId)).includes('agent'), 'A: agent (queue) node');
  assert.equal(promptsOf(node.journeyOf(aId)).filter((p) => p.slot === 'banner').length, 0, 'A never hears the banner');
  await node.until(() => node.runtime.live(node.tenantId, aId)?.outcome === 'queue', 'A: in the queue placeholder');
  await a.bye();
  await node.until(() => node.events.some((e) => e.type === 'call.ended' && e.callId === aId), 'A ended');
  const rec = await callsRepository(node.store.db, realClock()).get(node.tenantId, aId);
  assert.equal(rec.outcome, 'queue', 'A ended in the queue placeholder');
  assert.deepEqual(rec.target, { kind: 'queue', queue: 'sktickets-incidents' });
});

test('an unknown number gets 404 Not Found and takes no media leg', async () => {
  await node.until(() => node.calls.size === 0 && node.media.legCount === 0, 'earlier calls released');
  const legsBefore = node.media.legCount;
  const callsBefore = node.calls.size;
  const err = await node.dial('4009999999', { rtpPort: 33930 }).then(
    () => assert.fail('the call was answered'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof InviteFailedError, `an INVITE failure, got ${String(err)}`);
  assert.equal(err.status, 404);
  assert.equal(node.media.legCount, legsBefore, 'no media leg was taken');
  assert.equal(node.calls.size, callsBefore, 'no call');
  assert.ok(node.logs.some((l) => l.msg === 'INVITE refused: routing' && l.status === 404), 'the refusal is logged');
});

test('a transfer without a trunk ends as an error "no trunk" and the caller is hung up', async () => {
  await node.lineWithFlows('4008003335', [
    { version: 1, name: 'test-no-trunk', start: 'xfer', nodes: { xfer: { type: 'transfer', to: '0911000111' } } },
  ]);
  const session = await node.dial('4008003335', { rtpPort: 33940 });
  const callId = await node.callIdOf(session.callId);
  const end = await session.ended;
  assert.equal(end.reason, 'remote-bye', 'we hung up');
  await node.until(() => node.events.some((e) => e.type === 'call.ended' && e.callId === callId), 'call.ended');
  const rec = await callsRepository(node.store.db, realClock()).get(node.tenantId, callId);
  assert.equal(rec.outcome, 'error');
  const last = rec.journey.at(-1);
  assert.ok(last?.kind === 'end' && last.end === 'error' && last.reason === 'no trunk', `journey ends with the reason: ${JSON.stringify(last)}`);
});

test('a line whose flow is detached refuses calls with 480 before answering, recorded as rejected', async () => {
  const { lineId } = await node.lineWithFlows('4008003336', [
    { version: 1, name: 'test-detached', start: 'bye', nodes: { bye: { type: 'hangup' } } },
  ]);
  await linesRepository(node.store.db, realClock()).setFlow(node.tenantId, lineId, null, 'test');
  await node.until(() => node.calls.size === 0 && node.media.legCount === 0, 'earlier calls released');
  const legsBefore = node.media.legCount;
  const err = await node.dial('4008003336', { rtpPort: 33942 }).then(
    () => assert.fail('answered'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof InviteFailedError && err.status === 480, `480, got ${String(err)}`);
  assert.equal(node.media.legCount, legsBefore, 'no media leg was taken');
  const recs = await callsRepository(node.store.db, realClock()).list(node.tenantId, { lineId });
  assert.equal(recs.length, 1, 'one record');
  assert.equal(recs[0]!.outcome, 'rejected');
});

test('a new published version reaches the next call; a call in progress keeps the version it started with', async () => {
  const version = (n: number): FlowInput => ({
    version: 1,
    name: 'test-versions',
    start: 'm',
    nodes: {
      m: { type: 'menu', prompt: { text: `版本${n}。` }, options: { '1': 'bye' }, timeoutMs: 60_000, retries: 0 },
      bye: { type: 'say', prompt: { text: `再見${n}。` }, next: 'end' },
      end: { type: 'hangup' },
    },
  });
  await node.lineWithFlows('4008003337', [version(1)]);
  const x = await node.dial('4008003337', { rtpPort: 33944 });
  const xId = await node.callIdOf(x.callId);
  await node.until(() => promptsOf(node.journeyOf(xId)).some((p) => p.text === '版本1。'), 'X: version 1 menu played');

  const flows = flowsRepository(node.store.db, realClock());
  const pushed = await flows.push(node.tenantId, version(2), 'test');
  await flows.publish(node.tenantId, pushed.flow.id, 2, 'test');
  node.runtime.flowPublished(node.tenantId, pushed.flow.id);

  const y = await node.dial('4008003337', { rtpPort: 33946 });
  const yId = await node.callIdOf(y.callId);
  const started = node.events.find((e) => e.type === 'call.started' && e.callId === yId);
  assert.ok(started?.type === 'call.started' && started.flow?.version === 2, 'Y runs version 2');
  await node.until(() => promptsOf(node.journeyOf(yId)).some((p) => p.text === '版本2。'), 'Y: version 2 menu played');

  await node.press(x, '1');
  await x.ended;
  assert.ok(promptsOf(node.journeyOf(xId)).some((p) => p.text === '再見1。'), 'X went on with version 1');
  assert.ok(!promptsOf(node.journeyOf(xId)).some((p) => p.text?.includes('2')), 'X heard nothing of version 2');
  await y.bye();
  await node.until(() => node.events.some((e) => e.type === 'call.ended' && e.callId === yId), 'Y ended');
  const recX = await callsRepository(node.store.db, realClock()).get(node.tenantId, xId);
  assert.equal(recX.flowVersion, 1, 'X is recorded with version 1');
  assert.equal(recX.outcome, 'hangup');
});
