/**
 * Queue visits per interval (`intervals`, `outcomes`: the forecast's history and the review's
 * actuals) bucketed by LOCAL interval boundaries of the given zone, not by the epoch: in
 * +5:45 (Kathmandu) or +5:30 (Kolkata) a local hour starts at :15 or :30 past a UTC hour, so
 * epoch-aligned hours straddle two local ones. Across a daylight-saving change each visit lands
 * in the interval its wall clock shows; the handle-time mean of an interval is over its answered
 * visits (not a mean of means of the pieces it is summed from); zones whose offsets are whole
 * hours (UTC, Taipei) get exactly the epoch-aligned intervals they always had. Instants below are
 * written in UTC with the local time beside them, so the zone arithmetic is the test's own.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { ValidationError } from '../../src/store/errors.ts';
import { queueCallsRepository } from '../../src/store/repositories/queue-calls.ts';
import { tenantsRepository } from '../../src/store/repositories/tenants.ts';
import { eachBackend } from './backends.ts';

/** A visit: answered after `waitS` with `handleS` of talk + wrap-up (null: still talking), or lost after `waitS`. */
interface Visit {
  readonly at: string;
  readonly handleS?: number | null;
  readonly lost?: boolean;
  readonly waitS?: number;
}

const ms = (iso: string): number => Date.parse(iso);
/** Repository rows with ISO starts, for readable failures. */
const iso = <T extends { start: number }>(rows: T[]): (Omit<T, 'start'> & { start: string })[] => rows.map((r) => ({ ...r, start: new Date(r.start).toISOString() }));

