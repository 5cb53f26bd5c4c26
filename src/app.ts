/**
 * Wires one node: store (seeded with the demo), event bus, SIP user agent, media engine,
 * prompts, registrar for agent phones, the IVR runtime that runs each line's published
 * flow, and the API. The only file that knows every layer.
 */
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
import { EventBus } from './events/bus.ts';
import { PromptCache } from './ivr/prompt-cache.ts';
import { FlowRuntime } from './ivr/runtime.ts';
import { storeForRuntime } from './ivr/store-adapter.ts';
import { AgentPhones } from './agents/phones.ts';
import { agentsRepository } from './store/repositories/agents.ts';
import { AgentDialer } from './agents/dialer.ts';
import { LiveAcd } from './acd/live/live-acd.ts';
import { TenantAcds } from './acd/live/tenant-acds.ts';
import { httpAudioStore, localAudioStore } from './storage/audio-store.ts';
import { tenantsRepository } from './store/repositories/tenants.ts';
import { trunksRepository } from './store/repositories/trunks.ts';
import { acdFromRegistries } from './api/acd.ts';
import { FeatureCodes, isFeatureCall } from './agents/feature-codes.ts';
import { tierAnnouncer } from './acd/live/tier-announcer.ts';
import { startApi } from './api/server.ts';
import { openStore, type Store } from './store/db.ts';
import { DEMO_LINES, seedDemo } from './demo/seed.ts';
import type { FastifyInstance } from 'fastify';
import { NotFoundError } from './store/errors.ts';

export interface App {
  readonly ua: UserAgent;
  readonly media: MediaEngine;
  readonly calls: CallManager;
  readonly phones: AgentPhones;
  readonly api: FastifyInstance;
  readonly store: Store;
  readonly bus: EventBus;
  readonly runtime: FlowRuntime;
  close(): Promise<void>;
}

export interface AppOptions {
  readonly config: Config;
  readonly logger: Logger;
  readonly clock?: Clock;
  readonly tts?: Tts;
  /** SIP password of the demo agents 1001–1004; random (and printed once) when not given. */
  readonly demoPassword?: string;
  /** Shown once at start (passwords generated for this run, the first start's admin key). */
  readonly announce?: (line: string) => void;
  /** Imported as the demo tenant's admin API key; default env SURGELINE_ADMIN_KEY. */
  readonly adminKey?: string;
  /** SIP URI of the trunk that flow transfers dial through; default env SURGELINE_DEMO_TRUNK. */
  readonly trunk?: string;
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
    const adminKey = opts.adminKey ?? (process.env.SURGELINE_ADMIN_KEY || undefined);
    const seedPassword = opts.demoPassword ?? (process.env.SURGELINE_DEMO_PASSWORD || undefined);
    const seedTrunk = opts.trunk ?? (process.env.SURGELINE_DEMO_TRUNK || undefined);
    const seeded = await seedDemo(store.db, clock, {
      ...(adminKey !== undefined ? { adminKey } : {}),
      ...(seedPassword !== undefined ? { demoPassword: seedPassword } : {}),
      ...(seedTrunk !== undefined ? { demoTrunk: seedTrunk } : {}),
    });
    logger.info({ store: store.kind, schema: store.migration?.version, demoCreated: seeded.created }, 'store ready');
    // Only its hash is stored: this is the one time the new key can be shown.
    if (seeded.adminKey !== undefined) opts.announce?.(`admin API key of tenant "demo" (shown once): ${seeded.adminKey}`);
    // Only the agents' HA1s are stored: this is the one time a generated password can be shown.
    if (seeded.demoPassword !== undefined) opts.announce?.(`SIP password of demo agents 1001-1004 (domain "demo", shown once): ${seeded.demoPassword}`);
    // Recordings and voicemails: the data directory, or an HTTP store that every node reads.
    const audio = config.audioStore
      ? httpAudioStore({ dataDir: config.dataDir, baseUrl: config.audioStore, log: logger, ...(config.audioStoreAuth ? { authorization: config.audioStoreAuth } : {}) })
      : localAudioStore(config.dataDir);
    // Before any call: what an earlier run left in the data directory is moved in the background.
    const adopted = await audio.adopt();
    if (adopted > 0) logger.info({ files: adopted, store: config.audioStore }, 'audio left in the data directory goes to the audio store');
    const retryAudio = (): void => void audio.retry().catch((err: unknown) => logger.warn({ err: String(err) }, 'audio store retry failed'));
    if (adopted > 0) retryAudio();
    const audioRetry = setInterval(retryAudio, 60_000);
    audioRetry.unref();
    started.push(() => clearInterval(audioRetry));
    const bus = new EventBus((err, e) => logger.warn({ err: String(err), event: e.type }, 'event subscriber failed'));

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
    const prompts = new PromptCache(tts, media);

