/**
 * One live ACD per tenant on a node. Every tenant's ACD starts with the node; a tenant made
 * later (POST /tenants, here or on another node) gets its ACD the first time something needs
 * it: a call reaching one of its queue nodes, a phone registering in its realm, an agent
 * edit through the API. A start that fails (the store is down) is logged and tried again by
 * the next need, never cached as "no ACD".
 */
import type { Logger } from '../../log.ts';
import type { AgentOnlineEvent } from '../../agents/phones.ts';
import type { AcdDirectory, LiveAcd } from './live-acd.ts';

export interface TenantRef {
  readonly id: string;
  readonly slug: string;
}

export interface TenantAcdsOptions {
  readonly tenants: {
    list(): Promise<readonly TenantRef[]>;
    byId(id: string): Promise<TenantRef | undefined>;
    bySlug(slug: string): Promise<TenantRef | undefined>;
  };
  /** Builds a tenant's ACD (not started). */
  readonly make: (tenant: TenantRef) => LiveAcd;
  /** The shared agent phones: a phone registering in a realm without a running ACD starts it. */
  readonly phones?: {
    on(event: 'online', listener: (e: AgentOnlineEvent) => void): unknown;
    off(event: 'online', listener: (e: AgentOnlineEvent) => void): unknown;
  };
  readonly log: Logger;
}

export class TenantAcds implements AcdDirectory {
  private readonly running = new Map<string, LiveAcd>();
  private readonly slugs = new Map<string, string>();
  private readonly starting = new Map<string, Promise<LiveAcd | undefined>>();
  private closed = false;
  private readonly onOnline = (e: AgentOnlineEvent): void => {
    if (this.bySlug(e.realm)) return;
    void this.opts.tenants.bySlug(e.realm).then(
      (t) => (t ? this.ensure(t) : undefined),
      (err: unknown) => this.opts.log.warn({ err: String(err), realm: e.realm }, 'tenant of a registering phone not found'),
    );
  };

  constructor(private readonly opts: TenantAcdsOptions) {}

  /** Starts the ACD of every tenant in the store. */
  async start(): Promise<void> {
    this.opts.phones?.on('online', this.onOnline);
    for (const t of await this.opts.tenants.list()) await this.ensure(t);
  }

  /** The tenant's running ACD, if this node runs it already. */
  get(tenantId: string): LiveAcd | undefined {
    return this.running.get(tenantId);
  }

  /** The running ACD of the tenant whose slug (SIP realm) this is. */
  bySlug(slug: string): LiveAcd | undefined {
    const id = this.slugs.get(slug);
    return id === undefined ? undefined : this.running.get(id);
  }

  /** The tenant's ACD, started now if it is not running yet; undefined for no such tenant. */
  async acdFor(tenantId: string): Promise<LiveAcd | undefined> {
    const running = this.running.get(tenantId);
    if (running) return running;
    const tenant = await this.opts.tenants.byId(tenantId);
    return tenant ? this.ensure(tenant) : undefined;
  }

  /** Tenants with a running ACD. */
  tenantIds(): string[] {
    return [...this.running.keys()];
  }

  private ensure(tenant: TenantRef): Promise<LiveAcd | undefined> {
    const running = this.running.get(tenant.id);
    if (running) return Promise.resolve(running);
    if (this.closed) return Promise.resolve(undefined);
    let pending = this.starting.get(tenant.id);
    if (!pending) {
      pending = this.startOne(tenant).finally(() => this.starting.delete(tenant.id));
      this.starting.set(tenant.id, pending);
    }
    return pending;
  }

  private async startOne(tenant: TenantRef): Promise<LiveAcd | undefined> {
    const acd = this.opts.make(tenant);
    try {
      await acd.start();
    } catch (err) {
      this.opts.log.error({ err: String(err), tenant: tenant.slug }, 'live ACD of a tenant did not start: its queues wait for the next try');
      await acd.close().catch(() => undefined);
      return undefined;
    }
    if (this.closed) {
      await acd.close();
      return undefined;
    }
    this.running.set(tenant.id, acd);
    this.slugs.set(tenant.slug, tenant.id);
    this.opts.log.info({ tenant: tenant.slug }, 'live ACD of tenant started');
    return acd;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.opts.phones?.off('online', this.onOnline);
    await Promise.allSettled([...this.starting.values()]);
    const all = [...this.running.values()];
    this.running.clear();
    this.slugs.clear();
    const results = await Promise.allSettled(all.map((a) => a.close()));
    for (const r of results) if (r.status === 'rejected') this.opts.log.warn({ err: String(r.reason) }, 'live ACD did not close cleanly');
  }
}
