/** Named schedules in the store: validated on put, replaced in place, removed, scoped by tenant, audited. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { restaurant, weekdayOfficeHours } from '../../src/schedules/presets.ts';
import { NotFoundError, ValidationError } from '../../src/store/errors.ts';
import { auditRepository } from '../../src/store/repositories/audit.ts';
import { schedulesRepository } from '../../src/store/repositories/schedules.ts';
import { tenantsRepository } from '../../src/store/repositories/tenants.ts';
import { eachBackend } from './backends.ts';

eachBackend('schedules', (ctx) => {
  const repos = () => ({
    tenants: tenantsRepository(ctx.store().db, ctx.clock),
    schedules: schedulesRepository(ctx.store().db, ctx.clock),
    audit: auditRepository(ctx.store().db, ctx.clock),
  });

  test('put validates, stores and replaces; get/list read it back; remove deletes; each change audited', async () => {
    const { tenants, schedules, audit } = repos();
    const t = await tenants.create({ slug: 'sched', name: 'S' });
    const created = await schedules.put(t.id, 'hours', weekdayOfficeHours(), 'alice');
    assert.deepEqual(created, { name: 'hours', schedule: weekdayOfficeHours(), updatedAt: new Date(ctx.clock.wallNow()) });
    ctx.clock.advance(1000);
    // A document without holidays gets the default [] from parseSchedule.
    const { holidays: _, ...withoutHolidays } = restaurant();
    const replaced = await schedules.put(t.id, 'hours', withoutHolidays, 'bob');
    assert.deepEqual(replaced.schedule, restaurant());
    assert.equal(replaced.updatedAt.getTime(), ctx.clock.wallNow());
    assert.deepEqual(await schedules.get(t.id, 'hours'), replaced);
    await assert.rejects(
      schedules.put(t.id, 'hours', { ...weekdayOfficeHours(), timeZone: 'Mars/Base' }, 'bob'),
      (err: unknown) => err instanceof ValidationError && /timeZone: unknown time zone/.test(err.message),
    );
    await assert.rejects(schedules.put(t.id, 'bad name!', weekdayOfficeHours(), 'bob'), ValidationError);
    assert.deepEqual(await schedules.get(t.id, 'hours'), replaced, 'a refused put changes nothing');
    await schedules.put(t.id, 'another', weekdayOfficeHours(), 'bob');
    assert.deepEqual((await schedules.list(t.id)).map((s) => s.name), ['another', 'hours']);
    await schedules.remove(t.id, 'hours', 'carol');
    await assert.rejects(schedules.get(t.id, 'hours'), NotFoundError);
    await assert.rejects(schedules.remove(t.id, 'hours', 'carol'), NotFoundError);
    assert.deepEqual(
      (await audit.list(t.id, { subject: 'schedule:hours' })).map((e) => [e.action, e.actor]).reverse(),
      [
        ['schedule.put', 'alice'],
        ['schedule.put', 'bob'],
        ['schedule.remove', 'carol'],
      ],
    );
  });

  test("tenant isolation: another tenant's schedule name is not found; each tenant has its own", async () => {
    const { tenants, schedules } = repos();
    const a = await tenants.create({ slug: 'sched-a', name: 'A' });
    const b = await tenants.create({ slug: 'sched-b', name: 'B' });
    await schedules.put(b.id, 'hours', restaurant(), 'bob');
    await assert.rejects(schedules.get(a.id, 'hours'), NotFoundError);
    await assert.rejects(schedules.remove(a.id, 'hours', 'eve'), NotFoundError);
    assert.deepEqual(await schedules.list(a.id), []);
    await schedules.put(a.id, 'hours', weekdayOfficeHours(), 'alice');
    assert.deepEqual((await schedules.get(b.id, 'hours')).schedule, restaurant(), "A's put did not touch B's");
  });
});
