/**
 * Wires one node: SIP user agent, media engine, prompts, registrar for agent phones,
 * and the call handler. The only file that knows every layer.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import type { Config } from './config.ts';
import { realClock, type Clock } from './clock.ts';
import type { Logger } from './log.ts';
import { MediaEngine } from './media/engine.ts';
import { espeakPromptTts } from './tts/espeak.ts';
import type { Tts } from './tts/tts.ts';
import { UserAgent } from './sip/ua/user-agent.ts';
import { CallManager } from './call/call-manager.ts';
import { runWelcomeIvr, WELCOME_PROMPTS } from './demo/welcome-ivr.ts';
import { AgentPhones } from './agents/phones.ts';
import { startApi } from './api/server.ts';
import { openStore, type Store } from './store/db.ts';
import { seedDemo } from './demo/seed.ts';
import type { FastifyInstance } from 'fastify';

export interface App {
  readonly ua: UserAgent;
  readonly media: MediaEngine;
  readonly calls: CallManager;
  readonly phones: AgentPhones;
  readonly api: FastifyInstance;
  readonly store: Store;
  close(): Promise<void>;
}

export interface AppOptions {
  readonly config: Config;
  readonly logger: Logger;
  readonly clock?: Clock;
  readonly tts?: Tts;
  /** SIP password of the demo agents 1001–1004; random (and printed once) when not given. */
  readonly demoPassword?: string;
  /** Shown once at start (passwords generated for this run). */
  readonly announce?: (line: string) => void;
}

export async function startApp(opts: AppOptions): Promise<App> {
  const { config, logger } = opts;
  const clock = opts.clock ?? realClock();
  await mkdir(config.dataDir, { recursive: true });
  const tts = opts.tts ?? espeakPromptTts(config.dataDir, { onDiskError: (err) => logger.warn({ err: String(err) }, 'prompt cache unavailable') });

  // What has been started, undone in reverse on a failed start and on close.
  const started: (() => Promise<unknown> | unknown)[] = [];
  const unwind = async (): Promise<void> => {
    for (const stop of started.splice(0).reverse()) {
      await Promise.resolve()
        .then(stop)
        .catch((err: unknown) => logger.warn({ err: String(err) }, 'shutdown step failed'));
    }
  };

  try {
    // The store first: migrations run at start, then the demo tenant is seeded (idempotent).
    const store = await openStore(config.databaseUrl ? { databaseUrl: config.databaseUrl } : { dataDir: config.dataDir }, { clock });
    started.push(() => store.close());
    const seeded = await seedDemo(store.db, clock);
    logger.info({ store: store.kind, schema: store.migration?.version, demoCreated: seeded.created }, 'store ready');

    // Render the prompts before taking calls: a caller never waits for TTS.
    const rendered = await Promise.all(
      Object.entries(WELCOME_PROMPTS).map(async ([id, text]) => [id, await tts.render(text, { codec: 'PCMU' })] as const),
    );

    const media = await MediaEngine.start({
      host: config.host,
      portRange: config.rtpPorts,
      // One core stays with the SIP/control thread: with media threads on every core at a
      // raised priority, the control thread starved and INVITEs queued (bench:sip: 800 calls/s
      // shed with 503 on two workers, 1,000 calls/s clean on one).
      workers: config.mediaWorkers ?? Math.max(1, availableParallelism() - 1),
      // Media threads run ahead of the SIP/control thread and anything else on the host:
      // measured, this was the biggest single factor in RTP pacing on a loaded 2-core box.
      workerNiceness: config.mediaNice,
      logger,
    });
    started.push(() => media.close());
    for (const [id, data] of rendered) await media.loadPrompt(id, 'PCMU', data);

    const demoPassword = opts.demoPassword ?? randomBytes(9).toString('base64url');
    if (!opts.demoPassword) opts.announce?.(`demo agents 1001-1004 (SIP domain "demo"): password ${demoPassword}`);
    const phones = new AgentPhones({
      realm: 'demo',
      algorithms: config.digestAlgorithms,
      clock,
      logger,
      agents: ['1001', '1002', '1003', '1004'].map((user) => ({ user, password: demoPassword })),
    });
    started.push(() => phones.close());

    const ua = await UserAgent.start({
      listen: { host: config.host, port: config.sipPort },
      clock,
      logger,
      maxCalls: config.maxCalls,
      register: (request, source) => phones.register(request, source),
      screenInvite: (request, source) => phones.screenInvite(request, source),
    });
    started.push(() => ua.close());

    const calls = new CallManager({ ua, media, clock, logger, mediaAddress: config.host });
    calls.onCall((call) => runWelcomeIvr(call, { log: logger }));

    const pkg = JSON.parse(await readFile(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
    const api = await startApi({
      host: config.host,
      port: config.httpPort,
      logger,
      version: pkg.version,
      startedAt: clock.wallNow(),
      status: () => ({
        calls: ua.activeCalls,
        store: store.kind,
        sip: { invites: ua.stats.invites, rejectedOverload: ua.stats.rejectedOverload, dropped: ua.transport.stats.dropped },
        media: { workers: media.workerCount, legs: media.legCount },
      }),
    });
    started.push(() => api.close());

    logger.info(
      { sip: `${config.host}:${config.sipPort}`, http: `${config.host}:${config.httpPort}`, rtp: config.rtpPorts.join('-'), workers: media.workerCount },
      'surgeline listening',
    );
    return { ua, media, calls, phones, api, store, close: unwind };
  } catch (err) {
    await unwind();
    throw err;
  }
}
