import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConflictError, NotFoundError, ValidationError } from '../../src/store/errors.ts';
import { auditRepository } from '../../src/store/repositories/audit.ts';
import { apiKeysRepository, hashKey } from '../../src/store/repositories/api-keys.ts';
import { tenantsRepository } from '../../src/store/repositories/tenants.ts';
import { usersRepository } from '../../src/store/repositories/users.ts';
import type { Role } from '../../src/store/schema.ts';
import { eachBackend } from './backends.ts';

eachBackend('api keys', (ctx) => {
  const repos = () => ({
    tenants: tenantsRepository(ctx.store().db, ctx.clock),
    keys: apiKeysRepository(ctx.store().db, ctx.clock),
  });

  test('create returns the plaintext once; only its sha256 is stored', async () => {
    const { tenants, keys } = repos();
    const t = await tenants.create({ slug: 'keys-store', name: 'K' });
    const { key, apiKey } = await keys.create(t.id, { name: 'ci', role: 'admin' });
    assert.match(key, /^sl_[0-9a-f]{12}_[A-Za-z0-9_-]{43}$/);
    assert.equal(key.slice(3, 15), apiKey.prefix);
    assert.deepEqual({ ...apiKey, id: '' }, {
      id: '',
      tenantId: t.id,
      name: 'ci',
      role: 'admin',
      prefix: apiKey.prefix,
      userId: null,
      createdAt: new Date(ctx.clock.wallNow()),
      lastUsedAt: null,
      revokedAt: null,
    });
    const row = await ctx.store().db.selectFrom('api_keys').selectAll().where('id', '=', apiKey.id).executeTakeFirstOrThrow();
    assert.equal(row.key_hash, hashKey(key));
    assert.ok(!JSON.stringify(row).includes(key.slice(16)), 'the secret is not stored');
    assert.deepEqual(await keys.list(t.id), [apiKey]);
    await assert.rejects(keys.create(t.id, { name: 'x', role: 'root' as Role }), ValidationError);
  });

  test('verify finds the tenant and role; wrong, malformed and foreign-prefix keys fail', async () => {
    const { tenants, keys } = repos();
    const t = await tenants.create({ slug: 'keys-verify', name: 'K' });
    const { key, apiKey } = await keys.create(t.id, { name: 'desk', role: 'supervisor' });
    assert.deepEqual(await keys.verify(key), { keyId: apiKey.id, tenantId: t.id, role: 'supervisor', name: 'desk', userId: null });
    // Same prefix, different secret (last character changed).
    const last = key.at(-1) === 'A' ? 'B' : 'A';
    assert.equal(await keys.verify(key.slice(0, -1) + last), undefined);
    assert.equal(await keys.verify(key + 'x'), undefined);
    assert.equal(await keys.verify(''), undefined);
    assert.equal(await keys.verify(`sl_000000000000_${'a'.repeat(43)}`), undefined);
  });

  test("a key may speak for a user of its tenant, with no more than the user's role; it goes with the user", async () => {
    const { tenants, keys } = repos();
    const users = usersRepository(ctx.store().db, ctx.clock);
    const t = await tenants.create({ slug: 'keys-user', name: 'K' });
    const other = await tenants.create({ slug: 'keys-user-other', name: 'O' });
    const mei = await users.create(t.id, { username: 'mei', role: 'agent' }, 'alice');
    const boss = await users.create(t.id, { username: 'boss', role: 'supervisor' }, 'alice');
    const stranger = await users.create(other.id, { username: 'zed', role: 'admin' }, 'alice');
    const { key, apiKey } = await keys.create(t.id, { name: 'desk phone', role: 'agent', userId: mei.id });
    assert.equal(apiKey.userId, mei.id);
    assert.deepEqual(await keys.verify(key), { keyId: apiKey.id, tenantId: t.id, role: 'agent', name: 'desk phone', userId: mei.id });
    assert.equal((await keys.create(t.id, { name: 'wall', role: 'agent', userId: boss.id })).apiKey.userId, boss.id, 'a lesser role than the user is fine');
    await assert.rejects(keys.create(t.id, { name: 'x', role: 'supervisor', userId: mei.id }), ValidationError, "not more than the user's role");
    await assert.rejects(keys.create(t.id, { name: 'x', role: 'agent', userId: stranger.id }), NotFoundError, "another tenant's user");
    await assert.rejects(keys.create(t.id, { name: 'x', role: 'agent', userId: 'not-a-uuid' }), NotFoundError);
    await users.remove(t.id, mei.id, 'alice');
    assert.equal(await keys.verify(key), undefined, "the user's key went with the user");
  });

  test('verify records last use at most once a minute', async () => {
    const { tenants, keys } = repos();
    const t = await tenants.create({ slug: 'keys-used', name: 'K' });
    const { key, apiKey } = await keys.create(t.id, { name: 'bot', role: 'agent' });
    const first = ctx.clock.wallNow();
    await keys.verify(key);
    ctx.clock.advance(30_000);
    await keys.verify(key);
    assert.equal((await keys.list(t.id))[0]?.lastUsedAt?.getTime(), first);
    ctx.clock.advance(30_000);
    await keys.verify(key);
    assert.equal((await keys.list(t.id))[0]?.lastUsedAt?.getTime(), first + 60_000);
    assert.equal((await keys.list(t.id))[0]?.id, apiKey.id);
  });

  test('revoke: the key stops verifying; only its own tenant can revoke it', async () => {
    const { tenants, keys } = repos();
    const a = await tenants.create({ slug: 'keys-rev-a', name: 'A' });
    const b = await tenants.create({ slug: 'keys-rev-b', name: 'B' });
    const { key, apiKey } = await keys.create(a.id, { name: 'old', role: 'admin' });
    const other = await keys.create(a.id, { name: 'other', role: 'admin' });
    await assert.rejects(keys.revoke(b.id, apiKey.id), NotFoundError);
    assert.notEqual(await keys.verify(key), undefined);
    const revokedAt = ctx.clock.wallNow();
    await keys.revoke(a.id, apiKey.id);
    assert.equal(await keys.verify(key), undefined);
    assert.notEqual(await keys.verify(other.key), undefined, 'other keys are untouched');
    ctx.clock.advance(1000);
    await keys.revoke(a.id, apiKey.id);
    const listed = await keys.list(a.id);
    assert.equal(listed.find((k) => k.id === apiKey.id)?.revokedAt?.getTime(), revokedAt);
    assert.deepEqual(await keys.list(b.id), []);
    await assert.rejects(keys.revoke(a.id, 'nope'), NotFoundError);
  });

  test('a key of tenant A verifies to tenant A only', async () => {
    const { tenants, keys } = repos();
    const a = await tenants.create({ slug: 'keys-iso-a', name: 'A' });
    const b = await tenants.create({ slug: 'keys-iso-b', name: 'B' });
    const ka = await keys.create(a.id, { name: 'a', role: 'admin' });
    const kb = await keys.create(b.id, { name: 'b', role: 'admin' });
    assert.equal((await keys.verify(ka.key))?.tenantId, a.id);
    assert.equal((await keys.verify(kb.key))?.tenantId, b.id);
    // A's prefix with B's secret is neither key.
    assert.equal(await keys.verify(`sl_${ka.apiKey.prefix}_${kb.key.slice(16)}`), undefined);
  });

  test('import: a key chosen outside verifies; importing it again is a no-op; another tenant cannot take it', async () => {
    const { tenants, keys } = repos();
    const a = await tenants.create({ slug: 'keys-import-a', name: 'A' });
    const b = await tenants.create({ slug: 'keys-import-b', name: 'B' });
    const key = 'operator-chosen:Secret/Key~0123456789';
    const imported = await keys.import(a.id, key, { name: 'env', role: 'admin' }, 'seed');
    assert.equal(imported.prefix, `ext_${hashKey(key).slice(0, 12)}`, 'prefix derived from the hash');
    const row = await ctx.store().db.selectFrom('api_keys').selectAll().where('id', '=', imported.id).executeTakeFirstOrThrow();
    assert.equal(row.key_hash, hashKey(key));
    assert.ok(!JSON.stringify(row).includes('Secret'), 'the key itself is not stored');
    assert.deepEqual(await keys.verify(key), { keyId: imported.id, tenantId: a.id, role: 'admin', name: 'env', userId: null });
    assert.equal(await keys.verify(key.slice(0, -1) + 'X'), undefined, 'one character off');
    assert.deepEqual(await keys.import(a.id, key, { name: 'env', role: 'admin' }), (await keys.list(a.id))[0], 'idempotent: the same row');
    assert.equal((await keys.list(a.id)).length, 1);
    await assert.rejects(keys.import(b.id, key, { name: 'stolen', role: 'admin' }), ConflictError);
    await assert.rejects(keys.import(a.id, 'too-short', { name: 'x', role: 'admin' }), ValidationError);
    await assert.rejects(keys.import(a.id, 'has spaces in it, which is not allowed', { name: 'x', role: 'admin' }), ValidationError);
    // An sl_ key made by another installation keeps its own prefix and verifies the usual way.
    const other = await keys.create(b.id, { name: 'tmp', role: 'agent' });
    await keys.revoke(b.id, other.apiKey.id);
    const slKey = `sl_${'a1b2c3d4e5f6'}_${other.key.slice(16)}`;
    const slImported = await keys.import(a.id, slKey, { name: 'moved', role: 'supervisor' });
    assert.equal(slImported.prefix, 'a1b2c3d4e5f6');
    assert.equal((await keys.verify(slKey))?.keyId, slImported.id);
    await keys.revoke(a.id, imported.id);
    assert.equal(await keys.verify(key), undefined, 'a revoked imported key stops verifying');
  });

  test('creating, importing and revoking keys is audited with who did it', async () => {
    const { tenants, keys } = repos();
    const audit = auditRepository(ctx.store().db, ctx.clock);
    const t = await tenants.create({ slug: 'keys-audit', name: 'K' });
    const { apiKey } = await keys.create(t.id, { name: 'ci', role: 'admin' }, 'alice');
    await keys.revoke(t.id, apiKey.id, 'bob');
    const imported = await keys.import(t.id, 'z'.repeat(32), { name: 'env', role: 'agent' }, 'seed');
    assert.deepEqual(
      (await audit.list(t.id, {})).filter((e) => e.subject.startsWith('api-key:')).map((e) => [e.action, e.actor, e.subject]).reverse(),
      [
        ['api-key.create', 'alice', `api-key:${apiKey.id}`],
        ['api-key.revoke', 'bob', `api-key:${apiKey.id}`],
        ['api-key.import', 'seed', `api-key:${imported.id}`],
      ],
    );
  });
});
