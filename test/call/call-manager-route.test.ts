/**
 * The call manager's routing hook on real SIP over loopback: a refusal is sent as the
 * final response with no media leg taken; the route value and the dialled number reach
 * the call; a caller that CANCELs while the number is being looked up gets 487 and no
 * leg; a hook that throws is a 500, not a crash.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { realClock } from '../../src/clock.ts';
import { silentLogger } from '../../src/log.ts';
import { MediaEngine } from '../../src/media/engine.ts';
import { UserAgent } from '../../src/sip/ua/user-agent.ts';
import { InviteFailedError } from '../../src/sip/ua/outbound-invite.ts';
import { CallManager, type RouteDecision } from '../../src/call/call-manager.ts';
import type { Call } from '../../src/call/call.ts';
import type { SipRequest } from '../../src/sip/message.ts';
import { numberOfUri } from '../../src/call/dialled.ts';

const closers: (() => Promise<unknown>)[] = [];
after(async () => {
  for (const c of closers.reverse()) await c();
});

const sdp = Buffer.from('v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 33980 RTP/AVP 0\r\n');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('route: refuse without a leg, carry the route, 487 on CANCEL during the lookup, 500 when the hook throws', async () => {
  const clock = realClock();
  const media = await MediaEngine.start({ host: '127.0.0.1', portRange: '32700-32719', workers: 1 });
  closers.push(() => media.close());
  const server = await UserAgent.start({ listen: { host: '127.0.0.1', port: 32260 } });
  closers.push(() => server.close());
  const caller = await UserAgent.start({ listen: { host: '127.0.0.1', port: 32261 } });
  closers.push(() => caller.close());

  let release: (() => void) | undefined;
  let lookups = 0;
  const route = async (request: SipRequest): Promise<RouteDecision> => {
    lookups++;
    const n = numberOfUri(request.uri);
    if (n === '4000000001') return { route: { line: 'one' }, dialled: '4000000001' };
    if (n === '4000000002') {
      await new Promise<void>((r) => (release = r));
      return { route: { line: 'slow' } };
    }
    if (n === '4000000003') throw new Error('store down');
    return { reject: { status: 404, reason: 'Not Found' } };
  };
  const calls = new CallManager({ ua: server, media, clock, logger: silentLogger(), mediaAddress: '127.0.0.1', route });
  const answered: Call[] = [];
  calls.onCall((call) => void answered.push(call));
  const dial = (n: string, signal?: AbortSignal) =>
    caller.invite({ uri: `sip:${n}@127.0.0.1:32260`, from: 'sip:0912345678@127.0.0.1', sdp, ...(signal ? { signal } : {}) });
  const status = (p: Promise<unknown>) => p.then(() => 200, (e: unknown) => (e instanceof InviteFailedError ? e.status : -1));

  assert.equal(await status(dial('4999999999')), 404, "refused with the hook's status");
  assert.equal(media.legCount, 0, 'no leg for a refused INVITE');

  const session = await dial('4000000001');
  for (let i = 0; i < 100 && answered.length === 0; i++) await sleep(10);
  assert.deepEqual(answered[0]?.route, { line: 'one' }, 'the route value is on the call');
  assert.equal(answered[0]?.to, '4000000001', 'the dialled number the hook matched');
  await session.bye();

  const abort = new AbortController();
  const cancelled = status(dial('4000000002', abort.signal));
  for (let i = 0; i < 100 && release === undefined; i++) await sleep(10);
  assert.ok(release, 'the lookup is in progress');
  abort.abort();
  assert.equal(await cancelled, 487, 'CANCEL during the lookup: 487');
  release();
  await sleep(100);
  assert.equal(answered.length, 1, 'the cancelled INVITE was not answered after the lookup');

  assert.equal(await status(dial('4000000003')), 500, 'a failing hook is a 500');
  for (let i = 0; i < 100 && media.legCount > 0; i++) await sleep(10);
  assert.equal(media.legCount, 0, 'every leg released');
  assert.equal(lookups, 4);
});
