/**
 * Users, keys and lines over the API: create/read/update/delete with the answers people
 * and the CLI rely on (a key's secret shown once, no password in any answer, a line named
 * by id or number, a number unique across tenants → 409), and the audit trail they leave.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { usersRepository } from '../../src/store/repositories/users.ts';
import { eachBackend } from '../store/backends.ts';
import { helloFlow } from './fixtures.ts';
import { makeTenant, startTestApi, type TestApi, type TestTenant } from './harness.ts';

eachBackend('API users, keys and lines', (ctx) => {
  let api: TestApi;
  let t: TestTenant;
  let other: TestTenant;
  const digits = (n: number): string => String(400600000 + (process.pid % 100000) * 10 + n);

  before(async () => {
    api = await startTestApi(ctx);
    t = await makeTenant(ctx, 'res');
    other = await makeTenant(ctx, 'res-other');
  });
  after(async () => {
    await api?.close();
  });

  test('users: create, list, get, update, delete; passwords never come back', async () => {
    const made = await api.request('POST', '/users', {
      key: t.keys.admin,
      body: { username: 'mei', displayName: '美', role: 'agent', password: 'correct horse' },
    });
    assert.equal(made.status, 201, JSON.stringify(made.body));
    assert.deepEqual([made.body.username, made.body.displayName, made.body.role], ['mei', '美', 'agent']);
    assert.ok(!JSON.stringify(made.body).includes('correct horse') && !('passwordHash' in made.body), 'no password in the answer');
    const dup = await api.request('POST', '/users', { key: t.keys.admin, body: { username: 'mei', role: 'agent' } });
    assert.equal(dup.status, 409);
    const list = await api.request('GET', '/users', { key: t.keys.admin });
    assert.deepEqual(list.body.map((u: { username: string }) => u.username), ['mei']);
    const patched = await api.request('PATCH', `/users/${made.body.id}`, { key: t.keys.admin, body: { role: 'supervisor', password: 'another secret' } });
    assert.equal(patched.status, 200, JSON.stringify(patched.body));
    assert.equal(patched.body.role, 'supervisor');
    const users = usersRepository(ctx.store().db, ctx.clock);
    assert.ok(await users.verifyPassword(t.id, 'mei', 'another secret'), 'the new password was stored');
    assert.equal((await api.request('GET', `/users/${made.body.id}`, { key: other.keys.admin })).status, 404, 'not for another tenant');
    assert.equal((await api.request('DELETE', `/users/${made.body.id}`, { key: other.keys.admin })).status, 404);
    assert.equal((await api.request('DELETE', `/users/${made.body.id}`, { key: t.keys.admin })).status, 204);
    assert.equal((await api.request('GET', `/users/${made.body.id}`, { key: t.keys.admin })).status, 404);
  });

  test('keys: the secret is in the create answer only; the list shows prefix and role', async () => {
    const made = await api.request('POST', '/keys', { key: t.keys.admin, body: { name: 'ci', role: 'supervisor' } });
    assert.equal(made.status, 201);
    assert.match(made.body.key, /^sl_[0-9a-f]{12}_/);
    assert.equal(made.body.apiKey.role, 'supervisor');
    const list = await api.request('GET', '/keys', { key: t.keys.admin });
    const listed = list.body.find((k: { id: string }) => k.id === made.body.apiKey.id);
    assert.equal(listed.prefix, made.body.apiKey.prefix);
    assert.ok(!JSON.stringify(list.body).includes(made.body.key), 'no secret in the list');
    const audit = await api.request('GET', `/audit?subject=api-key:${made.body.apiKey.id}`, { key: t.keys.admin });
    assert.deepEqual(audit.body.map((e: { action: string; actor: string }) => [e.action, e.actor]), [['api-key.create', 'key:admin']]);
    assert.equal((await api.request('DELETE', `/keys/not-a-uuid`, { key: t.keys.admin })).status, 404);
  });

  test('lines: create with numbers and a flow, read by id or number, rename, rezone, detach', async () => {
    await api.request('POST', '/flows?publish=true', { key: t.keys.admin, body: helloFlow('line-flow') });
    const made = await api.request('POST', '/lines', {
      key: t.keys.admin,
      body: { name: 'E購網', timeZone: 'Asia/Taipei', numbers: [digits(1), `(${digits(2).slice(0, 4)}) ${digits(2).slice(4)}`], flow: 'line-flow' },
    });
    assert.equal(made.status, 201, JSON.stringify(made.body));
    assert.deepEqual(made.body.numbers, [digits(1), digits(2)], 'punctuation is dropped');
    assert.ok(made.body.flowId, 'the flow is attached');
    const byNumber = await api.request('GET', `/lines/${digits(2)}`, { key: t.keys.agent });
    assert.equal(byNumber.body.id, made.body.id);
    const renamed = await api.request('PATCH', `/lines/${digits(1)}`, { key: t.keys.admin, body: { name: 'E購網 雙11', timeZone: 'Asia/Shanghai', flow: null } });
    assert.equal(renamed.status, 200, JSON.stringify(renamed.body));
    assert.deepEqual([renamed.body.name, renamed.body.timeZone, renamed.body.flowId], ['E購網 雙11', 'Asia/Shanghai', null]);
    const dupName = await api.request('POST', '/lines', { key: t.keys.admin, body: { name: 'E購網 雙11', timeZone: 'Asia/Taipei' } });
    assert.equal(dupName.status, 409);
    const unknownFlow = await api.request('PATCH', `/lines/${made.body.id}`, { key: t.keys.admin, body: { flow: 'no-such-flow' } });
    assert.equal(unknownFlow.status, 404);
  });

  test('numbers: add, list, remove; a number any tenant has is a 409 and creates nothing', async () => {
    const line = await api.request('POST', '/lines', { key: t.keys.admin, body: { name: 'SK', timeZone: 'Asia/Taipei', numbers: [digits(3)] } });
    assert.equal(line.status, 201);
    const added = await api.request('POST', `/lines/${digits(3)}/numbers`, { key: t.keys.admin, body: { number: digits(4) } });
    assert.equal(added.status, 201, JSON.stringify(added.body));
    assert.equal(added.body.digits, digits(4));
    const numbers = await api.request('GET', `/lines/${line.body.id}/numbers`, { key: t.keys.agent });
    assert.deepEqual(numbers.body.map((n: { digits: string }) => n.digits), [digits(3), digits(4)]);

    const taken = await api.request('POST', `/lines`, { key: other.keys.admin, body: { name: 'Thief', timeZone: 'Asia/Taipei', numbers: [digits(4)] } });
    assert.equal(taken.status, 409, JSON.stringify(taken.body));
    assert.equal(taken.body.error.code, 'conflict');
    const otherLines = await api.request('GET', '/lines', { key: other.keys.admin });
    assert.ok(!otherLines.body.some((l: { name: string }) => l.name === 'Thief'), 'no half-made line');
    const otherLine = await api.request('POST', '/lines', { key: other.keys.admin, body: { name: 'Other', timeZone: 'Asia/Taipei' } });
    assert.equal((await api.request('POST', `/lines/${otherLine.body.id}/numbers`, { key: other.keys.admin, body: { number: digits(3) } })).status, 409);

    assert.equal((await api.request('DELETE', `/numbers/${digits(4)}`, { key: t.keys.admin })).status, 204);
    assert.equal((await api.request('DELETE', `/numbers/${digits(4)}`, { key: t.keys.admin })).status, 404);
    assert.equal((await api.request('GET', `/lines/${digits(4)}`, { key: t.keys.admin })).status, 404, 'the number no longer names the line');
  });
});
