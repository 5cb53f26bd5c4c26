/**
 * The runtime's number → line lookup, remembered for a second over the real lines
 * repository (PGlite and PostgreSQL): one query per number and second however many calls
 * come, a changed line seen once the second is over, a number that reaches no line asked
 * again at once, a failed lookup not kept.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LineLookupCache } from '../../src/ivr/line-cache.ts';
import { linesRepository } from '../../src/store/repositories/lines.ts';
import { flowsRepository } from '../../src/store/repositories/flows.ts';
import { tenantsRepository } from '../../src/store/repositories/tenants.ts';
import { eachBackend } from '../store/backends.ts';

eachBackend('line lookup cache', (ctx) => {
  test('one query per number and second; a change is seen after the second; unknown numbers and failures are not kept', async () => {
    const db = ctx.store().db;
    const lines = linesRepository(db, ctx.clock);
    const t = await tenantsRepository(db, ctx.clock).create({ slug: 'line-cache', name: 'L' });
    const { flow } = await flowsRepository(db, ctx.clock).push(t.id, { version: 1, name: 'lc', start: 'bye', nodes: { bye: { type: 'hangup' } } }, 'a');
    const line = await lines.createLine(t.id, { name: 'main', timeZone: 'UTC' });
    await lines.addNumber(t.id, line.id, '4008007001');
    await lines.setFlow(t.id, line.id, flow.id, 'a');

    let queries = 0;
    let fail = false;
    const cache = new LineLookupCache(
      (digits) => {
        queries++;
        return fail ? Promise.reject(new Error('store down')) : lines.lineForCall(digits);
      },
      ctx.clock,
      1000,
    );
    const burst = await Promise.all(Array.from({ length: 20 }, () => cache.get('4008007001')));
    assert.equal(queries, 1, '20 concurrent calls, one query');
    assert.ok(burst.every((l) => l?.lineId === line.id && l.flowId === flow.id), 'every call gets the line and its flow');

    await lines.setFlow(t.id, line.id, null, 'a');
    ctx.clock.advance(999);
    assert.equal((await cache.get('4008007001'))?.flowId, flow.id, 'within the second: the line as it was');
    assert.equal(queries, 1);
    ctx.clock.advance(1);
    assert.equal((await cache.get('4008007001'))?.flowId, null, 'after it: the detached flow is seen');
    assert.equal(queries, 2);

    assert.equal(await cache.get('4008007002'), undefined, 'an unknown number');
    await lines.addNumber(t.id, line.id, '4008007002');
    assert.equal((await cache.get('4008007002'))?.lineId, line.id, 'the number added is found at once: misses are not kept');

    ctx.clock.advance(1000);
    fail = true;
    await assert.rejects(cache.get('4008007001'), /store down/);
    fail = false;
    assert.equal((await cache.get('4008007001'))?.lineId, line.id, 'a failed lookup is asked again');
  });
});