    // Agents' phones authenticate against the HA1s the store keeps (realm = tenant slug, from
    // the AOR's host; a host that is no tenant's slug, such as the server's address, is "demo").
    const agents = agentsRepository(store.db, clock);
    const tenants = tenantsRepository(store.db, clock);
    const trunks = trunksRepository(store.db, clock);
    const phones = new AgentPhones({
      realm: 'demo',
      realmOf: async (host) => (await tenants.findBySlug(host))?.slug,
      algorithms: config.digestAlgorithms,
      clock,
      logger,
      credentials: (extension, realm) => agents.sipCredentials(realm, extension),
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

    const trunk = opts.trunk ?? (process.env.SURGELINE_DEMO_TRUNK || undefined);
    // One live ACD per tenant (queues, agents, voicemail, callbacks), each following the phones of its realm.
    const acds = new TenantAcds({
      tenants: {
        list: () => tenants.list(),
        byId: (id) => tenants.get(id).catch((err: unknown) => (err instanceof NotFoundError ? undefined : Promise.reject(err))),
        bySlug: (slug) => tenants.findBySlug(slug),
      },
      phones,
      log: logger,
      make: (tenant) => {
        const dialer = new AgentDialer({
          invite: (o) => ua.invite(o),
          media,
          mediaAddress: config.host,
          contacts: (ext) => phones.contacts(ext, tenant.slug),
          log: logger,
          agentRtpTimeoutMs: config.agentRtpTimeout * 1000,
          agentKeepaliveMs: config.agentKeepalive * 1000,
        });
        // Staffing tiers go on the event stream and switch the announcement presets they name.
        const tiers = tierAnnouncer({ db: store.db, clock, log: logger, tenantId: tenant.id, publish: (e) => bus.publish(e) });
        return new LiveAcd({
          db: store.db,
          tenantId: tenant.id,
          onTier: tiers.onTier,
          tenantSlug: tenant.slug,
          dataDir: config.dataDir,
          audio,
          clock,
          log: logger,
          media,
          dialer,
          phones,
          // Every agent state change goes on the event stream (wallboards, `calls tail`).
          onAgentChange: (a) =>
            bus.publish({ type: 'agent.state', tenantId: tenant.id, agentId: a.id, extension: a.extension, at: a.stateSince, state: a.state, reason: a.state === 'break' ? (a.breakReason ?? null) : null }),
          // Callbacks are dialled through the tenant's trunk (SURGELINE_DEMO_TRUNK seeds the demo's).
          invite: (o) => ua.invite(o),
          mediaAddress: config.host,
        });
      },
    });
    await acds.start();
    started.push(() => acds.close());
    const runtime = new FlowRuntime({
      store: storeForRuntime(store.db, clock, { log: logger }),
      clock,
      log: logger,
      bus,
      media,
      prompts,
      invite: (o) => ua.invite(o),
      mediaAddress: config.host,
      ...(trunk !== undefined ? { trunk } : {}),
      // Transfers dial through the call's tenant's own trunk when it has one.
      trunkOf: (tenantId) => trunks.dialInfo(tenantId).catch((err: unknown) => (err instanceof NotFoundError ? undefined : Promise.reject(err))),
      acd: acds,
    });
    // Runs before ua.close (reverse order): hangs up live calls and writes their records.
    started.push(() => runtime.close());
    // Render the demo lines' prompts before taking calls: a caller never waits for TTS.
    await runtime.warmLines(DEMO_LINES.map((l) => l.number));

    // Agents' feature codes (*78 DND, *79 back) are taken before the lines' routing.
    // The From of an agent's INVITE is authenticated in its realm by now (phones.screenInvite).
    const features = new FeatureCodes({ agents: (request) => acds.bySlug(phones.fromOf(request)?.realm ?? phones.realm)?.agents, log: logger });
    const calls = new CallManager({ ua, media, clock, logger, mediaAddress: config.host, route: features.wrap(runtime.route) });
    calls.onCall((call) => (isFeatureCall(call) ? features.handle(call) : runtime.handle(call)));

    const pkg = JSON.parse(await readFile(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
    const api = await startApi({
      host: config.host,
      port: config.httpPort,
      logger,
      version: pkg.version,
      startedAt: clock.wallNow(),
      store,
      clock,
      bus,
      runtime,
      tts,
      // The API reads and changes agents' live states through the ACD's registry; audio is served from the data dir.
      acd: {
        ...acdFromRegistries((tenantId) => acds.get(tenantId)?.agents),
        queueLive: (tenantId, queue) => {
          const acd = acds.get(tenantId);
          const figures = acd?.engine.liveFigures(queue);
          return figures && { ...figures, tier: acd?.engine.tiers.level(queue) ?? { level: 0, since: null } };
        },
        // An agent edit of a tenant without a running ACD yet (a new tenant) starts it.
        agentsChanged: async (tenantId) => {
          const running = acds.get(tenantId);
          if (running) await running.refreshAgents();
          else await acds.acdFor(tenantId);
        },
        supervision: (tenantId) => acds.get(tenantId)?.engine.supervision,
        conversation: (tenantId, callId) => acds.get(tenantId)?.engine.conversations.get(callId),
        pauseRecording: (tenantId, callId, paused, actor) =>
          acds.get(tenantId)?.engine.conversations.pauseRecording(callId, paused, actor) ?? Promise.reject(new NotFoundError('call in conversation', callId)),
      },
      dataDir: config.dataDir,
      audio,
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
    return { ua, media, calls, phones, api, store, bus, runtime, close: unwind };
  } catch (err) {
    await unwind();
    throw err;
  }
}
