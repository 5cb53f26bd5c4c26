/** Recordings in the store: create/get/list with filters, paths kept relative to the data dir, agent link, tenant scoping. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NotFoundError, ValidationError } from '../../src/store/errors.ts';
import { agentsRepository } from '../../src/store/repositories/agents.ts';
import { recordingsRepository } from '../../src/store/repositories/recordings.ts';
import { tenantsRepository } from '../../src/store/repositories/tenants.ts';
import { eachBackend } from './backends.ts';

const CALL_A = '6f1c2a3b-0000-4000-8000-0000000000a1';
const CALL_B = '6f1c2a3b-0000-4000-8000-0000000000b2';

eachBackend('recordings', (ctx) => {
  test('create, get, list newest first and by call/agent/queue; bad paths, modes and agents refused', async () => {
    const db = ctx.store().db;
    const t = await tenantsRepository(db, ctx.clock).create({ slug: 'rec', name: 'R' });
    const agent = await agentsRepository(db, ctx.clock).create(t.id, { extension: '1001' }, 'admin');
    const recordings = recordingsRepository(db, ctx.clock);
    const t0 = ctx.clock.wallNow();
    const a = await recordings.create(t.id, { callId: CALL_A, queue: 'egou-orders', agentId: agent.id, path: 'recordings/rec/2026-11-23/a.wav', mode: 'stereo', startedAt: new Date(t0), durationMs: 61_000, pauses: [{ startMs: 12_000, endMs: 31_500 }] });
    assert.deepEqual(
      { ...a, id: '' },
      { id: '', tenantId: t.id, callId: CALL_A, queue: 'egou-orders', agentId: agent.id, path: 'recordings/rec/2026-11-23/a.wav', mode: 'stereo', startedAt: new Date(t0), durationMs: 61_000, pauses: [{ startMs: 12_000, endMs: 31_500 }], createdAt: new Date(t0) },
    );
    const b = await recordings.create(t.id, { callId: CALL_B, path: 'recordings/rec/2026-11-23/b.wav', mode: 'mixed', startedAt: new Date(t0 + 5000), durationMs: 1000 });
    assert.deepEqual(await recordings.get(t.id, a.id), a);
    assert.deepEqual(b.pauses, [], 'no pauses by default');
    for (const pauses of [[{ startMs: 5, endMs: 4 }], [{ startMs: 0, endMs: 2000 }], [{ startMs: 0, endMs: 500 }, { startMs: 400, endMs: 600 }], [{ startMs: 0.5, endMs: 1 }]]) {
      await assert.rejects(recordings.create(t.id, { callId: CALL_B, path: 'x.wav', mode: 'mixed', startedAt: new Date(t0), durationMs: 1000, pauses }), ValidationError, JSON.stringify(pauses));
    }
    assert.deepEqual((await recordings.list(t.id)).map((r) => r.id), [b.id, a.id]);
    assert.deepEqual((await recordings.list(t.id, { callId: CALL_A })).map((r) => r.id), [a.id]);
    assert.deepEqual((await recordings.list(t.id, { agentId: agent.id })).map((r) => r.id), [a.id]);
    assert.deepEqual((await recordings.list(t.id, { queue: 'egou-orders' })).map((r) => r.id), [a.id]);
    assert.deepEqual((await recordings.list(t.id, { since: new Date(t0 + 1) })).map((r) => r.id), [b.id]);
    await assert.rejects(recordings.create(t.id, { callId: CALL_A, path: '/abs.wav', mode: 'stereo', startedAt: new Date(t0), durationMs: 1 }), ValidationError);
    await assert.rejects(recordings.create(t.id, { callId: CALL_A, path: 'x.wav', mode: 'mono' as never, startedAt: new Date(t0), durationMs: 1 }), ValidationError);
    await assert.rejects(recordings.create(t.id, { callId: 'nope', path: 'x.wav', mode: 'mixed', startedAt: new Date(t0), durationMs: 1 }), ValidationError);
    await assert.rejects(
      recordings.create(t.id, { callId: CALL_A, agentId: '00000000-0000-4000-8000-000000000000', path: 'x.wav', mode: 'mixed', startedAt: new Date(t0), durationMs: 1 }),
      NotFoundError,
    );
    await agentsRepository(db, ctx.clock).remove(t.id, agent.id, 'admin');
    assert.equal((await recordings.get(t.id, a.id)).agentId, null, 'the recording outlives its agent');
  });

  test("tenant isolation: another tenant's recording is not found, nor can its agent be named", async () => {
    const db = ctx.store().db;
    const tenants = tenantsRepository(db, ctx.clock);
    const a = await tenants.create({ slug: 'rec-a', name: 'A' });
    const b = await tenants.create({ slug: 'rec-b', name: 'B' });
    const recordings = recordingsRepository(db, ctx.clock);
    const rb = await recordings.create(b.id, { callId: CALL_A, path: 'b.wav', mode: 'mixed', startedAt: new Date(ctx.clock.wallNow()), durationMs: 1 });
    await assert.rejects(recordings.get(a.id, rb.id), NotFoundError);
    assert.deepEqual(await recordings.list(a.id), []);
    const agentB = await agentsRepository(db, ctx.clock).create(b.id, { extension: '1001' }, 'root');
    await assert.rejects(
      recordings.create(a.id, { callId: CALL_A, agentId: agentB.id, path: 'a.wav', mode: 'mixed', startedAt: new Date(ctx.clock.wallNow()), durationMs: 1 }),
      NotFoundError,
    );
  });

  test('expired lists a queue\'s recordings older than a time, oldest first; remove deletes one record, tenant-scoped', async () => {
    const db = ctx.store().db;
    const t = await tenantsRepository(db, ctx.clock).create({ slug: 'rec-expiry', name: 'R' });
    const other = await tenantsRepository(db, ctx.clock).create({ slug: 'rec-expiry-2', name: 'O' });
    const recordings = recordingsRepository(db, ctx.clock);
    const at = (d: number) => new Date(Date.UTC(2026, 9, d));
    const mk = (tenant: string, queue: string, d: number) =>
      recordings.create(tenant, { callId: crypto.randomUUID(), queue, path: `recordings/x/${queue}-${d}.wav`, mode: 'mixed', startedAt: at(d), durationMs: 1000 });
    const r5 = await mk(t.id, 'q', 5);
    const r1 = await mk(t.id, 'q', 1);
    await mk(t.id, 'q', 20);
    await mk(t.id, 'other-queue', 2);
    await mk(other.id, 'q', 1);
    assert.deepEqual((await recordings.expired(t.id, 'q', at(10))).map((r) => r.id), [r1.id, r5.id], 'oldest first, this queue and tenant only');
    assert.deepEqual((await recordings.expired(t.id, 'q', at(10), 1)).map((r) => r.id), [r1.id]);
    await assert.rejects(recordings.remove(other.id, r1.id, 'x'), NotFoundError, "another tenant's");
    await recordings.remove(t.id, r1.id, 'retention');
    await assert.rejects(recordings.get(t.id, r1.id), NotFoundError);
    await assert.rejects(recordings.remove(t.id, r1.id, 'retention'), NotFoundError, 'already gone');
  });
});
