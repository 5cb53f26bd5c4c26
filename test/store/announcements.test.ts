/** Announcement slots in the store: presets, changes with values and expiry, the row lock, changedSince, tenant scoping. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { heardAt } from '../../src/announcements/slot.ts';
import { SKTICKETS_PRESETS } from '../../src/announcements/sktickets-presets.ts';
import { NotFoundError, ValidationError } from '../../src/store/errors.ts';
import { announcementsRepository } from '../../src/store/repositories/announcements.ts';
import { auditRepository } from '../../src/store/repositories/audit.ts';
import { linesRepository } from '../../src/store/repositories/lines.ts';
import { tenantsRepository } from '../../src/store/repositories/tenants.ts';
import { eachBackend } from './backends.ts';

eachBackend('announcements', (ctx) => {
  const repos = () => ({
    tenants: tenantsRepository(ctx.store().db, ctx.clock),
    lines: linesRepository(ctx.store().db, ctx.clock),
    ann: announcementsRepository(ctx.store().db, ctx.clock),
    audit: auditRepository(ctx.store().db, ctx.clock),
  });

  const setup = async (slug: string) => {
    const r = repos();
    const t = await r.tenants.create({ slug, name: slug });
    const line = await r.lines.createLine(t.id, { name: 'SKTickets', timeZone: 'Asia/Taipei' });
    await r.ann.setPresets(t.id, line.id, 'banner', [...SKTICKETS_PRESETS], 'alice');
    return { ...r, t, line };
  };

  test('a slot never set is empty at version 0; presets keep their order', async () => {
    const { ann, t, line } = await setup('ann-empty');
    const state = await ann.get(t.id, line.id, 'banner');
    assert.deepEqual([state.slot, state.version, state.text, state.preset], ['banner', 0, null, null]);
    assert.deepEqual(await ann.presets(t.id, line.id, 'banner'), SKTICKETS_PRESETS);
    assert.deepEqual(await ann.presets(t.id, line.id, 'other'), []);
    assert.deepEqual((await ann.list(t.id, line.id)).map((s) => [s.slot, s.version]), [['banner', 0]], 'a slot with presets is listed');
  });

  test('preset defaults: a bare switch speaks the time +2h from now in the line zone; another zone says another time', async () => {
    const { ann, lines, t, line } = await setup('ann-defaults');
    const now = ctx.clock.wallNow();
    const taipei = await ann.set(t.id, line.id, 'banner', { preset: 'outage', by: 'alice' });
    const at = Math.ceil((now + 2 * 3_600_000) / 300_000) * 300_000;
    const hhmm = (zone: string): string => new Intl.DateTimeFormat('en-GB', { timeZone: zone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(at);
    assert.ok(taipei.values.time && taipei.values.url === 'www.sktickets.com', JSON.stringify(taipei.values));
    const zoned = await lines.createLine(t.id, { name: 'LA', timeZone: 'America/Los_Angeles' });
    await ann.setPresets(t.id, zoned.id, 'banner', [...SKTICKETS_PRESETS], 'alice');
    const la = await ann.set(t.id, zoned.id, 'banner', { preset: 'outage', by: 'alice' });
    assert.notEqual(hhmm('Asia/Taipei'), hhmm('America/Los_Angeles'), 'the zones differ at this instant');
    assert.notEqual(taipei.values.time, la.values.time, `each line speaks its own local time: ${taipei.values.time} / ${la.values.time}`);
    assert.ok(taipei.text?.includes(`預計於 ${taipei.values.time} 恢復正常`), taipei.text ?? 'null');
  });

  test('set: preset with values, free text, expiry; refusals are ValidationErrors and change nothing', async () => {
    const { ann, audit, t, line } = await setup('ann-set');
    const now = ctx.clock.wallNow();
    const outage = await ann.set(t.id, line.id, 'banner', {
      preset: 'outage',
      values: { time: '下午三點', url: 'sktickets.example' },
      expiresAt: now + 3_600_000,
      by: 'alice',
    });
    assert.equal(outage.version, 1);
    assert.equal(outage.preset, 'outage');
    assert.ok(outage.text?.includes('預計於 下午三點 恢復正常') && outage.text.includes('sktickets.example'), outage.text ?? 'null');
    assert.equal(outage.expiresAt, now + 3_600_000);
    assert.deepEqual(await ann.get(t.id, line.id, 'banner'), outage, 'read back as stored');

    await assert.rejects(ann.set(t.id, line.id, 'banner', { text: '預計於 [時間] 恢復', values: {}, by: 'bob' }), ValidationError, 'a missing [時間] is refused');
    await assert.rejects(ann.set(t.id, line.id, 'banner', { preset: 'nope', by: 'bob' }), ValidationError);
    await assert.rejects(ann.set(t.id, line.id, 'banner', { text: 'x', expiresAt: now - 1, by: 'bob' }), ValidationError, 'expiry in the past');
    assert.equal((await ann.get(t.id, line.id, 'banner')).version, 1, 'refused changes leave the slot alone');

    ctx.clock.advance(1000);
    const text = await ann.set(t.id, line.id, 'banner', { text: '系統維護中。', by: 'bob' });
    assert.deepEqual([text.version, text.preset, text.text, text.setBy, text.expiresAt], [2, null, '系統維護中。', 'bob', null]);
    const normal = await ann.set(t.id, line.id, 'banner', { preset: 'normal', by: 'carol' });
    assert.deepEqual([normal.version, normal.text], [3, null]);

    const expiring = await ann.set(t.id, line.id, 'sub', { text: 'short', expiresAt: ctx.clock.wallNow() + 1000, by: 'bob' });
    assert.equal(heardAt(await ann.get(t.id, line.id, 'sub'), ctx.clock.wallNow())?.text, 'short');
    assert.equal(heardAt(await ann.get(t.id, line.id, 'sub'), expiring.expiresAt!), null, 'expired');
    assert.deepEqual((await ann.list(t.id, line.id)).map((s) => [s.slot, s.version]), [['banner', 3], ['sub', 1]]);

    const entries = await audit.list(t.id, { subject: `announcement:${line.id}/banner` });
    assert.deepEqual(
      entries.map((e) => [e.action, e.actor, e.detail['version'] ?? null]).reverse(),
      [
        ['announcement.presets', 'alice', null],
        ['announcement.set', 'alice', 1],
        ['announcement.set', 'bob', 2],
        ['announcement.set', 'carol', 3],
      ],
    );
  });

  test('concurrent changes of one slot: versions 1 and 2 (first change), then 3 and 4; none lost', async () => {
    const { ann, audit, t, line } = await setup('ann-race');
    // Twice: on a slot without a row (the insert races) and on one with a row (only the lock serialises).
    for (const expected of [
      [1, 2],
      [3, 4],
    ]) {
      const [a, b] = await Promise.all([
        ann.set(t.id, line.id, 'banner', { text: 'from A', by: 'a' }),
        ann.set(t.id, line.id, 'banner', { text: 'from B', by: 'b' }),
      ]);
      assert.deepEqual([a.version, b.version].sort(), expected, 'each change got its own version');
      const last = a.version > b.version ? a : b;
      assert.deepEqual(await ann.get(t.id, line.id, 'banner'), last, 'the later change is the state');
    }
    const sets = (await audit.list(t.id, { subject: `announcement:${line.id}/banner` })).filter((e) => e.action === 'announcement.set');
    assert.deepEqual(sets.map((e) => e.detail['version']).sort(), [1, 2, 3, 4], 'every change recorded');
  });

  test('changedSince lists changes of every tenant after the instant', async () => {
    const { ann, t, line } = await setup('ann-changed');
    ctx.clock.advance(60_000);
    const mark = new Date(ctx.clock.wallNow());
    assert.deepEqual(await ann.changedSince(mark), []);
    ctx.clock.advance(10);
    const state = await ann.set(t.id, line.id, 'banner', { text: 'now', by: 'a' });
    assert.deepEqual(await ann.changedSince(mark), [{ tenantId: t.id, lineId: line.id, state, updatedAt: new Date(ctx.clock.wallNow()) }]);
    assert.deepEqual(await ann.changedSince(new Date(ctx.clock.wallNow())), [], 'nothing after the last change');
  });

  test("tenant isolation: another tenant's line is not found for every operation", async () => {
    const { ann, t: a } = await setup('ann-iso-a');
    const { line: lineB, t: b } = await setup('ann-iso-b');
    await assert.rejects(ann.get(a.id, lineB.id, 'banner'), NotFoundError);
    await assert.rejects(ann.list(a.id, lineB.id), NotFoundError);
    await assert.rejects(ann.presets(a.id, lineB.id, 'banner'), NotFoundError);
    await assert.rejects(ann.setPresets(a.id, lineB.id, 'banner', [], 'eve'), NotFoundError);
    await assert.rejects(ann.set(a.id, lineB.id, 'banner', { text: 'hijack', by: 'eve' }), NotFoundError);
    assert.equal((await ann.get(b.id, lineB.id, 'banner')).version, 0, 'B untouched');
    assert.equal((await ann.presets(b.id, lineB.id, 'banner')).length, SKTICKETS_PRESETS.length);
  });
});
