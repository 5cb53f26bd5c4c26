/**
 * First-start demo data, on PGlite and PostgreSQL: both hotlines and the seeds' restaurant
 * routed by number to their published flows, SKTickets' banner presets with an empty slot,
 * the schedules, the operator flag and the admin key; the demo queues, agents 1001–1004 with
 * their SIP HA1s (SURGELINE_DEMO_PASSWORD, or a generated password returned once) and the
 * trunk of SURGELINE_DEMO_TRUNK; seeding again changes nothing and never returns a key or
 * password twice; a store seeded before the restaurant (or the queues and agents) existed
 * gets them on its next start.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import { SKTICKETS_PRESETS } from '../../src/announcements/sktickets-presets.ts';
import { egouDouble11Flow } from '../../src/flows/demo/egou.ts';
import { restaurantFlow } from '../../src/flows/demo/restaurant.ts';
import { createHash } from 'node:crypto';
import { DEMO_AGENTS, DEMO_FLOWS, DEMO_QUEUES, seedDemo } from '../../src/demo/seed.ts';
import { agentsRepository } from '../../src/store/repositories/agents.ts';
import { queuesRepository } from '../../src/store/repositories/queues.ts';
import { trunksRepository } from '../../src/store/repositories/trunks.ts';
import { restaurant, weekdayOfficeHours } from '../../src/schedules/presets.ts';
import { announcementsRepository } from '../../src/store/repositories/announcements.ts';
import { apiKeysRepository } from '../../src/store/repositories/api-keys.ts';
import { flowsRepository } from '../../src/store/repositories/flows.ts';
import { linesRepository } from '../../src/store/repositories/lines.ts';
import { schedulesRepository } from '../../src/store/repositories/schedules.ts';
import { tenantsRepository } from '../../src/store/repositories/tenants.ts';
import { usersRepository } from '../../src/store/repositories/users.ts';
import type { Kysely } from 'kysely';
import type { Database } from '../../src/store/schema.ts';
import { eachBackend } from './backends.ts';

/** Row counts of every table the seed writes: a second seed must leave them all equal. */
async function counts(db: Kysely<Database>): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const table of ['tenants', 'lines', 'numbers', 'flows', 'flow_versions', 'announcement_presets', 'announcement_slots', 'schedules', 'api_keys', 'users', 'agents', 'queues', 'trunks', 'audit_log']) {
    const { rows } = await sql<{ n: string }>`SELECT count(*) AS n FROM ${sql.table(table)}`.execute(db);
    out[table] = rows[0]?.n ?? '?';
  }
  return out;
}

const md5 = (s: string) => createHash('md5').update(s).digest('hex');

