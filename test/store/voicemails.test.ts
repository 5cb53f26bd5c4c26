/**
 * Voicemails in the store: created with number, time, path (relative to the data dir) and
 * digits; with a callback task in one transaction (both or neither); listed newest first,
 * assigned to a user of the tenant and marked done; tenant scoping.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NotFoundError, ValidationError } from '../../src/store/errors.ts';
import { callbacksRepository } from '../../src/store/repositories/callbacks.ts';
import { linesRepository } from '../../src/store/repositories/lines.ts';
import { tenantsRepository } from '../../src/store/repositories/tenants.ts';
import { usersRepository } from '../../src/store/repositories/users.ts';
import { voicemailsRepository } from '../../src/store/repositories/voicemails.ts';
import { eachBackend } from './backends.ts';

eachBackend('voicemails', (ctx) => {
  const setup = async (slug: string) => {
    const db = ctx.store().db;
    const t = await tenantsRepository(db, ctx.clock).create({ slug, name: slug });
    const line = await linesRepository(db, ctx.clock).createLine(t.id, { name: 'L', timeZone: 'Asia/Taipei' });
    return { t, line, voicemails: voicemailsRepository(db, ctx.clock), callbacks: callbacksRepository(db, ctx.clock), users: usersRepository(db, ctx.clock) };
  };

  test('create, get, list newest first; assign to a user, unassign, done', async () => {
    const { t, line, voicemails, users } = await setup('vm-basic');
    const t0 = ctx.clock.wallNow();
    const first = await voicemails.create(t.id, {
      lineId: line.id,
      queue: 'sktickets-general',
      callId: '6f1c2a3b-0000-4000-8000-0000000000aa',
      callerNumber: '0911000111',
      recordedAt: new Date(t0),
      durationMs: 12_340,
      path: 'voicemails/demo/2026-11-23/a.wav',
      ivrPath: ['banner', 'menu'],
      digits: '0#',
    });
    assert.deepEqual(
      { ...first, id: '' },
      {
        id: '',
        tenantId: t.id,
        lineId: line.id,
        queue: 'sktickets-general',
        callId: '6f1c2a3b-0000-4000-8000-0000000000aa',
        callerNumber: '0911000111',
        recordedAt: new Date(t0),
        durationMs: 12_340,
        path: 'voicemails/demo/2026-11-23/a.wav',
        ivrPath: ['banner', 'menu'],
        digits: '0#',
        assignedTo: null,
        state: 'new',
        updatedAt: new Date(t0),
      },
    );
    const second = await voicemails.create(t.id, { lineId: line.id, callerNumber: '0911000222', recordedAt: new Date(t0 + 1000), durationMs: 0, path: 'voicemails/b.wav' });
    assert.deepEqual((await voicemails.list(t.id)).map((v) => v.id), [second.id, first.id]);
    assert.deepEqual((await voicemails.list(t.id, { limit: 1, before: second.recordedAt })).map((v) => v.id), [first.id], 'the cursor pages');
    const mei = await users.create(t.id, { username: 'mei', role: 'agent' }, 'admin');
    const assigned = await voicemails.assign(t.id, first.id, mei.id);
    assert.deepEqual([assigned.assignedTo, assigned.state], [mei.id, 'assigned']);
    assert.deepEqual((await voicemails.list(t.id, { assignedTo: mei.id })).map((v) => v.id), [first.id]);
    assert.deepEqual((await voicemails.list(t.id, { state: 'new' })).map((v) => v.id), [second.id]);
    const back = await voicemails.assign(t.id, first.id, null);
    assert.deepEqual([back.assignedTo, back.state], [null, 'new']);
    assert.equal((await voicemails.done(t.id, first.id)).state, 'done');
    await assert.rejects(voicemails.assign(t.id, first.id, '00000000-0000-4000-8000-000000000000'), NotFoundError);

    for (const path of ['/etc/passwd', '../x.wav', 'a//b.wav', 'a/./b.wav', 'a\\b.wav', '']) {
      await assert.rejects(voicemails.create(t.id, { lineId: line.id, callerNumber: '1', recordedAt: new Date(t0), durationMs: 1, path }), ValidationError, `refuses ${path}`);
    }
    await assert.rejects(voicemails.create(t.id, { lineId: line.id, callerNumber: '1', recordedAt: new Date(t0), durationMs: -1, path: 'a.wav' }), ValidationError);
  });

  test('createWithCallback commits the voicemail and its callback together, or neither', async () => {
    const { t, line, voicemails, callbacks } = await setup('vm-cb');
    const now = new Date(ctx.clock.wallNow());
    const due = new Date(now.getTime() + 3_600_000);
    const { voicemail, callback } = await voicemails.createWithCallback(
      t.id,
      { lineId: line.id, queue: 'egou-orders', callerNumber: '0922333444', recordedAt: now, durationMs: 5000, path: 'vm/c.wav', ivrPath: ['menu'], digits: '3' },
      { dueAt: due, maxAttempts: 5 },
    );
    assert.deepEqual(
      [callback.kind, callback.voicemailId, callback.callerNumber, callback.lineId, callback.queue, callback.ivrPath, callback.digits, callback.dueAt, callback.maxAttempts, callback.state],
      ['voicemail', voicemail.id, '0922333444', line.id, 'egou-orders', ['menu'], '3', due, 5, 'pending'],
      'the callback carries the voicemail and what the caller did',
    );
    assert.deepEqual(await callbacks.get(t.id, callback.id), callback);
    const before = [(await voicemails.list(t.id)).length, (await callbacks.list(t.id)).length];
    await assert.rejects(
      voicemails.createWithCallback(t.id, { lineId: line.id, callerNumber: '1', recordedAt: now, durationMs: 1, path: 'vm/d.wav' }, { maxAttempts: 0 }),
      ValidationError,
    );
    await assert.rejects(
      voicemails.createWithCallback(t.id, { lineId: '00000000-0000-4000-8000-000000000000', callerNumber: '1', recordedAt: now, durationMs: 1, path: 'vm/e.wav' }, {}),
      NotFoundError,
    );
    assert.deepEqual([(await voicemails.list(t.id)).length, (await callbacks.list(t.id)).length], before, 'a refused pair leaves neither');
  });

  test("tenant isolation: another tenant's voicemail and users are out of reach", async () => {
    const a = await setup('vm-iso-a');
    const b = await setup('vm-iso-b');
    const vm = await b.voicemails.create(b.t.id, { lineId: b.line.id, callerNumber: '1', recordedAt: new Date(ctx.clock.wallNow()), durationMs: 1, path: 'x.wav' });
    await assert.rejects(a.voicemails.get(a.t.id, vm.id), NotFoundError);
    await assert.rejects(a.voicemails.assign(a.t.id, vm.id, null), NotFoundError);
    await assert.rejects(a.voicemails.done(a.t.id, vm.id), NotFoundError);
    assert.deepEqual(await a.voicemails.list(a.t.id), []);
    const userOfA = await a.users.create(a.t.id, { username: 'ana', role: 'agent' }, 'root');
    await assert.rejects(b.voicemails.assign(b.t.id, vm.id, userOfA.id), NotFoundError, "a user of another tenant cannot be assigned");
    assert.equal((await b.voicemails.get(b.t.id, vm.id)).state, 'new');
  });
});
