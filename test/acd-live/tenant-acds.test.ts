/**
 * TenantAcds: one live ACD per tenant, started with the node or on first need (a call, a
 * phone of its realm, an agent edit); a start that fails is retried by the next need; close
 * stops every ACD, also one still starting.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { TenantAcds, type TenantRef } from '../../src/acd/live/tenant-acds.ts';
import type { LiveAcd } from '../../src/acd/live/live-acd.ts';
import type { AgentOnlineEvent } from '../../src/agents/phones.ts';
import { createLogger } from '../../src/log.ts';

const log = createLogger({ level: 'silent' });

class FakeAcd {
  started = false;
  closed = false;
  constructor(
    readonly tenant: TenantRef,
    private readonly behaviour: { fail?: boolean; gate?: Promise<void> },
  ) {}
  async start(): Promise<void> {
    await this.behaviour.gate;
    if (this.behaviour.fail) throw new Error('store down');
    this.started = true;
  }
  async close(): Promise<void> {
    this.closed = true;
  }
}

function setup(tenants: TenantRef[], behaviour: (t: TenantRef, n: number) => { fail?: boolean; gate?: Promise<void> } = () => ({})) {
  const made: FakeAcd[] = [];
  const phones = new EventEmitter<{ online: [AgentOnlineEvent] }>();
  const acds = new TenantAcds({
    tenants: {
      list: async () => tenants,
      byId: async (id) => tenants.find((t) => t.id === id),
      bySlug: async (slug) => tenants.find((t) => t.slug === slug),
    },
    make: (t) => {
      const acd = new FakeAcd(t, behaviour(t, made.filter((m) => m.tenant.id === t.id).length));
      made.push(acd);
      return acd as unknown as LiveAcd;
    },
    phones,
    log,
  });
  return { acds, made, phones };
}

const DEMO = { id: 't-demo', slug: 'demo' };
const ACME = { id: 't-acme', slug: 'acme' };

test('start runs one ACD per tenant; get, bySlug and acdFor find them; close closes all', async () => {
  const { acds, made } = setup([DEMO, ACME]);
  await acds.start();
  assert.deepEqual(made.map((m) => [m.tenant.slug, m.started]), [['demo', true], ['acme', true]]);
  assert.equal(acds.get('t-acme'), made[1] as unknown as LiveAcd);
  assert.equal(acds.bySlug('demo'), made[0] as unknown as LiveAcd);
  assert.equal(await acds.acdFor('t-demo'), made[0] as unknown as LiveAcd);
  assert.equal(await acds.acdFor('t-nobody'), undefined);
  await acds.close();
  assert.ok(made.every((m) => m.closed));
  assert.equal(acds.get('t-acme'), undefined);
});

test('a tenant made after start gets its ACD on the first need, once even when asked twice at once', async () => {
  const tenants = [DEMO];
  const { acds, made } = setup(tenants);
  await acds.start();
  tenants.push(ACME);
  const [a, b] = await Promise.all([acds.acdFor('t-acme'), acds.acdFor('t-acme')]);
  assert.ok(a && a === b);
  assert.equal(made.filter((m) => m.tenant.slug === 'acme').length, 1);
  await acds.close();
});

test("a phone registering in a realm without a running ACD starts that tenant's ACD", async () => {
  const tenants = [DEMO];
  const { acds, made, phones } = setup(tenants);
  await acds.start();
  tenants.push(ACME);
  phones.emit('online', { realm: 'acme', extension: '1001', aor: '1001@acme', contact: 'sip:1001@127.0.0.1:5999' });
  for (let i = 0; i < 100 && !acds.bySlug('acme'); i++) await new Promise((r) => setTimeout(r, 5));
  assert.ok(acds.bySlug('acme'), 'acme runs');
  phones.emit('online', { realm: 'nowhere', extension: '1001', aor: '1001@nowhere', contact: 'sip:1001@127.0.0.1:5999' });
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(made.length, 2, 'no ACD for a realm that is no tenant');
  await acds.close();
});

test('a start that fails is not remembered: the next need tries again', async () => {
  const { acds, made } = setup([ACME], (_t, n) => ({ fail: n === 0 }));
  await acds.start();
  assert.equal(acds.get('t-acme'), undefined);
  assert.equal(made[0]?.closed, true, 'the half-started ACD was closed');
  const again = await acds.acdFor('t-acme');
  assert.ok(again, 'started on the second try');
  await acds.close();
});

test('close while an ACD is starting: it is closed when its start ends, never served', async () => {
  let open!: () => void;
  const gate = new Promise<void>((r) => (open = r));
  const { acds, made } = setup([ACME], () => ({ gate }));
  const pending = acds.acdFor('t-acme');
  for (let i = 0; i < 100 && made.length === 0; i++) await new Promise((r) => setTimeout(r, 1));
  assert.equal(made.length, 1, 'the ACD is starting');
  const closing = acds.close();
  open();
  assert.equal(await pending, undefined);
  await closing;
  assert.equal(made[0]?.closed, true);
});
