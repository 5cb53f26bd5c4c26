/**
 * Test helpers for the issue-4 API routes: the API over a real store with the options the
 * harness does not pass (the live ACD, a data directory), agent-role keys named after an
 * agent's extension (how an agent key speaks for its agent), and a live agent registry that
 * runs the real agent state machine (src/acd/agent-state.ts) behind the real adapter
 * acdFromRegistries — what the queue runtime provides in the app.
 */
import type { AudioStore } from '../../src/storage/audio-store.ts';
import type { AddressInfo } from 'node:net';
import { agentTransition, AgentStateError, type AgentEvent } from '../../src/acd/agent-state.ts';
import type { AgentSnapshot } from '../../src/acd/types.ts';
import { acdFromRegistries, type AcdLive, type AgentRegistryLike } from '../../src/api/acd.ts';
import { startApi } from '../../src/api/server.ts';
import { EventBus } from '../../src/events/bus.ts';
import { createLogger, silentLogger } from '../../src/log.ts';
import { pcm16Bytes, writeWav } from '../../src/media/wav.ts';
import { apiKeysRepository } from '../../src/store/repositories/api-keys.ts';
import type { BackendContext } from '../store/backends.ts';
import type { TestApi } from './harness.ts';

export async function startAcdApi(ctx: BackendContext, opts: { acd?: AcdLive; dataDir?: string; audio?: AudioStore } = {}): Promise<TestApi> {
  const bus = new EventBus();
  const app = await startApi({
    host: '127.0.0.1',
    port: 0,
    logger: process.env['API_TEST_LOG'] ? createLogger({ level: 'error', destination: process.stderr }) : silentLogger(),
    version: '0.0.0-test',
    startedAt: Date.now(),
    status: () => ({ calls: 0, store: ctx.kind, sip: { invites: 0, rejectedOverload: 0, dropped: 0 }, media: { workers: 1, legs: 0 } }),
    store: ctx.store(),
    clock: ctx.clock,
    bus,
    ...(opts.acd ? { acd: opts.acd } : {}),
    ...(opts.dataDir ? { dataDir: opts.dataDir } : {}),
    ...(opts.audio ? { audio: opts.audio } : {}),
  });
  const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  return {
    app,
    base,
    bus,
    async request(method, path, o = {}) {
      const headers: Record<string, string> = { ...o.headers };
      if (o.key !== undefined) headers['authorization'] = `Bearer ${o.key}`;
      let body: string | undefined = o.rawBody;
      if (o.body !== undefined) body = JSON.stringify(o.body);
      if (body !== undefined) headers['content-type'] ??= 'application/json';
      const res = await fetch(base + '/api/v1' + path, { method, headers, ...(body !== undefined ? { body } : {}) });
      const type = res.headers.get('content-type') ?? '';
      if (!type.startsWith('application/json')) {
        const bytes = Buffer.from(await res.arrayBuffer());
        return { status: res.status, body: bytes, headers: res.headers };
      }
      const text = await res.text();
      return { status: res.status, body: text === '' ? undefined : JSON.parse(text), headers: res.headers };
    },
    close: () => app.close(),
  };
}

/** An agent-role key that speaks for the agent with this extension (or user name). */
export async function agentKey(ctx: BackendContext, tenantId: string, name: string): Promise<string> {
  return (await apiKeysRepository(ctx.store().db, ctx.clock).create(tenantId, { name, role: 'agent' })).key;
}

/** Live agents of every tenant, moved only by the real agent state machine. */
export class LiveAgents {
  private readonly byTenant = new Map<string, Map<string, AgentSnapshot>>();
  readonly acd: AcdLive = acdFromRegistries((tenantId) => this.registry(tenantId));

  constructor(private readonly now: () => number) {}

  /** The agent's phone registered: it is logged in (available). */
  register(tenantId: string, agent: { id: string; extension: string }): void {
    let m = this.byTenant.get(tenantId);
    if (!m) this.byTenant.set(tenantId, (m = new Map()));
    const offline: AgentSnapshot = {
      id: agent.id, extension: agent.extension, skills: {}, groups: [], state: 'offline', stateSince: this.now(),
      lastCallEndedAt: null, answeredToday: 0, talkMsToday: 0, loggedInMsToday: 0,
    };
    m.set(agent.id, agentTransition(m.get(agent.id) ?? offline, { type: 'register' }, this.now()));
  }

  /** Adds an offline agent (known to the runtime, phone not registered). */
  addOffline(tenantId: string, agent: { id: string; extension: string }): void {
    this.register(tenantId, agent);
    this.apply(tenantId, agent.id, { type: 'unregister' });
  }

  apply(tenantId: string, id: string, e: AgentEvent): boolean {
    const m = this.byTenant.get(tenantId);
    const a = m?.get(id);
    if (!m || !a) return false;
    try {
      m.set(id, agentTransition(a, e, this.now()));
      return true;
    } catch (err) {
      if (err instanceof AgentStateError) return false;
      throw err;
    }
  }

  private registry(tenantId: string): AgentRegistryLike | undefined {
    const m = this.byTenant.get(tenantId);
    if (!m) return undefined;
    return { get: (id) => m.get(id), apply: (id, e) => this.apply(tenantId, id, e) };
  }
}

/** Half a second of 440 Hz, 8 kHz mono 16-bit by default: a message or recording as it lies on disk. */
export function toneWav(seconds = 0.5, channels = 1): Buffer {
  const frames = Math.round(8000 * seconds);
  const pcm = new Int16Array(frames * channels);
  for (let i = 0; i < frames; i++) for (let c = 0; c < channels; c++) pcm[i * channels + c] = Math.round(8000 * Math.sin((2 * Math.PI * 440 * (c + 1) * i) / 8000));
  return writeWav({ sampleRate: 8000, channels, format: 'pcm16', data: pcm16Bytes(pcm) });
}
