/**
 * What happens after a flow ends, on real calls: a transfer is a B2BUA call through the
 * trunk (a second user agent plays the carrier) with the legs bridged, either side's BYE
 * ends the other, and a refused transfer is recorded as an error; goto runs another
 * published flow from the node it names; the voicemail and queue placeholders end the
 * call; the record is written while the call runs (progress) and at its end.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { realClock } from '../../src/clock.ts';
import type { JourneyEntry } from '../../src/flows/interpreter.ts';
import type { FlowInput } from '../../src/flows/schema.ts';
import { UserAgent } from '../../src/sip/ua/user-agent.ts';
import type { SipSession } from '../../src/sip/ua/session.ts';
import { callsRepository } from '../../src/store/repositories/calls.ts';
import { numberOfUri } from '../../src/call/dialled.ts';
import { parseNameAddr, getHeader } from '../../src/sip/headers.ts';
import { createServer, type Server } from 'node:http';
import { isOpen } from '../../src/schedules/evaluate.ts';
import { schedulesRepository } from '../../src/store/repositories/schedules.ts';
import { startNode, type Node } from './harness.ts';

const CARRIER_PORT = 32170;
let node: Node;
let carrier: UserAgent;
const carried: { to: string | undefined; from: string | undefined; session: SipSession }[] = [];

const transferFlow = (name: string, to: string): FlowInput => ({
  version: 1,
  name,
  start: 'hello',
  nodes: {
    hello: { type: 'say', prompt: { text: '請稍候。' }, next: 'xfer' },
    xfer: { type: 'transfer', to },
  },
});

before(async () => {
  node = await startNode({
    sipPort: 32160,
    rtpPorts: '32600-32699',
    callerPort: 32161,
    runtime: { trunk: `sip:127.0.0.1:${CARRIER_PORT}`, progressMs: 100, queueHoldMs: 400 },
  });
  carrier = await UserAgent.start({ listen: { host: '127.0.0.1', port: CARRIER_PORT } });
  carrier.onInvite((invite) => {
    const to = numberOfUri(invite.request.uri);
    if (to === '0911000486') {
      invite.reject(486, 'Busy Here');
      return;
    }
    const sdp = 'v=0\r\no=- 2 2 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 33960 RTP/AVP 0 101\r\na=rtpmap:101 telephone-event/8000\r\n';
    void invite.accept(Buffer.from(sdp)).then((session) => {
      carried.push({ to, from: numberOfUri(parseNameAddr(getHeader(invite.request, 'From')!).uri), session });
    });
  });
  await node.lineWithFlows('4008003331', [transferFlow('test-transfer', '0911000111')]);
  await node.lineWithFlows('4008003334', [transferFlow('test-transfer-busy', '0911000486')]);
  await node.lineWithFlows('4008003332', [
    {
      version: 1,
      name: 'test-goto',
      start: 'a',
      nodes: { a: { type: 'say', prompt: { text: '您好。' }, next: 'g' }, g: { type: 'goto', flow: 'test-target', node: 'b' } },
    },
    {
      version: 1,
      name: 'test-target',
      start: 'a',
      nodes: {
        a: { type: 'say', prompt: { text: '不應聽到這一句。' }, next: 'b' },
        b: { type: 'say', prompt: { text: '這是目標流程。' }, next: 'vm' },
        vm: { type: 'voicemail', mailbox: 'test', prompt: { text: '請留言。' } },
      },
    },
  ]);
  await node.lineWithFlows('4008003339', [{ version: 1, name: 'test-queue', start: 'q', nodes: { q: { type: 'queue', queue: 'test-agents' } } }]);
});
after(async () => {
  await carrier?.close();
  await node?.close();
});

const nodesOf = (j: JourneyEntry[]): string[] => j.flatMap((e) => (e.kind === 'node' ? [e.node] : []));
const calls = () => callsRepository(node.store.db, realClock());

test('transfer: the carrier is called through the trunk, legs bridged, progress recorded; the caller hanging up ends the carrier leg', async () => {
  const session = await node.dial('4008003331', { rtpPort: 33970 });
  const callId = await node.callIdOf(session.callId);
  await node.until(() => carried.length === 1, 'the carrier answered');
  const far = carried[0]!;
  assert.equal(far.to, '0911000111', 'the number is the user part of the trunk URI');
  assert.equal(far.from, '4008003331', 'the caller id defaults to the dialled line number');
  await node.until(() => node.logs.some((l) => l.msg === 'transfer answered: legs bridged' && l.callId === session.callId), 'bridged');
  await node.until(() => (node.runtime.live(node.tenantId, callId)?.legs.length ?? 0) === 2, 'the transfer leg on the live record');
  assert.deepEqual(node.runtime.live(node.tenantId, far.session.callId)?.id, callId, 'the live call is found by the transfer leg Call-ID too');
  // progress() while the call runs (every 100 ms here): the store has the journey, no end yet.
  let stored = await calls().get(node.tenantId, callId);
  for (let i = 0; i < 200 && !nodesOf(stored.journey).includes('xfer'); i++) {
    await new Promise((r) => setTimeout(r, 20));
    stored = await calls().get(node.tenantId, callId);
  }
  assert.equal(stored.endedAt, null, 'still running');
  assert.deepEqual(nodesOf(stored.journey), ['hello', 'xfer'], 'the journey so far is in the store');

  await session.bye();
  const end = await far.session.ended;
  assert.equal(end.reason, 'remote-bye', 'our B2BUA sent BYE to the carrier');
  await node.until(() => node.events.some((e) => e.type === 'call.ended' && e.callId === callId), 'call.ended');
  const rec = await calls().get(node.tenantId, callId);
  assert.equal(rec.outcome, 'transfer');
  assert.deepEqual(rec.target, { kind: 'transfer', to: '0911000111' });
  assert.deepEqual(rec.legs, [
    { role: 'caller', sipCallId: session.callId },
    { role: 'transfer', sipCallId: far.session.callId, to: '0911000111' },
  ]);
});

test('transfer: the far end hanging up ends the caller', async () => {
  const session = await node.dial('4008003331', { rtpPort: 33972 });
  await node.until(() => carried.length === 2, 'the carrier answered');
  await node.until(() => node.logs.some((l) => l.msg === 'transfer answered: legs bridged' && l.callId === session.callId), 'bridged');
  await carried[1]!.session.bye();
  const end = await session.ended;
  assert.equal(end.reason, 'remote-bye', 'the caller got our BYE');
});

test('a transfer the carrier refuses ends as an error with the status, and the caller is hung up', async () => {
  const session = await node.dial('4008003334', { rtpPort: 33974 });
  const callId = await node.callIdOf(session.callId);
  const end = await session.ended;
  assert.equal(end.reason, 'remote-bye', 'we hung up after saying so');
  await node.until(() => node.events.some((e) => e.type === 'call.ended' && e.callId === callId), 'call.ended');
  const rec = await calls().get(node.tenantId, callId);
  assert.equal(rec.outcome, 'error');
  const last = rec.journey.at(-1);
  assert.ok(last?.kind === 'end' && last.reason === 'transfer failed: 486 Busy Here', `the reason is recorded: ${JSON.stringify(last)}`);
});

test('goto runs the published target flow from its node; voicemail placeholder hangs up', async () => {
  const session = await node.dial('4008003332', { rtpPort: 33976 });
  const callId = await node.callIdOf(session.callId);
  const end = await session.ended;
  assert.equal(end.reason, 'remote-bye', 'the placeholder hung up');
  await node.until(() => node.events.some((e) => e.type === 'call.ended' && e.callId === callId), 'call.ended');
  const rec = await calls().get(node.tenantId, callId);
  assert.deepEqual(nodesOf(rec.journey), ['a', 'g', 'b', 'vm'], 'the target flow started at b, not at its start');
  assert.ok(rec.journey.some((e) => e.kind === 'prompt' && e.text === '這是目標流程。'), 'its prompt was played');
  assert.equal(rec.outcome, 'voicemail');
  assert.deepEqual(rec.target, { kind: 'voicemail', mailbox: 'test', maxSeconds: 120 });
});

test('the queue placeholder holds the caller, then hangs up when the hold time is over', async () => {
  const session = await node.dial('4008003339', { rtpPort: 33978 });
  const callId = await node.callIdOf(session.callId);
  await node.until(() => node.runtime.live(node.tenantId, callId)?.outcome === 'queue', 'held in the queue');
  const end = await session.ended;
  assert.equal(end.reason, 'remote-bye');
  await node.until(() => node.events.some((e) => e.type === 'call.ended' && e.callId === callId), 'call.ended');
  assert.equal((await calls().get(node.tenantId, callId)).outcome, 'queue');
});

test('http lookups and schedules in a live flow: the answer is spoken, the seeded schedule picks the branch', async () => {
  const asked: string[] = [];
  const http: Server = createServer((req, res) => {
    asked.push(req.url ?? '');
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ order: { status: '已出貨' } }));
  });
  await new Promise<void>((r) => http.listen(32480, '127.0.0.1', r));
  try {
    await node.lineWithFlows('4008003338', [
      {
        version: 1,
        name: 'test-lookup',
        start: 'lookup',
        nodes: {
          lookup: { type: 'http', method: 'GET', url: 'http://127.0.0.1:32480/orders/{{caller.number}}', assign: { status: 'order.status' }, onSuccess: 'speak', onError: 'oops' },
          speak: { type: 'say', prompt: { text: '您的訂單狀態是{{status}}。' }, next: 'hours' },
          oops: { type: 'say', prompt: { text: '查詢失敗。' }, next: 'hours' },
          hours: { type: 'schedule', schedule: 'office-hours', open: 'open', closed: 'closed' },
          open: { type: 'say', prompt: { text: '營業中。' }, next: 'end' },
          closed: { type: 'say', prompt: { text: '休息中。' }, next: 'end' },
          end: { type: 'hangup' },
        },
      },
    ]);
    const session = await node.dial('4008003338', { rtpPort: 33982 });
    const callId = await node.callIdOf(session.callId);
    await session.ended;
    await node.until(() => node.events.some((e) => e.type === 'call.ended' && e.callId === callId), 'call.ended');
    const rec = await calls().get(node.tenantId, callId);
    assert.deepEqual(asked, ['/orders/0912345678'], 'the lookup carried the caller number');
    assert.ok(rec.journey.some((e) => e.kind === 'http' && e.ok), 'the lookup succeeded');
    assert.ok(rec.journey.some((e) => e.kind === 'prompt' && e.text === '您的訂單狀態是已出貨。'), 'the answer was spoken');
    assert.equal(rec.variables.status, '已出貨');
    const schedule = (await schedulesRepository(node.store.db, realClock()).get(node.tenantId, 'office-hours')).schedule;
    const branch = isOpen(schedule, rec.startedAt.getTime()).open ? 'open' : 'closed';
    assert.equal(nodesOf(rec.journey).at(-2), branch, 'the seeded office-hours schedule chose the branch');
    assert.equal(rec.outcome, 'hangup');
  } finally {
    await new Promise<void>((r) => http.close(() => r()));
  }
});
