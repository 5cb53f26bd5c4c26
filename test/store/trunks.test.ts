/**
 * Outbound trunks in the store: set/get/replace, HA1 = MD5(user:realm:password) kept instead
 * of the password (realm defaulting to the URI's host), kept across a set without password,
 * refused when user or realm change without one; audit without secrets; tenant scoping.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { NotFoundError, ValidationError } from '../../src/store/errors.ts';
import { auditRepository } from '../../src/store/repositories/audit.ts';
import { tenantsRepository } from '../../src/store/repositories/tenants.ts';
import { trunksRepository } from '../../src/store/repositories/trunks.ts';
import { eachBackend } from './backends.ts';

const md5 = (s: string) => createHash('md5').update(s).digest('hex');

eachBackend('trunks', (ctx) => {
  const repos = () => ({
    tenants: tenantsRepository(ctx.store().db, ctx.clock),
    trunks: trunksRepository(ctx.store().db, ctx.clock),
    audit: auditRepository(ctx.store().db, ctx.clock),
  });

  test('set stores the URI, caller ID and only the HA1; get and dialInfo read it back; set again replaces', async () => {
    const { tenants, trunks, audit } = repos();
    const t = await tenants.create({ slug: 'trunk-set', name: 'T' });
    await assert.rejects(trunks.get(t.id), NotFoundError, 'no trunk before one is set');
    const view = await trunks.set(t.id, { uri: 'sip:127.0.0.1:5090', username: 'acct', password: 'pw-123', callerId: '4008001111' }, 'admin');
    const now = new Date(ctx.clock.wallNow());
    assert.deepEqual(
      { ...view, id: '' },
      { id: '', tenantId: t.id, name: 'default', uri: 'sip:127.0.0.1:5090', username: 'acct', realm: '127.0.0.1', credentials: true, callerId: '4008001111', createdAt: now, updatedAt: now },
      'realm defaults to the host',
    );
    assert.deepEqual(await trunks.get(t.id), view);
    assert.deepEqual(await trunks.dialInfo(t.id), { uri: 'sip:127.0.0.1:5090', username: 'acct', realm: '127.0.0.1', ha1Md5: md5('acct:127.0.0.1:pw-123'), callerId: '4008001111' });
    const row = await ctx.store().db.selectFrom('trunks').selectAll().where('tenant_id', '=', t.id).executeTakeFirstOrThrow();
    assert.ok(!JSON.stringify(row).includes('pw-123'), 'the password is not stored');

    ctx.clock.advance(1000);
    const kept = await trunks.set(t.id, { uri: 'sip:127.0.0.1:5090', username: 'acct', callerId: '4008002222' }, 'admin');
    assert.deepEqual([kept.credentials, kept.callerId, kept.createdAt.getTime(), kept.updatedAt.getTime()], [true, '4008002222', now.getTime(), ctx.clock.wallNow()]);
    assert.equal((await trunks.dialInfo(t.id)).ha1Md5, md5('acct:127.0.0.1:pw-123'), 'the HA1 is kept when user and realm stay');
    await assert.rejects(trunks.set(t.id, { uri: 'sip:127.0.0.1:5090', username: 'other' }, 'admin'), ValidationError, 'a new user needs the password');
    await assert.rejects(trunks.set(t.id, { uri: 'sip:127.0.0.1:5090', username: 'acct', realm: 'carrier' }, 'admin'), ValidationError, 'a new realm too');
    const realm = await trunks.set(t.id, { uri: 'sip:gw.example.net', username: 'acct', realm: 'carrier', password: 'pw-456' }, 'admin');
    assert.equal(realm.realm, 'carrier');
    assert.equal((await trunks.dialInfo(t.id)).ha1Md5, md5('acct:carrier:pw-456'));
    const open = await trunks.set(t.id, { uri: 'sip:127.0.0.1:5090' }, 'admin');
    assert.deepEqual([open.username, open.realm, open.credentials], [null, null, false], 'no credentials at all');

    await assert.rejects(trunks.set(t.id, { uri: 'http://example.com' }, 'admin'), ValidationError);
    await assert.rejects(trunks.set(t.id, { uri: 'sip:' }, 'admin'), ValidationError);
    await assert.rejects(trunks.set(t.id, { uri: 'sip:x', password: 'p' }, 'admin'), ValidationError, 'a password without a user');
    await assert.rejects(trunks.set(t.id, { uri: 'sip:x', callerId: 'abc' }, 'admin'), ValidationError);

    await trunks.set(t.id, { name: 'backup', uri: 'sip:10.0.0.2' }, 'admin');
    assert.deepEqual((await trunks.list(t.id)).map((x) => x.name), ['backup', 'default']);
    await trunks.remove(t.id, 'backup', 'admin');
    await assert.rejects(trunks.remove(t.id, 'backup', 'admin'), NotFoundError);
    const entries = await audit.list(t.id, { subject: 'trunk:default' });
    assert.equal(entries.length, 4, 'every set audited');
    const logged = JSON.stringify(await audit.list(t.id, {}));
    assert.ok(!logged.includes('pw-123') && !logged.includes(md5('acct:127.0.0.1:pw-123')), 'no password or HA1 in the log');
  });

  test("tenant isolation: another tenant's trunk is not found", async () => {
    const { tenants, trunks } = repos();
    const a = await tenants.create({ slug: 'trunk-a', name: 'A' });
    const b = await tenants.create({ slug: 'trunk-b', name: 'B' });
    await trunks.set(b.id, { uri: 'sip:127.0.0.1:5091' }, 'root');
    await assert.rejects(trunks.get(a.id), NotFoundError);
    await assert.rejects(trunks.dialInfo(a.id), NotFoundError);
    await assert.rejects(trunks.remove(a.id, 'default', 'eve'), NotFoundError);
    assert.deepEqual(await trunks.list(a.id), []);
    assert.equal((await trunks.get(b.id)).uri, 'sip:127.0.0.1:5091');
  });
});
