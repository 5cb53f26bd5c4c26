/** Users in the store: scrypt password hashes, verification, updates, removal, tenant scoping, audit. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConflictError, NotFoundError, ValidationError } from '../../src/store/errors.ts';
import { auditRepository } from '../../src/store/repositories/audit.ts';
import { tenantsRepository } from '../../src/store/repositories/tenants.ts';
import { usersRepository } from '../../src/store/repositories/users.ts';
import { eachBackend } from './backends.ts';

eachBackend('users', (ctx) => {
  const repos = () => ({
    tenants: tenantsRepository(ctx.store().db, ctx.clock),
    users: usersRepository(ctx.store().db, ctx.clock),
    audit: auditRepository(ctx.store().db, ctx.clock),
  });

  test('create stores an scrypt hash, not the password; verifyPassword accepts it and nothing else', async () => {
    const { tenants, users } = repos();
    const t = await tenants.create({ slug: 'users-pw', name: 'U' });
    const user = await users.create(t.id, { username: 'mei', displayName: '美', role: 'supervisor', password: 'correct horse' }, 'admin');
    assert.deepEqual({ ...user, id: '' }, { id: '', tenantId: t.id, username: 'mei', displayName: '美', role: 'supervisor', createdAt: new Date(ctx.clock.wallNow()) });
    assert.ok(!('password_hash' in user) && !('passwordHash' in user), 'the view carries no hash');
    const row = await ctx.store().db.selectFrom('users').select('password_hash').where('id', '=', user.id).executeTakeFirstOrThrow();
    assert.match(row.password_hash ?? '', /^scrypt\$\d+\$\d+\$\d+\$[A-Za-z0-9_-]+\$[A-Za-z0-9_-]+$/);
    assert.ok(!row.password_hash?.includes('correct horse'), 'the hash is not the password');
    assert.deepEqual(await users.verifyPassword(t.id, 'mei', 'correct horse'), user);
    assert.equal(await users.verifyPassword(t.id, 'mei', 'correct horsE'), undefined);
    assert.equal(await users.verifyPassword(t.id, 'nobody', 'correct horse'), undefined);
    // Same password, different salt: two users never share a hash.
    const twin = await users.create(t.id, { username: 'twin', role: 'agent', password: 'correct horse' }, 'admin');
    const twinRow = await ctx.store().db.selectFrom('users').select('password_hash').where('id', '=', twin.id).executeTakeFirstOrThrow();
    assert.notEqual(twinRow.password_hash, row.password_hash);
    assert.equal(twin.displayName, 'twin', 'display name defaults to the username');
    // No password: cannot sign in with one.
    await users.create(t.id, { username: 'sip-only', role: 'agent' }, 'admin');
    assert.equal(await users.verifyPassword(t.id, 'sip-only', ''), undefined);
    await assert.rejects(users.create(t.id, { username: 'mei', role: 'agent' }, 'admin'), ConflictError);
    await assert.rejects(users.create(t.id, { username: 'short', role: 'agent', password: 'x' }, 'admin'), ValidationError);
    await assert.rejects(users.create(t.id, { username: 'bad name', role: 'agent' }, 'admin'), ValidationError);
  });

  test('update role, name and password; remove; every change audited without the password', async () => {
    const { tenants, users, audit } = repos();
    const t = await tenants.create({ slug: 'users-upd', name: 'U' });
    const user = await users.create(t.id, { username: 'lin', role: 'agent', password: 'first password' }, 'admin');
    const updated = await users.update(t.id, user.id, { role: 'supervisor', displayName: 'Lin', password: 'second password' }, 'boss');
    assert.deepEqual([updated.role, updated.displayName], ['supervisor', 'Lin']);
    assert.equal(await users.verifyPassword(t.id, 'lin', 'first password'), undefined, 'the old password stops working');
    assert.equal((await users.verifyPassword(t.id, 'lin', 'second password'))?.id, user.id);
    assert.deepEqual(await users.get(t.id, user.id), updated);
    assert.deepEqual((await users.list(t.id)).map((u) => u.username), ['lin']);
    await users.remove(t.id, user.id, 'boss');
    await assert.rejects(users.get(t.id, user.id), NotFoundError);
    await assert.rejects(users.remove(t.id, user.id, 'boss'), NotFoundError);
    const entries = (await audit.list(t.id, { subject: `user:${user.id}` })).reverse();
    assert.deepEqual(entries.map((e) => [e.action, e.actor]), [
      ['user.create', 'admin'],
      ['user.update', 'boss'],
      ['user.remove', 'boss'],
    ]);
    const logged = JSON.stringify(entries);
    assert.ok(!logged.includes('first password') && !logged.includes('second password'), 'no password in the log');
    assert.equal(entries[1]?.detail['password'], 'changed');
  });

  test("tenant isolation: another tenant's user id or username is not found", async () => {
    const { tenants, users } = repos();
    const a = await tenants.create({ slug: 'users-iso-a', name: 'A' });
    const b = await tenants.create({ slug: 'users-iso-b', name: 'B' });
    const ub = await users.create(b.id, { username: 'chen', role: 'admin', password: 'password of b' }, 'root');
    await assert.rejects(users.get(a.id, ub.id), NotFoundError);
    await assert.rejects(users.update(a.id, ub.id, { role: 'agent' }, 'eve'), NotFoundError);
    await assert.rejects(users.remove(a.id, ub.id, 'eve'), NotFoundError);
    assert.equal(await users.verifyPassword(a.id, 'chen', 'password of b'), undefined);
    assert.deepEqual(await users.list(a.id), []);
    assert.equal((await users.get(b.id, ub.id)).role, 'admin', 'B untouched');
    // The same username in another tenant is a different user.
    await users.create(a.id, { username: 'chen', role: 'agent' }, 'root');
  });
});
