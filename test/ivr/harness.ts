/**
 * Test helper: one node's IVR for real calls — a PGlite store seeded with the demo, a
 * UserAgent, a MediaEngine, espeak-ng prompts and the FlowRuntime — and a caller (our own
 * UAC over UDP) that dials it, presses keys as SIP INFO and hangs up. Log lines and bus
 * events are collected for assertions. Ports from RUNTIME's ranges only.
 */
import { rmSync } from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import assert from 'node:assert/strict';
import { realClock } from '../../src/clock.ts';
import { createLogger } from '../../src/log.ts';
import { MediaEngine } from '../../src/media/engine.ts';
import { UserAgent } from '../../src/sip/ua/user-agent.ts';
import { CallManager } from '../../src/call/call-manager.ts';
import { openStore, type Store } from '../../src/store/db.ts';
import { freshPgliteDataDir } from '../store/pglite-template.ts';
import { seedDemo } from '../../src/demo/seed.ts';
import { EventBus, type CallEvent } from '../../src/events/bus.ts';
import { PromptCache } from '../../src/ivr/prompt-cache.ts';
import { FlowRuntime, type FlowRuntimeOptions } from '../../src/ivr/runtime.ts';
import { flowsRepository } from '../../src/store/repositories/flows.ts';
import { linesRepository } from '../../src/store/repositories/lines.ts';
import type { FlowInput } from '../../src/flows/schema.ts';
import { storeForRuntime } from '../../src/ivr/store-adapter.ts';
import { CachedTts } from '../../src/tts/cache.ts';
import { EspeakTts } from '../../src/tts/espeak.ts';
import type { SipSession } from '../../src/sip/ua/session.ts';
import type { JourneyEntry } from '../../src/flows/interpreter.ts';

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export interface Node {
  readonly store: Store;
  readonly tenantId: string;
  readonly media: MediaEngine;
  readonly ua: UserAgent;
  readonly calls: CallManager;
  readonly runtime: FlowRuntime;
  readonly prompts: PromptCache;
  readonly bus: EventBus;
  readonly logs: Record<string, unknown>[];
  readonly events: CallEvent[];
  readonly caller: UserAgent;
  dial(number: string, opts?: { rtpPort?: number }): Promise<SipSession>;
  press(session: SipSession, digit: string): Promise<void>;
  /** Journey entries of a call so far (from the bus), by our call id. */
  journeyOf(callId: string): JourneyEntry[];
  /** Our call id of a SIP Call-ID (from call.started). */
  callIdOf(sipCallId: string): Promise<string>;
  until(pred: () => boolean, what: string, ms?: number): Promise<void>;
  /** Pushes and publishes flows in the demo tenant and puts the first on a new line with this number. */
  lineWithFlows(number: string, docs: FlowInput[]): Promise<{ lineId: string }>;
  close(): Promise<void>;
}

export async function startNode(opts: {
  sipPort: number;
  rtpPorts: string;
  callerPort: number;
  runtime?: Pick<FlowRuntimeOptions, 'trunk' | 'progressMs' | 'queueHoldMs'>;
}): Promise<Node> {
  const dir = await freshPgliteDataDir('surgeline-ivr-');
  const clock = realClock();
  const logs: Record<string, unknown>[] = [];
  const log = createLogger({
    level: 'info',
    destination: new Writable({
      write(chunk: Buffer, _e, cb) {
        for (const l of chunk.toString().split('\n')) if (l) logs.push(JSON.parse(l) as Record<string, unknown>);
        cb();
      },
    }),
  });
  const closers: (() => Promise<unknown>)[] = [];
  const close = async (): Promise<void> => {
    for (const c of closers.splice(0).reverse()) await c().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const store = await openStore({ dataDir: dir }, { clock });
    closers.push(() => store.close());
    const { tenantId } = await seedDemo(store.db, clock);
    const media = await MediaEngine.start({ host: '127.0.0.1', portRange: opts.rtpPorts, workers: 1 });
    closers.push(() => media.close());
    const ua = await UserAgent.start({ listen: { host: '127.0.0.1', port: opts.sipPort }, clock, logger: log });
    closers.push(() => ua.close());
    const bus = new EventBus();
    const events: CallEvent[] = [];
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
      ...opts.runtime,
    });
    closers.push(() => runtime.close());
    const calls = new CallManager({ ua, media, clock, logger: log, mediaAddress: '127.0.0.1', route: runtime.route });
    calls.onCall(runtime.handle);
    const caller = await UserAgent.start({ listen: { host: '127.0.0.1', port: opts.callerPort } });
    closers.push(() => caller.close());

    const until = async (pred: () => boolean, what: string, ms = 30_000): Promise<void> => {
      for (let waited = 0; !pred(); waited += 20) {
        if (waited > ms) assert.fail(`waited ${ms} ms for ${what}`);
        await sleep(20);
      }
    };
    const node: Node = {
      store,
      tenantId,
      media,
      ua,
      calls,
      runtime,
      prompts,
      bus,
      logs,
      events,
      caller,
      dial: (number, o = {}) =>
        caller.invite({
          uri: `sip:${number}@127.0.0.1:${opts.sipPort}`,
          from: 'sip:0912345678@127.0.0.1',
          sdp: Buffer.from(
            `v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio ${o.rtpPort ?? 33900} RTP/AVP 0 101\r\na=rtpmap:101 telephone-event/8000\r\n`,
          ),
        }),
      async press(session, digit) {
        const res = await session.request('INFO', {
          headers: [{ name: 'Content-Type', value: 'application/dtmf-relay' }],
          body: Buffer.from(`Signal=${digit}\r\nDuration=160\r\n`),
        });
        assert.equal(res.status, 200, 'INFO accepted');
      },
      journeyOf: (callId) => events.flatMap((e) => (e.type === 'call.journey' && e.callId === callId ? [e.entry] : [])),
      async callIdOf(sipCallId) {
        let id: string | undefined;
        await until(() => {
          for (const e of events) if (e.type === 'call.started' && e.sipCallId === sipCallId) id = e.callId;
          return id !== undefined;
        }, 'call.started');
        return id!;
      },
      until,
      async lineWithFlows(number, docs) {
        const flows = flowsRepository(store.db, clock);
        const lines = linesRepository(store.db, clock);
        for (const doc of docs) {
          const { flow } = await flows.push(tenantId, doc, 'test');
          await flows.publish(tenantId, flow.id, undefined, 'test');
        }
        const line = await lines.createLine(tenantId, { name: `test ${number}`, timeZone: 'Asia/Taipei' });
        await lines.addNumber(tenantId, line.id, number);
        await lines.setFlow(tenantId, line.id, docs[0]!.name, 'test');
        return { lineId: line.id };
      },
      close,
    };
    return node;
  } catch (err) {
    await close();
    throw err;
  }
}