eachBackend('demo seed', (ctx) => {
  test('first start: demo operator tenant, lines on their numbers running published flows, presets, schedules, a new admin key; idempotent', async () => {
    const db = ctx.store().db;
    const first = await seedDemo(db, ctx.clock);
    assert.equal(first.created, true);
    assert.match(first.adminKey ?? '', /^sl_[0-9a-f]{12}_/, 'a generated key is returned on the first start');
    const keys = apiKeysRepository(db, ctx.clock);
    assert.deepEqual(
      { ...(await keys.verify(first.adminKey!)), keyId: '' },
      { keyId: '', tenantId: first.tenantId, role: 'admin', name: 'admin (first start)', userId: null },
      'the returned key works as an admin key',
    );
    const before = await counts(db);
    assert.deepEqual(
      [before['tenants'], before['lines'], before['numbers'], before['flows'], before['flow_versions'], before['schedules']],
      ['1', '3', '3', '5', '5', '2'],
      'one tenant; three lines (E購網, SKTickets, 餐廳) on one number each; five flows at v1; two schedules',
    );
    assert.deepEqual(
      [before['users'], before['agents'], before['queues'], before['trunks']],
      ['4', '4', '5', '0'],
      'agents 1001–1004 each with a user; five queues (E購網 two, SKTickets two, the restaurant one); no trunk without SURGELINE_DEMO_TRUNK',
    );
    assert.match(first.demoPassword ?? '', /^[A-Za-z0-9_-]{12}$/, 'a generated SIP password is returned on the first start');
    const agents = agentsRepository(db, ctx.clock);
    for (const { extension } of DEMO_AGENTS) {
      assert.equal(
        (await agents.sipCredentials('demo', extension))?.ha1Md5,
        md5(`${extension}:demo:${first.demoPassword}`),
        `agent ${extension} registers in domain demo with the returned password`,
      );
    }
    const again = await seedDemo(db, ctx.clock);
    assert.deepEqual(again, { tenantId: first.tenantId, created: false }, 'no key or password returned twice');
    assert.deepEqual(await counts(db), before, 'a second seed writes nothing');

    const tenant = await tenantsRepository(db, ctx.clock).get(first.tenantId);
    assert.equal(tenant.operator, true, 'the demo tenant is the operator');

    const lines = linesRepository(db, ctx.clock);
    const flows = flowsRepository(db, ctx.clock);
    assert.deepEqual(
      (await flows.list(first.tenantId)).map((f) => [f.name, f.latestVersion, f.publishedVersion]),
      [
        ['egou-double11', 1, 1],
        ['egou-normal', 1, 1],
        ['restaurant', 1, 1],
        ['sktickets-incident', 1, 1],
        ['sktickets-normal', 1, 1],
      ],
    );
    const egou = await lines.lineForCall('4008001111');
    const skt = await lines.lineForCall('4008002222');
    assert.equal(egou?.lineName, 'E購網');
    assert.equal(skt?.lineName, 'SKTickets');
    assert.equal(egou?.tenantId, first.tenantId);
    assert.equal(egou?.timeZone, 'Asia/Taipei');
    assert.equal((await flows.get(first.tenantId, egou!.flowId!)).name, 'egou-double11');
    assert.equal((await flows.get(first.tenantId, skt!.flowId!)).name, 'sktickets-incident');
    assert.deepEqual((await flows.published(first.tenantId, 'egou-double11'))?.document, egouDouble11Flow);
    assert.equal(await lines.routeDialled('4008009999'), undefined);
    const resto = await lines.lineForCall('4008003333');
    assert.deepEqual([resto?.tenantId, resto?.lineName, resto?.timeZone], [first.tenantId, '餐廳', 'Asia/Taipei'], 'the restaurant line');
    assert.equal((await flows.get(first.tenantId, resto!.flowId!)).name, 'restaurant', 'running the restaurant flow');
    assert.deepEqual((await flows.published(first.tenantId, 'restaurant'))?.document, restaurantFlow);

    const ann = announcementsRepository(db, ctx.clock);
    assert.deepEqual(await ann.presets(first.tenantId, skt!.lineId, 'banner'), SKTICKETS_PRESETS);
    const banner = await ann.get(first.tenantId, skt!.lineId, 'banner');
    assert.deepEqual([banner.version, banner.text], [0, null], 'no incident at first start');

    const schedules = schedulesRepository(db, ctx.clock);
    assert.deepEqual(
      (await schedules.list(first.tenantId)).map((s) => [s.name, s.schedule]),
      [
        ['office-hours', weekdayOfficeHours()],
        ['restaurant', restaurant()],
      ],
    );
  });

  test('changes made after the seed survive a restart: a detached flow, a removed schedule, revoked keys', async () => {
    const db = ctx.store().db;
    const { tenantId } = await seedDemo(db, ctx.clock);
    const lines = linesRepository(db, ctx.clock);
    await lines.setFlow(tenantId, '4008001111', null, 'alice');
    await schedulesRepository(db, ctx.clock).remove(tenantId, 'restaurant', 'alice');
    const keys = apiKeysRepository(db, ctx.clock);
    for (const k of await keys.list(tenantId)) await keys.revoke(tenantId, k.id, 'alice');
    const again = await seedDemo(db, ctx.clock);
    assert.equal(again.adminKey, undefined, 'revoking every key does not mint a new one');
    assert.equal((await lines.lineForCall('4008001111'))?.flowId, null, 'the detached flow stays detached');
    assert.deepEqual((await schedulesRepository(db, ctx.clock).list(tenantId)).map((s) => s.name), ['office-hours']);
  });

  test('SURGELINE_ADMIN_KEY is imported once and verifies; no key is generated then', async () => {
    const db = ctx.store().db;
    const adminKey = 'my-operator-chosen-admin-key-0123456789';
    const first = await seedDemo(db, ctx.clock, { adminKey });
    assert.equal(first.adminKey, undefined, 'an imported key is not echoed back');
    const keys = apiKeysRepository(db, ctx.clock);
    assert.equal((await keys.verify(adminKey))?.tenantId, first.tenantId);
    assert.equal((await keys.verify(adminKey))?.role, 'admin');
    const before = (await keys.list(first.tenantId)).length;
    await seedDemo(db, ctx.clock, { adminKey });
    assert.equal((await keys.list(first.tenantId)).length, before, 'imported once');
  });

  test('a first start with SURGELINE_ADMIN_KEY: the given key is the only key, none is generated', async () => {
    const db = ctx.store().db;
    // Back to an empty installation (every table hangs off tenants with ON DELETE CASCADE).
    await db.deleteFrom('tenants').execute();
    const result = await seedDemo(db, ctx.clock, { adminKey: 'x'.repeat(40), demoPassword: 'demo-pass' });
    assert.deepEqual(result, { tenantId: result.tenantId, created: true }, 'neither the given key nor the given password is echoed');
    const listed = await apiKeysRepository(db, ctx.clock).list(result.tenantId);
    assert.deepEqual(listed.map((k) => [k.name, k.role, k.prefix.slice(0, 4)]), [['admin (SURGELINE_ADMIN_KEY)', 'admin', 'ext_']]);
    assert.equal((await flowsRepository(db, ctx.clock).list(result.tenantId)).length, DEMO_FLOWS.length, 'the rest is seeded as on any first start');
  });

  /** Back to a store seeded before the restaurant existed: no 餐廳 line, no restaurant flow. */
  async function withoutRestaurant(db: Kysely<Database>, tenantId: string): Promise<void> {
    await db.deleteFrom('lines').where('tenant_id', '=', tenantId).where('name', '=', '餐廳').execute();
    await db.deleteFrom('flows').where('tenant_id', '=', tenantId).where('name', '=', 'restaurant').execute();
    assert.equal(await linesRepository(db, ctx.clock).lineForCall('4008003333'), undefined, 'the number is free again');
  }

  test('a store seeded before the restaurant existed gets 餐廳 on 4008003333 running the published restaurant flow at its next start', async () => {
    const db = ctx.store().db;
    const { tenantId } = await seedDemo(db, ctx.clock);
    await withoutRestaurant(db, tenantId);
    const before = await counts(db);
    await seedDemo(db, ctx.clock);
    const after = await counts(db);
    assert.deepEqual(
      [after['lines'], after['numbers'], after['flows'], after['flow_versions']].map(Number),
      [before['lines'], before['numbers'], before['flows'], before['flow_versions']].map((n) => Number(n) + 1),
      'one line, one number, one flow with one version added',
    );
    const resto = await linesRepository(db, ctx.clock).lineForCall('4008003333');
    assert.equal(resto?.lineName, '餐廳');
    const flow = await flowsRepository(db, ctx.clock).get(tenantId, resto!.flowId!);
    assert.deepEqual([flow.name, flow.publishedVersion], ['restaurant', 1]);
    await seedDemo(db, ctx.clock);
    assert.deepEqual(await counts(db), after, 'and only once');
  });

  test('an upgrade that changes a demo flow republishes it where only the seed ever touched it; an edited copy is kept', async () => {
    const db = ctx.store().db;
    const { tenantId } = await seedDemo(db, ctx.clock);
    const flows = flowsRepository(db, ctx.clock);
    // Make the stored copies look like an older release's: a different welcome, pushed and published by the seed.
    const older = (name: string) => {
      const doc = structuredClone(DEMO_FLOWS.find((f) => f.name === name)!) as { nodes: Record<string, { prompt?: { text?: string } }> };
      const first = Object.values(doc.nodes).find((n) => n.prompt?.text !== undefined)!;
      first.prompt!.text = `${first.prompt!.text}（舊版）`;
      return doc;
    };
    for (const name of ['egou-normal', 'sktickets-normal']) {
      const f = await flows.get(tenantId, name);
      const { version } = await flows.push(tenantId, older(name), 'seed', 'an older demo');
      await flows.publish(tenantId, f.id, version.version, 'seed');
    }
    // …and an admin edits one of them.
    const edited = await flows.get(tenantId, 'sktickets-normal');
    const mine = await flows.push(tenantId, older('sktickets-normal'), 'alice', 'my wording');
    await flows.publish(tenantId, edited.id, mine.version.version, 'alice');

    await seedDemo(db, ctx.clock);
    const egou = await flows.get(tenantId, 'egou-normal');
    assert.equal(egou.publishedVersion, egou.latestVersion);
    assert.equal(canonicalOf((await flows.version(tenantId, egou.id, egou.latestVersion)).document), canonicalOf(DEMO_FLOWS.find((f) => f.name === 'egou-normal')), 'the new demo flow is published');
    const skt = await flows.get(tenantId, 'sktickets-normal');
    assert.equal((await flows.version(tenantId, skt.id, skt.publishedVersion!)).createdBy, 'alice', "the admin's edit stays published");
    const versions = egou.latestVersion;
    await seedDemo(db, ctx.clock);
    assert.equal((await flows.get(tenantId, 'egou-normal')).latestVersion, versions, 'nothing is pushed when the stored flow is current');
  });

  test('a store that gave 4008003333 to a line of its own before the upgrade keeps it there, and still starts', async () => {
    const db = ctx.store().db;
    const { tenantId } = await seedDemo(db, ctx.clock);
    await withoutRestaurant(db, tenantId);
    const other = await tenantsRepository(db, ctx.clock).create({ slug: 'bistro', name: 'Bistro' }, 'alice');
    const lines = linesRepository(db, ctx.clock);
    const theirs = await lines.createLine(other.id, { name: 'Bistro', timeZone: 'Asia/Taipei' }, 'alice');
    await lines.addNumber(other.id, theirs.id, '4008003333', 'alice');
    await seedDemo(db, ctx.clock);
    assert.deepEqual(await lines.lineForCall('4008003333').then((l) => [l?.tenantId, l?.lineName]), [other.id, 'Bistro'], 'the number stays where it was given');
    assert.equal((await lines.listLines(tenantId)).some((l) => l.name === '餐廳'), false, 'no restaurant line without its number');
    assert.equal((await flowsRepository(db, ctx.clock).get(tenantId, 'restaurant')).publishedVersion, 1, 'the flow is seeded all the same');
  });
  test('the demo queues are stored as validated configs; the agents carry skills and groups as users with role agent', async () => {
    const db = ctx.store().db;
    const { tenantId } = await seedDemo(db, ctx.clock, { demoPassword: 'demo-pass' });
    const queues = await queuesRepository(db, ctx.clock).list(tenantId);
    assert.deepEqual(queues.map((q) => q.name), ['egou-orders', 'egou-returns', 'restaurant-staff', 'sktickets-general', 'sktickets-incidents']);
    assert.deepEqual(DEMO_QUEUES.map((q) => q.name).sort(), queues.map((q) => q.name));
    // Every queue a demo flow sends callers to exists (a missing one ends the call "no queue").
    const named = DEMO_FLOWS.flatMap((f) => Object.values((f as { nodes: Record<string, { type: string; queue?: string }> }).nodes)).filter((n) => n.type === 'queue' || n.type === 'callback').map((n) => n.queue!);
    assert.ok(named.length >= 3);
    for (const q of named) assert.ok(queues.some((x) => x.name === q), `the demo flows' queue ${q} is seeded`);
    for (const q of queues) {
      assert.equal(q.config.serviceLevel.targetSeconds, 30, `${q.name}: answered within 30 s`);
      assert.equal(q.config.announcements.callbackKey, '#', `${q.name}: # asks for a callback`);
      assert.equal(typeof q.config.ringTimeoutSeconds, 'number', `${q.name}: defaults filled in`);
    }
    const incidents = queues.find((q) => q.name === 'sktickets-incidents');
    assert.deepEqual(incidents?.config.tiers.map((t) => t.name), ['alert', 'surge', 'emergency'], 'three alert levels');
    const agents = await agentsRepository(db, ctx.clock).list(tenantId);
    assert.deepEqual(
      agents.map((a) => [a.extension, a.username, a.skills, a.groups, a.sip]),
      DEMO_AGENTS.map((d) => [d.extension, d.extension, d.skills, d.groups, true]),
    );
    const users = await usersRepository(db, ctx.clock).list(tenantId);
    assert.ok(agents.every((a) => users.find((u) => u.id === a.userId)?.role === 'agent'), 'each agent is a user with role agent');
    // Every queue has agents that could serve it at its base proficiency.
    for (const q of queues) {
      const able = agents.filter((a) => (q.config.agentGroups.length === 0 || q.config.agentGroups.some((g) => a.groups.includes(g))) && q.config.requiredSkills.every((r) => (a.skills[r.skill] ?? 0) >= r.minProficiency));
      assert.ok(able.length >= 2, `${q.name} is served by at least two demo agents`);
    }
  });

  test('SURGELINE_DEMO_PASSWORD: HA1s follow it, a change of it at the next start too, and nothing is written when it holds', async () => {
    const db = ctx.store().db;
    await db.deleteFrom('tenants').execute();
    const { tenantId } = await seedDemo(db, ctx.clock, { demoPassword: 'first-pass' });
    const agents = agentsRepository(db, ctx.clock);
    assert.equal((await agents.sipCredentials('demo', '1004'))?.ha1Md5, md5('1004:demo:first-pass'));
    const before = await counts(db);
    assert.deepEqual(await seedDemo(db, ctx.clock, { demoPassword: 'first-pass' }), { tenantId, created: false });
    assert.deepEqual(await counts(db), before, 'the same password writes nothing');
    await seedDemo(db, ctx.clock, { demoPassword: 'second-pass' });
    for (const { extension } of DEMO_AGENTS) {
      assert.equal((await agents.sipCredentials('demo', extension))?.ha1Md5, md5(`${extension}:demo:second-pass`), `${extension} follows the new password`);
    }
    assert.equal(Number((await counts(db))['audit_log']), Number(before['audit_log']) + DEMO_AGENTS.length, 'one audited update per agent');
    await seedDemo(db, ctx.clock);
    assert.equal((await agents.sipCredentials('demo', '1001'))?.ha1Md5, md5('1001:demo:second-pass'), 'no password given: the stored one stays');
  });

  test('SURGELINE_DEMO_TRUNK sets the default trunk, once; a new value replaces it', async () => {
    const db = ctx.store().db;
    const { tenantId } = await seedDemo(db, ctx.clock, { demoTrunk: 'sip:127.0.0.1:5090' });
    const trunks = trunksRepository(db, ctx.clock);
    assert.deepEqual(await trunks.dialInfo(tenantId), { uri: 'sip:127.0.0.1:5090', username: null, realm: null, ha1Md5: null, callerId: null });
    const before = await counts(db);
    await seedDemo(db, ctx.clock, { demoTrunk: 'sip:127.0.0.1:5090' });
    assert.deepEqual(await counts(db), before, 'the same trunk writes nothing');
    await seedDemo(db, ctx.clock, { demoTrunk: 'sip:127.0.0.1:5092' });
    assert.equal((await trunks.get(tenantId)).uri, 'sip:127.0.0.1:5092');
    await seedDemo(db, ctx.clock);
    assert.equal((await trunks.get(tenantId)).uri, 'sip:127.0.0.1:5092', 'not given: the trunk stays');
    await assert.rejects(seedDemo(db, ctx.clock, { demoTrunk: 'localhost:5090' }), /SURGELINE_DEMO_TRUNK/);
  });

  test('a store from before issue 4 gains the queues and agents (with a password returned once); a removed demo agent stays removed', async () => {
    const db = ctx.store().db;
    const { tenantId } = await seedDemo(db, ctx.clock);
    // Back to a store that predates queues and agents: their rows and their audit trail gone.
    await db.deleteFrom('agents').execute();
    await db.deleteFrom('queues').execute();
    await db.deleteFrom('users').where('role', '=', 'agent').execute();
    await db.deleteFrom('audit_log').where((eb) => eb.or([eb('action', 'like', 'agent.%'), eb('action', 'like', 'queue.%'), eb('action', '=', 'user.create')])).execute();
    const upgraded = await seedDemo(db, ctx.clock);
    assert.match(upgraded.demoPassword ?? '', /^[A-Za-z0-9_-]{12}$/, "the new agents' password is returned");
    const agents = agentsRepository(db, ctx.clock);
    assert.deepEqual((await agents.list(tenantId)).map((a) => a.extension), ['1001', '1002', '1003', '1004']);
    assert.equal((await agents.sipCredentials('demo', '1002'))?.ha1Md5, md5(`1002:demo:${upgraded.demoPassword}`));
    assert.equal((await queuesRepository(db, ctx.clock).list(tenantId)).length, DEMO_QUEUES.length);
    assert.equal((await seedDemo(db, ctx.clock)).demoPassword, undefined, 'once');

    const gone = await agents.getByExtension(tenantId, '1003');
    await agents.remove(tenantId, gone!.id, 'alice');
    await queuesRepository(db, ctx.clock).remove(tenantId, 'sktickets-general', 'alice');
    const after = await seedDemo(db, ctx.clock, { demoPassword: 'demo-pass' });
    assert.equal(after.demoPassword, undefined);
    assert.deepEqual((await agents.list(tenantId)).map((a) => a.extension), ['1001', '1002', '1004'], 'the removed agent is not brought back');
    assert.deepEqual((await queuesRepository(db, ctx.clock).list(tenantId)).map((q) => q.name), ['egou-orders', 'egou-returns', 'restaurant-staff', 'sktickets-incidents'], 'nor the removed queue');
  });
});

function canonicalOf(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => (v !== null && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => a.localeCompare(b))) : v));
}