eachBackend('queue call intervals in local time', (ctx) => {
  let tenants = 0;
  /** A fresh tenant holding `visits` (in queue "orders"). */
  const seeded = async (visits: readonly Visit[]): Promise<string> => {
    const db = ctx.store().db;
    const t = await tenantsRepository(db, ctx.clock).create({ slug: `qcb-${++tenants}`, name: 'Buckets' });
    const rows = visits.map((v) => {
      const at = ms(v.at);
      const wait = (v.waitS ?? 5) * 1000;
      const handle = v.handleS === undefined || v.handleS === null ? null : v.handleS * 1000;
      return v.lost
        ? { tenant_id: t.id, call_id: randomUUID(), queue: 'orders', entered_at: new Date(at), ended_at: new Date(at + wait), outcome: 'abandoned' as const, wait_ms: wait }
        : {
            tenant_id: t.id,
            call_id: randomUUID(),
            queue: 'orders',
            entered_at: new Date(at),
            answered_at: new Date(at + wait),
            wait_ms: wait,
            // Talk + wrap-up = handle; a visit still talking has neither yet.
            talk_ms: handle === null ? null : handle - Math.min(handle, 20_000),
            wrap_ms: handle === null ? null : Math.min(handle, 20_000),
            ...(handle === null ? {} : { ended_at: new Date(at + wait + handle), outcome: 'answered' as const }),
          };
    });
    if (rows.length > 0) await db.insertInto('queue_calls').values(rows).execute();
    return t.id;
  };
  const repo = () => queueCallsRepository(ctx.store().db, ctx.clock);
  const intervals = async (tenantId: string, timeZone: string, intervalMinutes: number, since: string, until: string) =>
    iso(await repo().intervals(tenantId, { since: new Date(since), until: new Date(until), intervalMinutes, timeZone }));

  // Monday 2025-11-10 in Kathmandu (UTC+5:45): local 10:00 is 04:15Z.
  const KATHMANDU: Visit[] = [
    { at: '2025-11-10T04:05:00Z', handleS: 100 }, // 09:50
    { at: '2025-11-10T04:16:00Z', handleS: 60 }, // 10:01
    { at: '2025-11-10T04:17:00Z', handleS: 60 }, // 10:02
    { at: '2025-11-10T04:18:00Z', handleS: 60 }, // 10:03
    { at: '2025-11-10T04:35:00Z', lost: true }, // 10:20
    { at: '2025-11-10T05:05:00Z', handleS: 300, waitS: 50 }, // 10:50
    { at: '2025-11-10T05:14:00Z', handleS: null }, // 10:59, still talking: a call, no handle time yet
    { at: '2025-11-10T05:15:00Z', lost: true }, // 11:00
  ];

  test('Asia/Kathmandu (+5:45): local hours and half-hours; handle time averaged over the answered visits, not over the pieces', async () => {
    const t = await seeded(KATHMANDU);
    const day = ['2025-11-09T18:15:00Z', '2025-11-10T18:15:00Z'] as const;
    assert.deepEqual(await intervals(t, 'Asia/Kathmandu', 60, ...day), [
      { start: '2025-11-10T03:15:00.000Z', calls: 1, ahtSeconds: 100 }, // 09:00
      // 10:00: three of 60 s and one of 300 s → 120 s (the 15-minute pieces' means, 60 and 300, would give 180).
      { start: '2025-11-10T04:15:00.000Z', calls: 6, ahtSeconds: 120 },
      { start: '2025-11-10T05:15:00.000Z', calls: 1 }, // 11:00
    ]);
    assert.deepEqual(await intervals(t, 'Asia/Kathmandu', 30, ...day), [
      { start: '2025-11-10T03:45:00.000Z', calls: 1, ahtSeconds: 100 }, // 09:30
      { start: '2025-11-10T04:15:00.000Z', calls: 4, ahtSeconds: 60 }, // 10:00
      { start: '2025-11-10T04:45:00.000Z', calls: 2, ahtSeconds: 300 }, // 10:30
      { start: '2025-11-10T05:15:00.000Z', calls: 1 }, // 11:00
    ]);
    assert.deepEqual(await intervals(t, 'Asia/Kathmandu', 60, '2025-11-10T04:16:00Z', '2025-11-10T05:05:00Z'), [{ start: '2025-11-10T04:15:00.000Z', calls: 4, ahtSeconds: 60 }], 'only visits that entered in [since, until)');
    assert.deepEqual(await intervals(t, 'Asia/Kathmandu', 60, '2025-11-10T04:16:00Z', '2025-11-10T04:16:00Z'), []);

    const outcomes = await repo().outcomes(t, { since: new Date(day[0]), until: new Date(day[1]), intervalMinutes: 60, timeZone: 'Asia/Kathmandu', targetMs: 30_000 });
    assert.deepEqual(iso(outcomes), [
      { start: '2025-11-10T03:15:00.000Z', offered: 1, answered: 1, within: 1, abandoned: 0 },
      { start: '2025-11-10T04:15:00.000Z', offered: 6, answered: 5, within: 4, abandoned: 1 },
      { start: '2025-11-10T05:15:00.000Z', offered: 1, answered: 0, within: 0, abandoned: 1 },
    ]);
  });

  test('Asia/Kolkata (+5:30): local hours start at :30 UTC; half-hours were already aligned and stay so', async () => {
    const t = await seeded([
      { at: '2025-11-10T04:29:00Z', handleS: 90 }, // 09:59
      { at: '2025-11-10T04:30:00Z', handleS: 30 }, // 10:00
      { at: '2025-11-10T04:59:00Z', handleS: 90 }, // 10:29
      { at: '2025-11-10T05:01:00Z', handleS: 120 }, // 10:31
      { at: '2025-11-10T05:29:59.999Z', lost: true }, // 10:59:59.999
      { at: '2025-11-10T05:30:00Z', handleS: 60 }, // 11:00
    ]);
    const day = ['2025-11-09T18:30:00Z', '2025-11-10T18:30:00Z'] as const;
    assert.deepEqual(await intervals(t, 'Asia/Kolkata', 60, ...day), [
      { start: '2025-11-10T03:30:00.000Z', calls: 1, ahtSeconds: 90 },
      { start: '2025-11-10T04:30:00.000Z', calls: 4, ahtSeconds: 80 },
      { start: '2025-11-10T05:30:00.000Z', calls: 1, ahtSeconds: 60 },
    ]);
    assert.deepEqual(await intervals(t, 'Asia/Kolkata', 30, ...day), [
      { start: '2025-11-10T04:00:00.000Z', calls: 1, ahtSeconds: 90 },
      { start: '2025-11-10T04:30:00.000Z', calls: 2, ahtSeconds: 60 },
      { start: '2025-11-10T05:00:00.000Z', calls: 2, ahtSeconds: 120 },
      { start: '2025-11-10T05:30:00.000Z', calls: 1, ahtSeconds: 60 },
    ]);
  });

  test('Europe/Berlin across the end and the start of summer time: each visit in the interval its wall clock shows', async () => {
    // 2025-10-26 01:00Z: 03:00 CEST (+2) becomes 02:00 CET (+1), so 02:00–03:00 runs twice.
    // 2025-03-30 01:00Z: 02:00 CET becomes 03:00 CEST, so 02:00–03:00 never runs.
    const t = await seeded([
      { at: '2025-10-25T23:50:00Z', handleS: 100 }, // 01:50 CEST
      { at: '2025-10-26T00:10:00Z', handleS: 200 }, // 02:10 CEST
      { at: '2025-10-26T00:50:00Z', lost: true }, // 02:50 CEST
      { at: '2025-10-26T01:10:00Z', handleS: 400 }, // 02:10 CET
      { at: '2025-10-26T01:59:00Z', handleS: 400 }, // 02:59 CET
      { at: '2025-10-26T02:05:00Z', handleS: 50 }, // 03:05 CET
      { at: '2025-03-30T00:59:00Z', handleS: 100 }, // 01:59 CET
      { at: '2025-03-30T01:00:00Z', handleS: 200 }, // 03:00 CEST
      { at: '2025-03-30T01:40:00Z', lost: true }, // 03:40 CEST
    ]);
    const autumn = ['2025-10-25T22:00:00Z', '2025-10-26T23:00:00Z'] as const;
    // The local 02:00 interval holds both runs of the repeated hour and starts at the first, as
    // the forecast's 02:00 of that day does (one interval per wall-clock slot of the day).
    assert.deepEqual(await intervals(t, 'Europe/Berlin', 60, ...autumn), [
      { start: '2025-10-25T23:00:00.000Z', calls: 1, ahtSeconds: 100 }, // 01:00
      { start: '2025-10-26T00:00:00.000Z', calls: 4, ahtSeconds: 333.333 }, // 02:00, both runs: (200 + 400 + 400) / 3
      { start: '2025-10-26T02:00:00.000Z', calls: 1, ahtSeconds: 50 }, // 03:00 CET
    ]);
    assert.deepEqual(await intervals(t, 'Europe/Berlin', 30, ...autumn), [
      { start: '2025-10-25T23:30:00.000Z', calls: 1, ahtSeconds: 100 }, // 01:30
      { start: '2025-10-26T00:00:00.000Z', calls: 2, ahtSeconds: 300 }, // 02:00 CEST and CET
      { start: '2025-10-26T00:30:00.000Z', calls: 2, ahtSeconds: 400 }, // 02:30 CEST and CET
      { start: '2025-10-26T02:00:00.000Z', calls: 1, ahtSeconds: 50 }, // 03:00
    ]);
    // Spring: local 03:00 begins at the jump.
    assert.deepEqual(await intervals(t, 'Europe/Berlin', 60, '2025-03-29T23:00:00Z', '2025-03-30T22:00:00Z'), [
      { start: '2025-03-30T00:00:00.000Z', calls: 1, ahtSeconds: 100 }, // 01:00 CET
      { start: '2025-03-30T01:00:00.000Z', calls: 2, ahtSeconds: 200 }, // 03:00 CEST
    ]);
  });

  test('UTC and Asia/Taipei (whole-hour offsets): the epoch-aligned intervals, unchanged', async () => {
    const visits: Visit[] = [
      { at: '2025-11-10T00:00:00Z', handleS: 100 },
      { at: '2025-11-10T00:14:59.999Z', handleS: 200 },
      { at: '2025-11-10T00:15:00Z', lost: true },
      { at: '2025-11-10T00:29:00Z', handleS: 35 },
      { at: '2025-11-10T00:31:00Z', handleS: 70 },
      { at: '2025-11-10T00:59:59Z', handleS: null },
      { at: '2025-11-10T01:00:00Z', handleS: 80 },
      { at: '2025-11-10T15:59:00Z', handleS: 1 },
      { at: '2025-11-10T16:00:00Z', handleS: 2 },
      { at: '2025-11-10T23:59:00Z', lost: true },
    ];
    const t = await seeded(visits);
    for (const step of [15, 30, 60]) {
      // What floor(epoch / step) gave: the groups, their calls and the mean handle time of the answered.
      const groups = new Map<number, Visit[]>();
      for (const v of visits) {
        const start = Math.floor(ms(v.at) / (step * 60_000)) * step * 60_000;
        groups.set(start, [...(groups.get(start) ?? []), v]);
      }
      const expected = [...groups].map(([start, vs]) => {
        const handled = vs.filter((v) => !v.lost && typeof v.handleS === 'number').map((v) => v.handleS!);
        return { start: new Date(start).toISOString(), calls: vs.length, ...(handled.length > 0 ? { ahtSeconds: Math.round((1000 * handled.reduce((a, b) => a + b, 0)) / handled.length) / 1000 } : {}) };
      });
      for (const zone of ['UTC', 'Asia/Taipei']) assert.deepEqual(await intervals(t, zone, step, '2025-11-09T00:00:00Z', '2025-11-11T00:00:00Z'), expected, `${zone}, ${step} min`);
    }
  });

  test('offsets or changes off the quarter hour: counted exactly, from finer pieces where a quarter hour straddles', async () => {
    // St. John's changed at 00:01 local in 2006 (03:31Z: 00:01 NST −3:30 → 01:01 NDT −2:30): the quarter hour from 03:30Z holds both sides.
    const t = await seeded([
      { at: '2006-04-02T03:29:00Z', handleS: 10 }, // 23:59 NST (Saturday)
      { at: '2006-04-02T03:30:30Z', handleS: 20 }, // 00:00:30 NST
      { at: '2006-04-02T03:40:00Z', handleS: 40 }, // 01:10 NDT
      // Monrovia kept −0:44:30 until 1972: local hours start at 44:30 past UTC ones.
      { at: '1971-06-01T10:44:00Z', handleS: 10 }, // 09:59:30
      { at: '1971-06-01T10:44:45Z', handleS: 30 }, // 10:00:15
      { at: '1971-06-01T11:44:29Z', handleS: 50 }, // 10:59:59
    ]);
    assert.deepEqual(await intervals(t, 'America/St_Johns', 60, '2006-04-01T00:00:00Z', '2006-04-03T00:00:00Z'), [
      { start: '2006-04-02T02:30:00.000Z', calls: 1, ahtSeconds: 10 }, // 23:00 NST
      { start: '2006-04-02T03:30:00.000Z', calls: 1, ahtSeconds: 20 }, // 00:00 NST, one minute long
      { start: '2006-04-02T03:31:00.000Z', calls: 1, ahtSeconds: 40 }, // 01:00 NDT: from the change (00:01 → 01:01)
    ]);
    assert.deepEqual(await intervals(t, 'Africa/Monrovia', 60, '1971-06-01T00:00:00Z', '1971-06-02T00:00:00Z'), [
      { start: '1971-06-01T09:44:30.000Z', calls: 1, ahtSeconds: 10 },
      { start: '1971-06-01T10:44:30.000Z', calls: 2, ahtSeconds: 40 },
    ]);
  });

  test('a zone Intl does not know or an interval that does not divide a day is a ValidationError; another tenant sees nothing', async () => {
    const t = await seeded(KATHMANDU);
    const period = { since: new Date('2025-11-10T00:00:00Z'), until: new Date('2025-11-11T00:00:00Z') };
    await assert.rejects(repo().intervals(t, { ...period, intervalMinutes: 60, timeZone: 'Asia/Atlantis' }), ValidationError);
    await assert.rejects(repo().outcomes(t, { ...period, intervalMinutes: 7, timeZone: 'UTC', targetMs: 0 }), ValidationError);
    await assert.rejects(repo().intervals(t, { ...period, intervalMinutes: 0, timeZone: 'UTC' }), ValidationError);
    const other = await seeded([]);
    assert.deepEqual(await repo().intervals(other, { ...period, intervalMinutes: 60, timeZone: 'Asia/Kathmandu' }), []);
    assert.deepEqual(await repo().intervals('not-a-tenant', { ...period, intervalMinutes: 60, timeZone: 'Asia/Kathmandu' }), []);
  });
});
