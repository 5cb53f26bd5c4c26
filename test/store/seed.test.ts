/** First-start demo data, on PGlite and PostgreSQL: both hotlines routed by number, seeding twice adds nothing. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { seedDemo } from '../../src/demo/seed.ts';
import { linesRepository } from '../../src/store/repositories/lines.ts';
import { eachBackend } from './backends.ts';

eachBackend('demo seed', (ctx) => {
  test('tenant demo with E購網 on 4008001111 and SKTickets on 4008002222; idempotent', async () => {
    const db = ctx.store().db;
    const first = await seedDemo(db, ctx.clock);
    assert.equal(first.created, true);
    const again = await seedDemo(db, ctx.clock);
    assert.deepEqual(again, { tenantId: first.tenantId, created: false });
    const lines = linesRepository(db, ctx.clock);
    assert.deepEqual(
      (await lines.listLines(first.tenantId)).map((l) => l.name).sort(),
      ['E購網', 'SKTickets'].sort(),
    );
    const egou = await lines.routeDialled('4008001111');
    const skt = await lines.routeDialled('4008002222');
    assert.equal(egou?.tenantId, first.tenantId);
    assert.equal(skt?.tenantId, first.tenantId);
    assert.notEqual(egou?.lineId, skt?.lineId);
    assert.equal((await lines.getLine(first.tenantId, egou!.lineId)).name, 'E購網');
    assert.equal(await lines.routeDialled('4008009999'), undefined);
  });
});
