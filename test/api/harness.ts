/**
 * An API server for tests: started with startApi on port 0 over a real store (one backend
 * of eachBackend), with two tenants A and B and a key of each role in each, and a fetch
 * wrapper that speaks JSON with a key. Tests reach the server only over real HTTP.
 */
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { startApi } from '../../src/api/server.ts';
import { EventBus } from '../../src/events/bus.ts';
import type { SlotState } from '../../src/announcements/slot.ts';
import type { CallRecord, IvrRuntime } from '../../src/ivr/runtime.ts';
import { createLogger, silentLogger } from '../../src/log.ts';
import { apiKeysRepository } from '../../src/store/repositories/api-keys.ts';
import { tenantsRepository } from '../../src/store/repositories/tenants.ts';
import type { Role } from '../../src/store/schema.ts';
import type { BackendContext } from '../store/backends.ts';

export interface TestTenant {
  id: string;
  slug: string;
  keys: Record<Role, string>;
}

export interface Answer<T = any> {
  status: number;
  body: T;
  headers: Headers;
}

export interface TestApi {
  readonly app: FastifyInstance;
  readonly base: string;
  readonly bus: EventBus;
  request<T = any>(method: string, path: string, opts?: { key?: string; body?: unknown; rawBody?: string; headers?: Record<string, string> }): Promise<Answer<T>>;
  close(): Promise<void>;
}

let seq = 0;

/** A tenant with one key per role; `operator` marks it as the installation's operator tenant. */
export async function makeTenant(ctx: BackendContext, label: string, operator = false): Promise<TestTenant> {
  const db = ctx.store().db;
  const slug = `${label}-${process.pid}-${++seq}`;
  const tenant = await tenantsRepository(db, ctx.clock).create({ slug, name: `Tenant ${label}` });
  if (operator) await db.updateTable('tenants').set({ operator: true }).where('id', '=', tenant.id).execute();
  const keysRepo = apiKeysRepository(db, ctx.clock);
  const keys = {} as Record<Role, string>;
  for (const role of ['admin', 'supervisor', 'agent'] as const) keys[role] = (await keysRepo.create(tenant.id, { name: role, role })).key;
  return { id: tenant.id, slug, keys };
}

export async function startTestApi(ctx: BackendContext, opts: { runtime?: IvrRuntime } = {}): Promise<TestApi> {
  const bus = new EventBus();
  const app = await startApi({
    host: '127.0.0.1',
    port: 0,
    // API_TEST_LOG=1 shows the server's error log (500s) while debugging a test.
    logger: process.env['API_TEST_LOG'] ? createLogger({ level: 'error', destination: process.stderr }) : silentLogger(),
    version: '0.0.0-test',
    startedAt: Date.now(),
    status: () => ({ calls: 0, store: ctx.kind, sip: { invites: 0, rejectedOverload: 0, dropped: 0 }, media: { workers: 1, legs: 0 } }),
    store: ctx.store(),
    clock: ctx.clock,
    bus,
    ...(opts.runtime ? { runtime: opts.runtime } : {}),
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
      const text = await res.text();
      return { status: res.status, body: text === '' ? undefined : JSON.parse(text), headers: res.headers };
    },
    close: () => app.close(),
  };
}

/**
 * Stands in for the IVR runtime (src/ivr/runtime.ts, which needs SIP and media to run):
 * records what the API tells it and serves live calls a test puts in.
 */
export class RecordingRuntime implements IvrRuntime {
  readonly announcements: Array<{ tenantId: string; lineId: string; state: SlotState }> = [];
  readonly published: Array<{ tenantId: string; flowId: string }> = [];
  readonly calls: CallRecord[] = [];

  live(tenantId: string, id: string): CallRecord | undefined {
    return this.calls.find((c) => c.tenantId === tenantId && (c.id === id || c.legs.some((l) => l.sipCallId === id)));
  }
  liveList(tenantId: string): CallRecord[] {
    return this.calls.filter((c) => c.tenantId === tenantId);
  }
  announcementChanged(tenantId: string, lineId: string, state: SlotState): void {
    this.announcements.push({ tenantId, lineId, state });
  }
  flowPublished(tenantId: string, flowId: string): void {
    this.published.push({ tenantId, flowId });
  }
}
