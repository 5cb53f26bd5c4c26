/**
 * Agents in the store: a user with an extension, SIP HA1s for realm = tenant slug (never the
 * password), skills and groups validated, the registrar's lookups by realm and by extension,
 * updates (a new extension needs the password), removal, audit and tenant scoping.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { ConflictError, NotFoundError, ValidationError } from '../../src/store/errors.ts';
import { agentsRepository } from '../../src/store/repositories/agents.ts';
import { auditRepository } from '../../src/store/repositories/audit.ts';
import { tenantsRepository } from '../../src/store/repositories/tenants.ts';
import { usersRepository } from '../../src/store/repositories/users.ts';
import { eachBackend } from './backends.ts';

const md5 = (s: string) => createHash('md5').update(s).digest('hex');
const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

eachBackend('agents', (ctx) => {
  const repos = () => ({
    tenants: tenantsRepository(ctx.store().db, ctx.clock),
    agents: agentsRepository(ctx.store().db, ctx.clock),
    users: usersRepository(ctx.store().db, ctx.clock),
    audit: auditRepository(ctx.store().db, ctx.clock),
  });

  test('create makes an agent user and stores HA1 = H(extension:slug:password) only; the registrar finds it by realm and by extension', async () => {
    const { tenants, agents, users } = repos();
    const t = await tenants.create({ slug: 'ag-create', name: 'A' });
    const agent = await agents.create(t.id, { extension: '1001', password: 'secret-1001', displayName: '小美', skills: { orders: 8, returns: 3 }, groups: ['tier1'] }, 'admin');
    const now = new Date(ctx.clock.wallNow());
    assert.deepEqual(
      { ...agent, id: '', userId: '' },
      {
        id: '',
        userId: '',
        tenantId: t.id,
        username: '1001',
        displayName: '小美',
        extension: '1001',
        skills: { orders: 8, returns: 3 },
        groups: ['tier1'],
        wrapUpSeconds: null,
        sip: true,
        createdAt: now,
        updatedAt: now,
      },
    );
    const user = await users.get(t.id, agent.userId);
    assert.deepEqual([user.username, user.role], ['1001', 'agent'], 'its user has role agent');
    const row = await ctx.store().db.selectFrom('agents').selectAll().where('id', '=', agent.id).executeTakeFirstOrThrow();
    assert.equal(row.sip_ha1_md5, md5('1001:ag-create:secret-1001'));
    assert.equal(row.sip_ha1_sha256, sha256('1001:ag-create:secret-1001'));
    assert.ok(!JSON.stringify(row).includes('secret-1001'), 'the password is not stored');
    const creds = await agents.sipCredentials('ag-create', '1001');
    assert.deepEqual(creds, {
      tenantId: t.id,
      agentId: agent.id,
      extension: '1001',
      realm: 'ag-create',
      ha1Md5: md5('1001:ag-create:secret-1001'),
      ha1Sha256: sha256('1001:ag-create:secret-1001'),
    });
    assert.equal(await agents.sipCredentials('other-realm', '1001'), undefined);
    assert.deepEqual((await agents.sipCredentialsByExtension('1001')).filter((c) => c.tenantId === t.id).map((c) => c.agentId), [agent.id]);
    assert.deepEqual(await agents.get(t.id, agent.id), agent);
    assert.deepEqual(await agents.getByExtension(t.id, '1001'), agent);

    // An existing user can become an agent; without a password the phone cannot register yet.
    const mei = await users.create(t.id, { username: 'mei', role: 'supervisor' }, 'admin');
    const second = await agents.create(t.id, { extension: '2001', userId: mei.id }, 'admin');
    assert.deepEqual([second.username, second.sip], ['mei', false]);
    assert.equal(await agents.sipCredentials('ag-create', '2001'), undefined, 'no credentials, no registration');
    assert.deepEqual((await agents.list(t.id)).map((a) => a.extension), ['1001', '2001']);

    await assert.rejects(agents.create(t.id, { extension: '1001', password: 'another' }, 'admin'), ConflictError, 'extension taken');
    await assert.rejects(agents.create(t.id, { extension: '3001', userId: mei.id }, 'admin'), ConflictError, 'one agent per user');
    await assert.rejects(agents.create(t.id, { extension: '12a' }, 'admin'), ValidationError);
    await assert.rejects(agents.create(t.id, { extension: '3002', skills: { orders: 11 } }, 'admin'), ValidationError);
    await assert.rejects(agents.create(t.id, { extension: '3003', skills: { 'bad skill': 5 } }, 'admin'), ValidationError);
    await assert.rejects(agents.create(t.id, { extension: '3004', password: 'x' }, 'admin'), ValidationError);
    await assert.rejects(agents.create(t.id, { extension: '3005', userId: '00000000-0000-4000-8000-000000000000' }, 'admin'), NotFoundError);
    assert.deepEqual((await agents.list(t.id)).length, 2, 'refused creates left nothing behind');
  });

  test('update skills, groups, wrap-up and password; a new extension needs the password; remove; audited without secrets', async () => {
    const { tenants, agents, audit } = repos();
    const t = await tenants.create({ slug: 'ag-upd', name: 'A' });
    const agent = await agents.create(t.id, { extension: '1002', password: 'first-pass' }, 'admin');
    ctx.clock.advance(1000);
    const updated = await agents.update(t.id, agent.id, { skills: { incidents: 5 }, groups: ['backup', 'backup'], wrapUpSeconds: 30, displayName: 'Lin' }, 'boss');
    assert.deepEqual([updated.skills, updated.groups, updated.wrapUpSeconds, updated.displayName], [{ incidents: 5 }, ['backup'], 30, 'Lin']);
    assert.equal(updated.updatedAt.getTime(), ctx.clock.wallNow());
    await assert.rejects(agents.update(t.id, agent.id, { extension: '1012' }, 'boss'), ValidationError, 'HA1 covers the user name');
    const moved = await agents.update(t.id, agent.id, { extension: '1012', password: 'second-pass' }, 'boss');
    assert.equal(moved.extension, '1012');
    assert.equal((await agents.sipCredentials('ag-upd', '1012'))?.ha1Md5, md5('1012:ag-upd:second-pass'));
    assert.equal(await agents.sipCredentials('ag-upd', '1002'), undefined, 'the old extension no longer registers');
    await agents.remove(t.id, agent.id, 'boss');
    await assert.rejects(agents.get(t.id, agent.id), NotFoundError);
    await assert.rejects(agents.remove(t.id, agent.id, 'boss'), NotFoundError);
    const entries = (await audit.list(t.id, { subject: `agent:${agent.id}` })).reverse();
    assert.deepEqual(entries.map((e) => [e.action, e.actor]), [
      ['agent.create', 'admin'],
      ['agent.update', 'boss'],
      ['agent.update', 'boss'],
      ['agent.remove', 'boss'],
    ]);
    const logged = JSON.stringify(await audit.list(t.id, {}));
    assert.ok(!logged.includes('first-pass') && !logged.includes('second-pass') && !logged.includes(md5('1012:ag-upd:second-pass')), 'no secret in the log');
    assert.equal(entries[2]?.detail['password'], 'changed');
  });

  test("tenant isolation: another tenant's agent is not found, and the realm picks the tenant", async () => {
    const { tenants, agents } = repos();
    const a = await tenants.create({ slug: 'ag-iso-a', name: 'A' });
    const b = await tenants.create({ slug: 'ag-iso-b', name: 'B' });
    const ab = await agents.create(b.id, { extension: '1003', password: 'pass-b' }, 'root');
    await assert.rejects(agents.get(a.id, ab.id), NotFoundError);
    await assert.rejects(agents.update(a.id, ab.id, { skills: {} }, 'eve'), NotFoundError);
    await assert.rejects(agents.remove(a.id, ab.id, 'eve'), NotFoundError);
    assert.deepEqual(await agents.list(a.id), []);
    assert.equal(await agents.getByExtension(a.id, '1003'), undefined);
    const aa = await agents.create(a.id, { extension: '1003', password: 'pass-a' }, 'root');
    assert.equal((await agents.sipCredentials('ag-iso-a', '1003'))?.agentId, aa.id);
    assert.equal((await agents.sipCredentials('ag-iso-b', '1003'))?.agentId, ab.id);
    const both = (await agents.sipCredentialsByExtension('1003')).filter((c) => c.tenantId === a.id || c.tenantId === b.id);
    assert.deepEqual(both.map((c) => c.realm), ['ag-iso-a', 'ag-iso-b'], 'an extension in two tenants: both candidates, by realm');
  });
});
