/**
 * The outbound trunk over the API on both backends (admins only): set with a URI, digest
 * user and password — kept as HA1 = MD5(user:realm:password) for the realm given (else the
 * URI's host), never returned, not even the HA1 —, set again without the password keeping
 * the credentials, bad fields named, other roles 403, tenants isolated.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { trunksRepository } from '../../src/store/repositories/trunks.ts';
import { eachBackend } from '../store/backends.ts';
import { makeTenant, type TestApi, type TestTenant } from './harness.ts';
import { startAcdApi } from './acd-harness.ts';

const md5 = (s: string): string => createHash('md5').update(s).digest('hex');

eachBackend('API trunk', (ctx) => {
  let api: TestApi;
  let a: TestTenant;
  let b: TestTenant;

  before(async () => {
    api = await startAcdApi(ctx);
    a = await makeTenant(ctx, 'trunk-a');
    b = await makeTenant(ctx, 'trunk-b');
  });
  after(async () => {
    await api?.close();
  });

  test('no trunk yet is 404; an admin sets one and the password is kept as HA1 for the realm only', async () => {
    assert.equal((await api.request('GET', '/trunk', { key: a.keys.admin })).status, 404);
    const res = await api.request('PUT', '/trunk', {
      key: a.keys.admin,
      body: { uri: 'sip:127.0.0.1:5090', username: 'surgeline', password: 'trunk-pass-77', realm: 'carrier.example', callerId: '+886227001234' },
    });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.deepEqual([res.body.uri, res.body.username, res.body.realm, res.body.callerId, res.body.credentials], ['sip:127.0.0.1:5090', 'surgeline', 'carrier.example', '+886227001234', true]);
    const text = JSON.stringify((await api.request('GET', '/trunk', { key: a.keys.admin })).body);
    assert.ok(!text.includes('trunk-pass-77'), 'never the password');
    const ha1 = md5('surgeline:carrier.example:trunk-pass-77');
    assert.ok(!text.includes(ha1) && !/ha1/i.test(text), 'nor the HA1');
    const dial = await trunksRepository(ctx.store().db, ctx.clock).dialInfo(a.id);
    assert.equal(dial.ha1Md5, ha1, 'HA1 for the realm given');
  });

  test('set again without the password, the credentials stay; the realm defaults to the host', async () => {
    const kept = await api.request('PUT', '/trunk', { key: a.keys.admin, body: { uri: 'sip:127.0.0.1:5091', username: 'surgeline', realm: 'carrier.example' } });
    assert.equal(kept.status, 200);
    assert.equal(kept.body.credentials, true);
    const needs = await api.request('PUT', '/trunk', { key: a.keys.admin, body: { uri: 'sip:pbx.example.com', username: 'other' } });
    assert.equal(needs.status, 400, 'a new user needs the password');
    assert.match(needs.body.error.message, /password/);
    const host = await api.request('PUT', '/trunk', { key: a.keys.admin, body: { uri: 'sip:pbx.example.com', username: 'other', password: 'pw-2' } });
    assert.equal(host.body.realm, 'pbx.example.com');
    assert.equal((await trunksRepository(ctx.store().db, ctx.clock).dialInfo(a.id)).ha1Md5, md5('other:pbx.example.com:pw-2'));
  });

  test('bad fields are named', async () => {
    for (const [body, message] of [
      [{ uri: 'http://example.com' }, /uri/],
      [{ uri: 'sip:127.0.0.1:5090', callerId: 'front desk' }, /^callerId: /],
      [{ uri: 'sip:127.0.0.1:5090', password: 'x' }, /^username: /],
      [{ uri: 'sip:127.0.0.1:5090', secret: 'x' }, /^secret: unknown field/],
      [{}, /^uri: /],
    ] as const) {
      const res = await api.request('PUT', '/trunk', { key: a.keys.admin, body });
      assert.equal(res.status, 400, JSON.stringify(body));
      assert.match(res.body.error.message, message, JSON.stringify(body));
    }
  });

  test('only admins; tenants isolated', async () => {
    for (const key of [a.keys.supervisor, a.keys.agent]) {
      assert.equal((await api.request('GET', '/trunk', { key })).status, 403);
      assert.equal((await api.request('PUT', '/trunk', { key, body: { uri: 'sip:127.0.0.1:5090' } })).status, 403);
    }
    assert.equal((await api.request('GET', '/trunk', { key: b.keys.admin })).status, 404, "B does not see A's trunk");
    await api.request('PUT', '/trunk', { key: b.keys.admin, body: { uri: 'sip:127.0.0.1:5099' } });
    assert.equal((await api.request('GET', '/trunk', { key: a.keys.admin })).body.uri, 'sip:pbx.example.com', "B's trunk leaves A's alone");
  });
});
