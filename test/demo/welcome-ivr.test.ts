/**
 * The stand-in IVR on a real call (our UA calls a CallManager over loopback, real media),
 * with the IVR's silence timer on a ManualClock: digits are logged with the Call-ID, "*"
 * re-reads the menu, and exactly 60 s without a key ends the call with a BYE.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { ManualClock } from '../../src/clock.ts';
import { createLogger } from '../../src/log.ts';
import { MediaEngine } from '../../src/media/engine.ts';
import { encodeUlaw } from '../../src/media/codecs/g711.ts';
import { UserAgent } from '../../src/sip/ua/user-agent.ts';
import { CallManager } from '../../src/call/call-manager.ts';
import { runWelcomeIvr, WELCOME_PROMPTS } from '../../src/demo/welcome-ivr.ts';

const closers: (() => Promise<unknown>)[] = [];
after(async () => {
  for (const c of closers.reverse()) await c();
});

const tone = (ms: number) => encodeUlaw(Int16Array.from({ length: ms * 8 }, (_, i) => Math.round(3000 * Math.sin(i / 4))));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('digits are logged with the Call-ID, * repeats the menu, 60 s of silence ends the call', async () => {
  const lines: Record<string, unknown>[] = [];
  const log = createLogger({
    level: 'info',
    destination: new Writable({
      write(chunk: Buffer, _e, cb) {
        for (const l of chunk.toString().split('\n')) if (l) lines.push(JSON.parse(l) as Record<string, unknown>);
        cb();
      },
    }),
  });
  const clock = new ManualClock();
  const media = await MediaEngine.start({ host: '127.0.0.1', portRange: '26400-26499', workers: 1 });
  closers.push(() => media.close());
  for (const id of Object.keys(WELCOME_PROMPTS)) await media.loadPrompt(id, 'PCMU', tone(200));
  const server = await UserAgent.start({ listen: { host: '127.0.0.1', port: 0 } });
  closers.push(() => server.close());
  const calls = new CallManager({ ua: server, media, clock, logger: log, mediaAddress: '127.0.0.1' });
  const heard: string[] = [];
  const ivrDone = new Promise<void>((resolve) => calls.onCall((call) => runWelcomeIvr(call, { log, onDigit: (_c, d) => heard.push(d) }).then(resolve)));

  const caller = await UserAgent.start({ listen: { host: '127.0.0.1', port: 0 } });
  closers.push(() => caller.close());
  const session = await caller.invite({
    uri: `sip:4008001111@127.0.0.1:${server.transport.sentBy('udp').port}`,
    from: 'sip:13800138000@127.0.0.1',
    sdp: Buffer.from('v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 26390 RTP/AVP 0 101\r\na=rtpmap:101 telephone-event/8000\r\n'),
  });
  const press = async (digit: string) => {
    const res = await session.request('INFO', { headers: [{ name: 'Content-Type', value: 'application/dtmf-relay' }], body: Buffer.from(`Signal=${digit}\r\nDuration=160\r\n`) });
    assert.equal(res.status, 200);
    for (let i = 0; i < 100 && heard.at(-1) !== digit; i++) await sleep(10);
  };
  await sleep(400); // the welcome plays out
  await press('*');
  await press('1');
  assert.deepEqual(heard, ['*', '1']);
  const digitLines = lines.filter((l) => l.msg === 'digit');
  assert.deepEqual(
    digitLines.map((l) => [l.callId, l.digit]),
    [
      [session.callId, '*'],
      [session.callId, '1'],
    ],
  );
  await sleep(50);
  clock.advance(59_999);
  await sleep(300);
  assert.equal(session.isEnded, false, 'still up 1 ms before the 60 s');
  clock.advance(1);
  const end = await session.ended;
  assert.equal(end.reason, 'remote-bye');
  await ivrDone;
  assert.ok(lines.some((l) => l.msg === 'no key press: ending the call' && l.callId === session.callId), 'the hang-up is logged');
});
