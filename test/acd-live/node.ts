/**
 * Test helper: one node with the live ACD for real calls — a PGlite store seeded with the
 * demo (agents 1001–1004 with a known SIP password), a UserAgent that takes REGISTERs from
 * agent phones (digest) and INVITEs from callers, a MediaEngine, espeak-ng prompts, the
 * agent dialer, the LiveAcd and the FlowRuntime handing queue/voicemail nodes to it. The
 * prompt cache is observable: `onPrompt` sees every text just before it is rendered and
 * played (the callback test checks the store at that instant). Ports: SIP 37100-37499, RTP
 * 37500-37999 only.
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
import { FlowRuntime } from '../../src/ivr/runtime.ts';
import { storeForRuntime } from '../../src/ivr/store-adapter.ts';
import { CachedTts } from '../../src/tts/cache.ts';
import { EspeakTts } from '../../src/tts/espeak.ts';
import type { SipSession } from '../../src/sip/ua/session.ts';
import type { TestPhone } from '../agents/phone.ts';
import type { JourneyEntry } from '../../src/flows/interpreter.ts';
import { AgentPhones } from '../../src/agents/phones.ts';
import { AgentDialer } from '../../src/agents/dialer.ts';
import { agentsRepository } from '../../src/store/repositories/agents.ts';
import { LiveAcd } from '../../src/acd/live/live-acd.ts';
import type { TierChange } from '../../src/acd/live/tier-watch.ts';
import type { AudioStore } from '../../src/storage/audio-store.ts';

export const PASSWORD = 'agent-secret-37';

/** Our RTP port for a session, from its far end's view (the m=audio line of the SDP it got from us). */
export function legPort(session: SipSession): number {
  const m = /m=audio (\d+)/.exec(session.remoteSdp.toString('utf8'));
  assert.ok(m, 'the answer has an audio line');
  return Number(m[1]);
}

/**
 * A caller (RTP at `rtpPort`) dials E購網, presses 0 during the welcome, and `phone` answers
 * after 200 ms: resolves once the call is in conversation (bridged, recording if the queue records).
 */
export async function bridgedCall(node: AcdNode, phone: TestPhone, rtpPort: number): Promise<{ session: SipSession; callId: string }> {
  phone.behaviour = { kind: 'answer', afterMs: 200 };
  const before = phone.sessions.length;
  const session = await node.dial('4008001111', rtpPort);
  const callId = await node.callIdOf(session.callId);
  await node.until(() => node.journeyOf(callId).some((e) => e.kind === 'node' && e.node === 'welcome'), 'the welcome');
  await node.press(session, '0');
  await node.until(() => phone.sessions.length === before + 1, `${phone.extension} answered`, 20_000);
  await node.until(() => node.acd.engine.stateOf(callId) === 'bridged' && node.acd.engine.conversations.get(callId) !== undefined, 'in conversation');
  return { session, callId };
}
export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A prompt cache that tells the test which text is about to be played. */
class WatchedPrompts extends PromptCache {
  onPrompt: ((text: string) => Promise<void> | void) | undefined;
  override async ensure(...args: Parameters<PromptCache['ensure']>): ReturnType<PromptCache['ensure']> {
    await this.onPrompt?.(args[0]);
    return super.ensure(...args);
  }
}

export interface AcdNode {
  readonly store: Store;
  readonly tenantId: string;
  readonly dataDir: string;
  readonly media: MediaEngine;
  readonly acd: LiveAcd;
  readonly runtime: FlowRuntime;
  readonly prompts: WatchedPrompts;
  readonly events: CallEvent[];
  /** Every staffing tier change the queue engine reported. */
  readonly tierChanges: TierChange[];
  readonly logs: Record<string, unknown>[];
  readonly sipPort: number;
  dial(number: string, rtpPort: number): Promise<SipSession>;
  press(session: SipSession, digit: string): Promise<void>;
  journeyOf(callId: string): JourneyEntry[];
  callIdOf(sipCallId: string): Promise<string>;
  until(pred: () => boolean, what: string, ms?: number): Promise<void>;
  close(): Promise<void>;
}

export async function startAcdNode(opts: { sipPort: number; callerPort: number; rtpPorts: string; audio?: (dataDir: string) => AudioStore }): Promise<AcdNode> {
  const dir = await freshPgliteDataDir('surgeline-acd-');
  const clock = realClock();
  const logs: Record<string, unknown>[] = [];
  const tierChanges: TierChange[] = [];
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
    const { tenantId } = await seedDemo(store.db, clock, { demoPassword: PASSWORD });
    const media = await MediaEngine.start({ host: '127.0.0.1', portRange: opts.rtpPorts, workers: 1 });
    closers.push(() => media.close());
    const agents = agentsRepository(store.db, clock);
    const phones = new AgentPhones({ realm: 'demo', clock, logger: log, credentials: (ext, realm) => agents.sipCredentials(realm, ext) });
    closers.push(async () => phones.close());
    const ua = await UserAgent.start({
      listen: { host: '127.0.0.1', port: opts.sipPort },
      clock,
      logger: log,
      register: (request, source) => phones.register(request, source),
    });
    closers.push(() => ua.close());
    const bus = new EventBus();
    const events: CallEvent[] = [];
    bus.subscribe(tenantId, (e) => events.push(e));
    const prompts = new WatchedPrompts(new CachedTts(new EspeakTts(), { dir: path.join(dir, 'prompts') }), media);
    const dialer = new AgentDialer({ invite: (o) => ua.invite(o), media, mediaAddress: '127.0.0.1', contacts: (ext) => phones.contacts(ext), log });
    const acd = new LiveAcd({
      db: store.db,
      tenantId,
      tenantSlug: 'demo',
      dataDir: dir,
      ...(opts.audio ? { audio: opts.audio(dir) } : {}),
      clock,
      log,
      media,
      dialer,
      phones,
      invite: (o) => ua.invite(o),
      mediaAddress: '127.0.0.1',
      runCallbacks: false, // tests drive acd.callbackWorker.tick()
      onTier: (c) => tierChanges.push(c),
    });
    await acd.start();
    closers.push(() => acd.close());
    const runtime = new FlowRuntime({
      store: storeForRuntime(store.db, clock),
      clock,
      log,
      bus,
      media,
      prompts,
      invite: (o) => ua.invite(o),
      mediaAddress: '127.0.0.1',
      acd,
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
    return {
      store,
      tenantId,
      dataDir: dir,
      media,
      acd,
      runtime,
      prompts,
      events,
      logs,
      tierChanges,
      sipPort: opts.sipPort,
      dial: (number, rtpPort) =>
        caller.invite({
          uri: `sip:${number}@127.0.0.1:${opts.sipPort}`,
          from: 'sip:0912345678@127.0.0.1',
          sdp: Buffer.from(
            `v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio ${rtpPort} RTP/AVP 0 101\r\na=rtpmap:101 telephone-event/8000\r\n`,
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
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}
