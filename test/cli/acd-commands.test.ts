/**
 * The issue-4 CLI commands against a real API (in-process, over the real store, with a live
 * agent registry running the real agent state machine): agents listed and put on break and
 * back, queues pushed from YAML (one and a list) and shown, a refused queue naming the field
 * with exit 1, the callback worklist filtered by state, voicemails listed; --json output is
 * the API's.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { callbacksRepository } from '../../src/store/repositories/callbacks.ts';
import { voicemailsRepository } from '../../src/store/repositories/voicemails.ts';
import { queueCallsRepository } from '../../src/store/repositories/queue-calls.ts';
import { randomUUID } from 'node:crypto';
import { eachBackend } from '../store/backends.ts';
import { makeTenant, type TestApi, type TestTenant } from '../api/harness.ts';
import { LiveAgents, startAcdApi } from '../api/acd-harness.ts';
import { cli, lines } from './run-cli.ts';

eachBackend('CLI agents, queues, callbacks, voicemails', (ctx) => {
  let api: TestApi;
  let t: TestTenant;
  let dir: string;
  let env: Record<string, string>;
  const live = new LiveAgents(() => ctx.clock.wallNow());
  const cbIds: string[] = [];

  const ok = async (args: string[]): Promise<string> => {
    const r = await cli(args, { env });
    assert.equal(r.code, 0, `surgeline ${args.join(' ')} → ${r.code}: ${r.stderr}`);
    return r.stdout;
  };

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'surgeline-cli-acd-'));
    api = await startAcdApi(ctx, { acd: live.acd });
    t = await makeTenant(ctx, 'cli-acd');
    env = { SURGELINE_API_URL: api.base, SURGELINE_API_KEY: t.keys.admin };
    for (const [ext, skills] of [['1001', { orders: 8 }], ['1002', { returns: 5 }]] as const) {
      const res = await api.request('POST', '/agents', { key: t.keys.admin, body: { extension: ext, displayName: `客服${ext}`, skills, groups: ['egou'] } });
      assert.equal(res.status, 201);
      live.register(t.id, { id: res.body.id, extension: ext });
    }
    const number = String(400400000 + (process.pid % 100000) * 10 + (ctx.kind === 'postgres' ? 5 : 0));
    const line = await api.request('POST', '/lines', { key: t.keys.admin, body: { name: 'E購網', timeZone: 'Asia/Taipei', numbers: [number] } });
    const cbs = callbacksRepository(ctx.store().db, ctx.clock);
    for (let m = 0; m < 2; m++) {
      const cb = await cbs.create(t.id, { lineId: line.body.id, callerNumber: `091200000${m}`, kind: 'keep-place', queue: 'egou-orders', requestedAt: new Date(ctx.clock.wallNow() + m * 60_000) });
      cbIds.push(cb.id);
    }
    await cbs.cancel(t.id, cbIds[0]!, 'test');
    await voicemailsRepository(ctx.store().db, ctx.clock).create(t.id, {
      lineId: line.body.id, callerNumber: '0933000111', recordedAt: new Date(ctx.clock.wallNow()), durationMs: 12_300, path: 'voicemails/x/1.wav', digits: '3',
    });
  });
  after(async () => {
    await api?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  test('agents list shows state and skills; agents state puts one on break and back', async () => {
    const table = lines(await ok(['agents', 'list']));
    assert.match(table[0]!, /^EXT\s+NAME\s+STATE\s+SINCE\s+SKILLS\s+GROUPS$/);
    assert.match(table[1]!, /^1001\s+客服1001\s+available\s+.*orders:8\s+egou$/);
    assert.equal(await ok(['agents', 'state', '1001', 'break', '--reason', 'lunch']), 'agent 1001: break (lunch)\n');
    const shown = await ok(['agents', 'show', '1001']);
    assert.match(shown, /state: +break \(lunch\)/);
    const json = JSON.parse(await ok(['agents', 'show', '1001', '--json']));
    assert.deepEqual([json.state.state, json.state.reason], ['break', 'lunch']);
    assert.equal(await ok(['agents', 'state', '1001', 'available']), 'agent 1001: available\n');
    const missing = await cli(['agents', 'state', '1009', 'break'], { env });
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /agent not found: 1009 \(404 not_found\)/);
  });

  test('queues push from YAML (one queue, then a list), list and show; a bad config names the field, exit 1', async () => {
    const one = join(dir, 'orders.yaml');
    await writeFile(one, 'name: egou-orders\npriority: 70\nrequiredSkills:\n  - skill: orders\n    minProficiency: 3\nagentGroups: [egou]\n');
    assert.equal(await ok(['queues', 'push', one]), 'queue egou-orders: saved\n');
    const many = join(dir, 'both.json');
    await writeFile(many, JSON.stringify([{ name: 'egou-orders', priority: 80 }, { name: 'egou-returns', strategy: 'best-skill' }]));
    assert.equal(await ok(['queues', 'push', many]), 'queue egou-orders: saved\nqueue egou-returns: saved\n');
    const table = lines(await ok(['queues', 'list']));
    assert.match(table[1]!, /^egou-orders\s+80\s+longest-idle\s+-\s+-\s+0$/, 'the second push replaced the first');
    assert.match(table[2]!, /^egou-returns\s+50\s+best-skill/);
    const shown = JSON.parse(await ok(['queues', 'show', 'egou-returns']));
    assert.equal(shown.name, 'egou-returns');
    assert.equal(shown.serviceLevel.targetSeconds, 30, 'defaults filled in');
    const bad = join(dir, 'bad.yaml');
    await writeFile(bad, 'name: egou-orders\nrequiredSkills:\n  - skill: orders\n    minProficiency: 12\n');
    const refused = await cli(['queues', 'push', bad], { env });
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /queue egou-orders: requiredSkills\.0\.minProficiency: .*\(400 bad_request\)/);
    const nameless = join(dir, 'nameless.yaml');
    await writeFile(nameless, 'priority: 3\n');
    const noName = await cli(['queues', 'push', nameless], { env });
    assert.equal(noName.code, 1);
    assert.match(noName.stderr, /name: a queue needs a name/);
  });

  test('callbacks list: the worklist with number, line and state, filtered by state', async () => {
    const all = lines(await ok(['callbacks', 'list']));
    assert.match(all[0]!, /^REQUESTED\s+NUMBER\s+LINE\s+QUEUE\s+KIND\s+DUE\s+STATE\s+TRIES\s+ID$/);
    assert.equal(all.length, 3);
    assert.match(all[1]!, /0912000001\s+E購網\s+egou-orders\s+keep-place\s+-\s+pending\s+0\/3/);
    assert.match(all[2]!, /0912000000 .*cancelled/);
    const pending = JSON.parse(await ok(['callbacks', 'list', '--state', 'pending', '--json']));
    assert.deepEqual(pending.map((c: { id: string }) => c.id), [cbIds[1]]);
  });

  test('agents set changes skills, groups and wrap-up; trunk set and show; recordings list', async () => {
    assert.equal(await ok(['agents', 'set', '1002', '--skills', 'returns:6,payment:9', '--groups', 'egou,egou-backup', '--wrap-up', '20']), 'agent 1002: skills payment:9,returns:6; groups egou,egou-backup; wrap-up 20 s\n');
    const a = (await api.request('GET', '/agents/1002', { key: t.keys.admin })).body;
    assert.deepEqual([a.skills, a.groups, a.wrapUpSeconds], [{ returns: 6, payment: 9 }, ['egou', 'egou-backup'], 20]);
    const bad = await cli(['agents', 'set', '1002', '--skills', 'returns:11'], { env });
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /"returns:11" is not skill:level/);
    assert.equal((await cli(['agents', 'set', '1002'], { env })).code, 2, 'nothing to change');

    const set = await ok(['trunk', 'set', 'sip:127.0.0.1:5090', '--username', 'acct42', '--password', 'trunk-secret', '--caller-id', '4008001111']);
    assert.match(set, /^trunk sip:127\.0\.0\.1:5090\n  username: +acct42 \(password stored as HA1\)\n/);
    assert.ok(!set.includes('trunk-secret'));
    const shown = JSON.parse(await ok(['trunk', 'show', '--json']));
    assert.deepEqual([shown.uri, shown.username, shown.callerId, shown.credentials], ['sip:127.0.0.1:5090', 'acct42', '4008001111', true]);
    assert.ok(!JSON.stringify(shown).includes('trunk-secret'), 'the password never comes back');

    assert.deepEqual(JSON.parse(await ok(['recordings', 'list', '--json'])), [], 'no calls recorded in this tenant');
    assert.match(await ok(['recordings', 'list']), /^STARTED\s+QUEUE\s+MODE\s+LENGTH\s+PAUSED\s+CALL\s+ID/);
    const idle = await cli(['recordings', 'pause', '6f1d3c1e-0000-4000-8000-000000000001'], { env });
    assert.equal(idle.code, 1, 'this API runs no queue runtime: pausing fails with the reason');
    assert.match(idle.stderr, /no queue runtime: recordings cannot be paused here \(503 unavailable\)/);
    const sup = await cli(['calls', 'supervise', '6f1d3c1e-0000-4000-8000-000000000001', '--extension', '1004', '--mode', 'whisper'], { env });
    assert.equal(sup.code, 1);
    assert.match(sup.stderr, /calls cannot be supervised here \(503 unavailable\)/);
    const noExt = await cli(['calls', 'supervise', '6f1d3c1e-0000-4000-8000-000000000001'], { env });
    assert.notEqual(noExt.code, 0);
    assert.match(noExt.stderr, /needs --extension/);
  });

  test("key create --user: an agent key for 1001 under any name lists only 1001", async () => {
    const key = (await ok(['key', 'create', '--name', 'desk tablet', '--role', 'agent', '--user', '1001'])).trim();
    const r = await cli(['agents', 'list', '--json'], { env: { ...env, SURGELINE_API_KEY: key } });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual((JSON.parse(r.stdout) as { extension: string }[]).map((a) => a.extension), ['1001']);
  });

  test('queues calls and queues stats: the CDRs and the figures of the last hour', async () => {
    const repo = queueCallsRepository(ctx.store().db, ctx.clock);
    const at = Date.now() - 10 * 60_000;
    const answered = await repo.start(t.id, { callId: randomUUID(), queue: 'cli-stats', enteredAt: new Date(at) });
    await repo.answer(t.id, answered, { at: new Date(at + 12_000), agentId: (await api.request('GET', '/agents/1001', { key: t.keys.admin })).body.id });
    await repo.end(t.id, answered, { at: new Date(at + 72_000), outcome: 'answered' });
    const gone = await repo.start(t.id, { callId: randomUUID(), queue: 'cli-stats', enteredAt: new Date(at + 1000) });
    await repo.end(t.id, gone, { at: new Date(at + 41_000), outcome: 'abandoned' });
    const cdrs = JSON.parse(await ok(['queues', 'calls', '--queue', 'cli-stats', '--json'])) as { id: string; waitMs: number }[];
    assert.deepEqual(cdrs.map((c) => [c.id, c.waitMs]), [[gone, 40_000], [answered, 12_000]], 'newest first, with their waits');
    const text = await ok(['queues', 'calls', '--agent', '1001']);
    assert.match(text, /cli-stats\s+answered\s+12s\s+60s/);
    const [row] = (JSON.parse(await ok(['queues', 'stats', '--json'])) as { queue: string; offered: number; answered: number; abandoned: number }[]).filter((r) => r.queue === 'cli-stats');
    assert.deepEqual([row?.offered, row?.answered, row?.abandoned], [2, 1, 1]);
    assert.match(await ok(['queues', 'stats', '--last', '1d']), /cli-stats\s+2\s+1\s+1\s+0\s+50%\s+12s\s+40s\s+60s/);
    assert.equal((await cli(['queues', 'stats', '--last', 'soon'], { env })).code, 2, 'a bad duration is a usage error');
  });

  test('voicemails list', async () => {
    const out = lines(await ok(['voicemails', 'list']));
    assert.match(out[0]!, /^RECORDED\s+NUMBER\s+LENGTH\s+QUEUE\s+DIGITS\s+STATE\s+ID$/);
    assert.match(out[1]!, /0933000111\s+12\.3 s\s+-\s+3\s+new/);
    assert.deepEqual(JSON.parse(await ok(['voicemails', 'list', '--state', 'done', '--json'])), []);
  });
}, { kinds: ['pglite'] }); // the CLI's subject is the API, which test/api/ runs on both backends
