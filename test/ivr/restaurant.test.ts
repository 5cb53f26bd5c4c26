/**
 * The seeded restaurant, called for real: our own UAC dials 餐廳 (4008003333) on a node whose
 * injected clock says it is Monday 12:00 in Taipei (公休) — a real clock for timers, its wall
 * time moved — and the journey holds the after-hours message naming when it opens again
 * (明天(周二)11:30), spoken by espeak-ng, before we hang up. Set up like test/ivr/harness.ts
 * (which runs on the real wall time), on this file's own ports: SIP 32600-32699, RTP 33600-33799.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import { realClock, type Clock } from '../../src/clock.ts';
import { createLogger } from '../../src/log.ts';
import { MediaEngine } from '../../src/media/engine.ts';
import { UserAgent } from '../../src/sip/ua/user-agent.ts';
import { CallManager } from '../../src/call/call-manager.ts';
import { openStore, type Store } from '../../src/store/db.ts';
import { freshPgliteDataDir } from '../store/pglite-template.ts';
import { seedDemo } from '../../src/demo/seed.ts';
import { EventBus, type CallEvent } from '../../src/events/bus.ts';
import { PromptCache } from '../../src/ivr/prompt-cache.ts';
import { FlowRuntime } from '../../src/ivr/runtime.ts';
import { storeForRuntime } from '../../src/ivr/store-adapter.ts';
import { CachedTts } from '../../src/tts/cache.ts';
import { EspeakTts } from '../../src/tts/espeak.ts';
import { callsRepository } from '../../src/store/repositories/calls.ts';
import type { JourneyEntry } from '../../src/flows/interpreter.ts';

const SIP_PORT = 32600;
const CALLER_PORT = 32601;
const RTP_PORTS = '33600-33699';
const CALLER_RTP = 33700;

/** Monday 2026-11-23 12:00 in Taipei: the restaurant's weekly day off. */
const MONDAY_NOON_TAIPEI = Date.UTC(2026, 10, 23, 4, 0);
const AFTER_HOURS = '您好,感谢您致电本餐厅。我们现在已经打烊,将于明天(周二)11:30开始营业。订位请在营业时间内再来电,或访问我们的网站在线预订。谢谢!';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Real timers and monotonic time; the wall clock reads as if it were Monday noon in Taipei. */
function mondayNoonClock(): Clock {
  const real = realClock();
  const offset = MONDAY_NOON_TAIPEI - Date.now();
  return { now: real.now, wallNow: () => Date.now() + offset, setTimeout: real.setTimeout, clearTimeout: real.clearTimeout };
}

let dir = '';
const closers: (() => Promise<unknown>)[] = [];
let store: Store;
let tenantId = '';
let caller: UserAgent;
const clock = mondayNoonClock();
const events: CallEvent[] = [];

before(async () => {
  dir = await freshPgliteDataDir('surgeline-restaurant-');
  const log = createLogger({ level: 'warn', destination: new Writable({ write: (_c, _e, cb) => cb() }) });
  store = await openStore({ dataDir: dir }, { clock });
  closers.push(() => store.close());
  ({ tenantId } = await seedDemo(store.db, clock));
  const media = await MediaEngine.start({ host: '127.0.0.1', portRange: RTP_PORTS, workers: 1 });
  closers.push(() => media.close());
  const ua = await UserAgent.start({ listen: { host: '127.0.0.1', port: SIP_PORT }, clock, logger: log });
  closers.push(() => ua.close());
  const bus = new EventBus();
  bus.subscribe(tenantId, (e) => events.push(e));
  const prompts = new PromptCache(new CachedTts(new EspeakTts(), { dir: path.join(dir, 'prompts') }), media);
  const runtime = new FlowRuntime({
    store: storeForRuntime(store.db, clock),
    clock,
    log,
    bus,
    media,
    prompts,
    invite: (o) => ua.invite(o),
    mediaAddress: '127.0.0.1',
  });
  closers.push(() => runtime.close());
  const calls = new CallManager({ ua, media, clock, logger: log, mediaAddress: '127.0.0.1', route: runtime.route });
  calls.onCall(runtime.handle);
  caller = await UserAgent.start({ listen: { host: '127.0.0.1', port: CALLER_PORT } });
  closers.push(() => caller.close());
});

after(async () => {
  for (const c of closers.splice(0).reverse()) await c().catch(() => undefined);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function until(pred: () => boolean, what: string, ms = 60_000): Promise<void> {
  for (let waited = 0; !pred(); waited += 20) {
    if (waited > ms) assert.fail(`waited ${ms} ms for ${what}`);
    await sleep(20);
  }
}

test('calling 餐廳 on its day off: the after-hours message says it opens tomorrow (Tuesday) 11:30, then we hang up', async () => {
  const session = await caller.invite({
    uri: `sip:4008003333@127.0.0.1:${SIP_PORT}`,
    from: 'sip:0912345678@127.0.0.1',
    sdp: Buffer.from(
      `v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio ${CALLER_RTP} RTP/AVP 0 101\r\na=rtpmap:101 telephone-event/8000\r\n`,
    ),
  });
  let timer: NodeJS.Timeout | undefined;
  const end = await Promise.race([session.ended, new Promise<undefined>((r) => (timer = setTimeout(() => r(undefined), 90_000)))]);
  clearTimeout(timer);
  assert.equal(end?.reason, 'remote-bye', 'the restaurant hung up after its message');

  let callId: string | undefined;
  await until(() => {
    for (const e of events) if (e.type === 'call.started' && e.sipCallId === session.callId) callId = e.callId;
    return callId !== undefined && events.some((e) => e.type === 'call.ended' && e.callId === callId);
  }, 'call.started and call.ended');
  const journey: JourneyEntry[] = events.flatMap((e) => (e.type === 'call.journey' && e.callId === callId ? [e.entry] : []));
  assert.deepEqual(
    journey.flatMap((e) => (e.kind === 'node' ? [e.node] : [])),
    ['hours', 'closed', 'afterHours', 'end'],
    'closed branch → the after-hours message → hang up',
  );
  assert.deepEqual(
    journey.flatMap((e) => (e.kind === 'set' ? [[e.name, e.value]] : [])),
    [['schedule.reopens', '明天(周二)11:30']],
    'the schedule node set when it opens again, on the injected clock',
  );
  const prompts = journey.flatMap((e) => (e.kind === 'prompt' ? [e] : []));
  assert.deepEqual(
    prompts.map((p) => [p.node, p.text, p.result]),
    [['afterHours', AFTER_HOURS, 'done']],
    'the whole after-hours message with the reopening time was played',
  );

  // call.ended is published before the record's end is written: wait for the write.
  const calls = callsRepository(store.db, clock);
  let rec = await calls.get(tenantId, session.callId);
  for (let waited = 0; rec.outcome === null && waited < 30_000; waited += 50) {
    await sleep(50);
    rec = await calls.get(tenantId, session.callId);
  }
  assert.equal(rec.dialled, '4008003333');
  assert.equal(rec.outcome, 'hangup');
  assert.equal(rec.variables['schedule.reopens'], '明天(周二)11:30', 'the record keeps the variable');
  assert.equal(rec.startedAt.getTime() >= MONDAY_NOON_TAIPEI && rec.startedAt.getTime() < MONDAY_NOON_TAIPEI + 3_600_000, true, 'recorded at the injected wall time');
});
