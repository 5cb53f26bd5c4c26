/**
 * The `surgeline` CLI end to end against a real node (`surgeline serve` as a child
 * process, SURGELINE_ADMIN_KEY set): flows pushed from YAML, published and rolled back;
 * SKTickets' banner switched to the outage preset and read back through the API; keys
 * created and used with their role; a real SIPp call to 4008002222 seen by `calls tail`
 * and found by `calls list` and `calls show`.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { run, startServer, type RunningServer } from '../e2e/server.ts';
import { cli, FLOWS, lines, ROOT } from './run-cli.ts';

const SIP_PORT = 34060; // HTTP 37060 (test/e2e/server.ts: SIP port + 3000)
const API_URL = `http://127.0.0.1:${SIP_PORT + 3000}`;
const ADMIN_KEY = 'cli-e2e-admin-key-3f1b7c0e9a2d4b68';
const SIPP_PORT = 34190;
const SIPP_MEDIA_PORT = 34192;
const SCENARIO = path.join(ROOT, 'test/fixtures/sipp/uac_pcap_dtmf.xml');
const env = { SURGELINE_API_URL: API_URL, SURGELINE_API_KEY: ADMIN_KEY };

let server: RunningServer;

before(async () => {
  server = await startServer({ sipPort: SIP_PORT, rtpPorts: '34100-34179', env: { SURGELINE_ADMIN_KEY: ADMIN_KEY } });
});
after(async () => {
  await server?.stop();
});

async function api<T>(p: string, key = ADMIN_KEY): Promise<T> {
  const res = await fetch(`${API_URL}/api/v1${p}`, { headers: { authorization: `Bearer ${key}` } });
  assert.equal(res.status, 200, `GET ${p}: ${res.status} ${await res.clone().text()}`);
  return (await res.json()) as T;
}

async function ok(args: string[], extraEnv: Record<string, string> = {}): Promise<string> {
  const r = await cli(args, { env: { ...env, ...extraEnv } });
  assert.equal(r.code, 0, `surgeline ${args.join(' ')} → ${r.code}: ${r.stderr}`);
  return r.stdout;
}

interface FlowJson {
  id: string;
  name: string;
  publishedVersion: number | null;
  latestVersion: number;
}

test('flow push (YAML) as a draft, push --publish, publish an older version, roll back', async () => {
  const file = path.join(FLOWS, 'cli-good.yaml');
  assert.equal(await ok(['flow', 'push', file, '--comment', 'first draft']), 'pushed cli-yaml-hotline version 1 (draft)\n');
  assert.equal(await ok(['flow', 'push', file, '--publish']), 'pushed cli-yaml-hotline version 2, published\n');
  // Nothing was published before v2, so rolling back goes to the version before it.
  assert.equal(await ok(['flow', 'rollback', 'cli-yaml-hotline']), 'cli-yaml-hotline: rolled back to version 1\n');
  assert.equal(await ok(['flow', 'publish', 'cli-yaml-hotline']), 'cli-yaml-hotline: version 2 published\n', 'publish defaults to the latest');
  assert.equal(await ok(['flow', 'rollback', 'cli-yaml-hotline', '--version', '1']), 'cli-yaml-hotline: rolled back to version 1\n');
  const refused = await cli(['flow', 'rollback', 'cli-yaml-hotline', '--version', '2'], { env });
  assert.equal(refused.code, 1, 'rolling "back" to a later version is refused by the server');
  assert.match(refused.stderr, /\(400 bad_request\)/);

  const flow = await api<FlowJson>('/flows/cli-yaml-hotline');
  assert.equal(flow.publishedVersion, 1, 'the API agrees with what the CLI said');
  assert.equal(flow.latestVersion, 2);

  const listed = JSON.parse(await ok(['flow', 'list', '--json'])) as FlowJson[];
  const names = listed.map((f) => f.name);
  for (const seeded of ['egou-double11', 'sktickets-incident', 'cli-yaml-hotline']) assert.ok(names.includes(seeded), `flow list has ${seeded}`);
  assert.match(await ok(['flow', 'list']), /^cli-yaml-hotline\s+v1\s+v2\s/m);

  const versions = await ok(['flow', 'versions', 'cli-yaml-hotline']);
  assert.match(versions, /^v1\s+yes\s+\S.*first draft$/m, versions);
  assert.match(versions, /^v2\s{2,}\S/m, 'v2 is not the published one');

  // `flow show` prints YAML that parses back to the document pushed (branch "on:" intact).
  const shown = await ok(['flow', 'show', 'cli-yaml-hotline', '--version', '1']);
  assert.match(shown, /^# flow cli-yaml-hotline version 1 of 2 \(published\)\n# pushed by .*: first draft\n/);
  assert.deepEqual(parseYaml(shown), parseYaml(readFileSync(file, 'utf8')));
});

test('flow push prints the warnings of a valid flow on stderr', async () => {
  const r = await cli(['flow', 'push', path.join(FLOWS, 'cli-warning.yaml')], { env });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 'pushed cli-warning version 1 (draft)\n');
  assert.equal(r.stderr, 'warning: nodes.tell.prompt.text: variable "orderStatus" is not set on any path from start to this node\n');
});

test('flow push of an invalid YAML flow: exit 1, each problem with its path, nothing stored', async () => {
  const r = await cli(['flow', 'push', path.join(FLOWS, 'cli-bad-graph.yaml'), '--publish'], { env });
  assert.equal(r.code, 1, r.stderr);
  const problemLines = lines(r.stderr).slice(1);
  assert.deepEqual(
    problemLines.map((l) => l.trim().slice(0, l.trim().indexOf(': '))),
    ['nodes.menu.options.1', 'nodes.orphan', 'nodes.trap.options'],
    r.stderr,
  );
  assert.match(lines(r.stderr)[0]!, /\(422 unprocessable\)$/);
  const missing = await fetch(`${API_URL}/api/v1/flows/cli-bad-graph`, { headers: { authorization: `Bearer ${ADMIN_KEY}` } });
  assert.equal(missing.status, 404, 'an invalid flow is never stored');
});

test('line list shows the seeded hotlines; line flow switches E購網 to its normal-days flow and back', async () => {
  const listed = await ok(['line', 'list']);
  assert.match(listed, /^E購網\s+4008001111\s+\S+\s+egou-double11 v1\s/m, listed);
  assert.match(listed, /^SKTickets\s+4008002222\s+\S+\s+sktickets-incident v1\s/m, listed);

  assert.equal(await ok(['line', 'flow', '4008001111', 'egou-normal']), 'E購網: runs flow egou-normal\n');
  const normal = await api<FlowJson>('/flows/egou-normal');
  assert.equal((await api<{ flowId: string }>('/lines/4008001111')).flowId, normal.id, 'the API shows the line on egou-normal');
  const unknown = await cli(['line', 'flow', '4008001111', 'no-such-flow'], { env });
  assert.equal(unknown.code, 1);
  assert.match(unknown.stderr, /\(404 not_found\)/);
  await ok(['line', 'flow', '4008001111', 'egou-double11']);
  const double11 = await api<FlowJson>('/flows/egou-double11');
  assert.equal((await api<{ flowId: string }>('/lines/4008001111')).flowId, double11.id);
});

interface SlotJson {
  slot: string;
  version: number;
  preset: string | null;
  text: string | null;
  expiresAt: number | null;
}

test('announce 4008002222 outage --time 18:00 --url …: the slot reads the filled-in outage text', async () => {
  const before = Date.now();
  const out = await ok(['announce', '4008002222', 'outage', '--time', '18:00', '--url', 'https://sktickets.example', '--expires', '2h']);
  assert.match(out, /^4008002222 banner v\d+ \(preset outage\): .*預計於 晚上6點 恢復正常/);
  const slot = await api<SlotJson>('/lines/4008002222/announcements/banner');
  assert.equal(slot.preset, 'outage');
  assert.ok(slot.text?.includes('預計於 晚上6點 恢復正常'), `text has the time, as said aloud: ${slot.text}`);
  assert.ok(slot.text?.includes('官網 https://sktickets.example 查詢'), `text has the URL: ${slot.text}`);
  assert.ok(slot.expiresAt !== null && slot.expiresAt >= before + 2 * 3_600_000 && slot.expiresAt <= Date.now() + 2 * 3_600_000, 'expires in 2 h');

  // Anything that is not a preset name is a free text; the `normal` preset empties the slot.
  await ok(['announce', '4008002222', '系統維護中，請稍後再撥。']);
  const free = await api<SlotJson>('/lines/4008002222/announcements/banner');
  assert.equal(free.preset, null);
  assert.equal(free.text, '系統維護中，請稍後再撥。');
  assert.equal(free.version, slot.version + 1);
  assert.match(await ok(['announce', '4008002222', 'normal']), /\(preset normal\): \(empty/);
  assert.equal((await api<SlotJson>('/lines/4008002222/announcements/banner')).text, null);
});

test('announce 4008002222 outage, bare (the product contract): the preset defaults fill the time and address', async () => {
  const out = await ok(['announce', '4008002222', 'outage']);
  assert.match(out, /\(preset outage\): .*預計於 (凌晨|上午|中午|下午|晚上)\d{1,2}點(\d{1,2}分)? 恢復正常.*www\.sktickets\.com/, out);
  await ok(['announce', '4008002222', 'normal']);
});

test('announce errors come back from the API: an unknown line, a text missing its value', async () => {
  const unknown = await cli(['announce', '4009999999', 'outage'], { env });
  assert.equal(unknown.code, 1);
  assert.match(unknown.stderr, /\(404 not_found\)/);
  const noTime = await cli(['announce', '4008002222', '系統維護中，預計於 [時間] 恢復。'], { env });
  assert.equal(noTime.code, 1);
  assert.match(noTime.stderr, /時間/, `the missing variable is named: ${noTime.stderr}`);
  assert.match(noTime.stderr, /^hint: the text needs --time: /m, noTime.stderr);
});

test('key create: the new key works with its role, cannot do more, and can be revoked', async () => {
  const r = await cli(['key', 'create', '--name', 'cli-e2e-agent', '--role', 'agent'], { env });
  assert.equal(r.code, 0, r.stderr);
  const agentKey = r.stdout.trim();
  assert.match(agentKey, /^\S{20,}$/, 'stdout is the key alone');
  assert.match(r.stderr, /created agent key "cli-e2e-agent"/);

  assert.match(await ok(['flow', 'list'], { SURGELINE_API_KEY: agentKey }), /egou-double11/);
  const denied = await cli(['key', 'create', '--name', 'x', '--role', 'admin'], { env: { ...env, SURGELINE_API_KEY: agentKey } });
  assert.equal(denied.code, 1, 'an agent key cannot create keys');
  assert.match(denied.stderr, /\(403 forbidden\)/);

  const keys = JSON.parse(await ok(['key', 'list', '--json'])) as { id: string; name: string; role: string }[];
  const created = keys.find((k) => k.name === 'cli-e2e-agent');
  assert.equal(created?.role, 'agent');
  await ok(['key', 'revoke', created!.id]);
  const revoked = await cli(['flow', 'list'], { env: { ...env, SURGELINE_API_KEY: agentKey } });
  assert.equal(revoked.code, 1);
  assert.match(revoked.stderr, /\(401 unauthorized\)/);
});

/** `surgeline calls tail --json` running in the background, its lines collected. */
function tail(): {
  child: ChildProcess;
  events: Array<Record<string, unknown>>;
  waitFor(pred: (e: Record<string, unknown>) => boolean, what: string): Promise<Record<string, unknown>>;
  /** Resolves once tail says on stderr that the stream is open. */
  open: Promise<void>;
} {
  const child = spawn(process.execPath, [path.join(ROOT, 'bin/surgeline.js'), 'calls', 'tail', '--json'], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const events: Array<Record<string, unknown>> = [];
  const waiters = new Set<() => void>();
  let buf = '';
  let stderr = '';
  let connected: () => void = () => {};
  let failed: (err: Error) => void = () => {};
  const open = new Promise<void>((resolve, reject) => {
    connected = resolve;
    failed = reject;
  });
  child.on('close', (code) => failed(new Error(`calls tail exited ${code} before the stream opened: ${stderr}`)));
  child.stderr!.on('data', (d: Buffer) => {
    stderr += d.toString();
    if (stderr.includes('following call events from')) connected();
  });
  child.stdout!.on('data', (d: Buffer) => {
    buf += d.toString();
    for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
      events.push(JSON.parse(buf.slice(0, nl)) as Record<string, unknown>);
      buf = buf.slice(nl + 1);
    }
    for (const w of waiters) w();
  });
  const waitFor = (pred: (e: Record<string, unknown>) => boolean, what: string): Promise<Record<string, unknown>> =>
    new Promise((resolve, reject) => {
      const check = (): void => {
        const hit = events.find(pred);
        if (hit === undefined) return;
        waiters.delete(check);
        clearTimeout(timer);
        resolve(hit);
      };
      const timer = setTimeout(() => {
        waiters.delete(check);
        reject(new Error(`calls tail never showed ${what}; stderr: ${stderr}; got ${JSON.stringify(events).slice(0, 2000)}`));
      }, 30_000);
      waiters.add(check);
      check();
    });
  return { child, events, waitFor, open };
}

test('a SIPp call to SKTickets: calls tail streams it, calls list and calls show find it', async () => {
  const t = tail();
  const exited = new Promise<number | null>((resolve) => t.child.on('close', resolve));
  try {
    await t.open;
    // The stream is open: a change made now must come through it.
    await ok(['announce', '4008002222', 'recovered']);
    await t.waitFor((e) => e.type === 'announcement.changed', 'the announcement change');

    const dir = mkdtempSync(path.join(tmpdir(), 'cli-sipp-'));
    try {
      const res = await run(
        'sipp',
        ['-sf', SCENARIO, '-s', '4008002222', `127.0.0.1:${SIP_PORT}`, '-m', '1', '-p', String(SIPP_PORT), '-mp', String(SIPP_MEDIA_PORT), '-i', '127.0.0.1', '-trace_msg', '-nostdin', '-timeout', '40s'],
        { cwd: dir, timeoutMs: 45_000 },
      );
      const msgFile = readdirSync(dir).find((f) => f.endsWith('_messages.log'));
      const trace = msgFile ? readFileSync(path.join(dir, msgFile), 'utf8') : '';
      assert.equal(res.code, 0, `sipp exit ${res.code}\n${res.stderr}\n${trace.slice(-2000)}`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }

    const started = await t.waitFor((e) => e.type === 'call.started' && e.dialled === '4008002222', 'call.started');
    const callId = String(started.callId);
    await t.waitFor((e) => e.type === 'call.journey' && e.callId === callId, 'a journey step');
    const ended = await t.waitFor((e) => e.type === 'call.ended' && e.callId === callId, 'call.ended');
    assert.equal(typeof ended.outcome, 'string');

    const calls = JSON.parse(await ok(['calls', 'list', '--line', '4008002222', '--json'])) as { id: string; outcome: string | null }[];
    const record = calls.find((c) => c.id === callId);
    assert.ok(record, 'calls list --line 4008002222 has the call');
    assert.match(await ok(['calls', 'list']), new RegExp(`^\\S+ \\S+\\s+${callId}\\s+SKTickets\\s`, 'm'));

    const shown = await ok(['calls', 'show', String(started.sipCallId)]);
    assert.match(shown, new RegExp(`^call ${callId}\\n  from \\S+ to 4008002222 on SKTickets\\n  flow sktickets-incident v\\d+\\n`), shown);
    assert.match(shown, /at welcome \(say\)/, 'the journey is shown step by step');
  } finally {
    t.child.kill('SIGINT');
  }
  assert.equal(await exited, 0, 'Ctrl-C ends calls tail cleanly');
});

test('simulate: a 10× step on E購網 through its Double-11 flow, table, JSON and the SVG chart', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'surgeline-sim-'));
  try {
    const choices = path.join(dir, 'shares.json');
    writeFileSync(
      choices,
      JSON.stringify({
        menu: { '1': 0.45, '2': 0.2, '3': 0.1, '4': 0.1, '0': 0.1, noInput: 0.05 },
        orderStatus: { hangup: 0.6, '1': 0.3, noInput: 0.1 },
        returns: { hangup: 0.5, '1': 0.4, noInput: 0.1 },
        payment: { hangup: 0.5, '1': 0.5 },
      }),
    );
    const svg = path.join(dir, 'day.svg');
    const args = ['simulate', '--line', 'E購網', '--flow', 'egou-double11', '--profile', 'step:10x', '--base', '30', '--at', '2', '--intervals', '6', '--agents', '8', '--patience', '2m', '--choices', choices];
    const table = await ok([...args, '--svg', svg]);
    assert.match(table, /^time +offered deflected +queued answered abandoned voicemail callbacks cb done backlog +SL % +ASA s +occ % +waiting\n00:00 /);
    assert.match(table, /\ntotal +\d+ /);
    const chart = readFileSync(svg, 'utf8');
    assert.match(chart, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
    assert.match(chart, /<polyline points="[\d., ]+"/);
    const json = JSON.parse(await ok([...args, '--json'])) as { intervals: { offered: number; peakWaiting: number }[]; totals: { offered: number; deflected: number; queued: number } };
    assert.equal(json.intervals.length, 6);
    assert.ok(json.totals.deflected > 0 && json.totals.queued > 0);
    assert.ok(json.intervals[4]!.peakWaiting > json.intervals[0]!.peakWaiting, 'the step fills the queues');
    const bad = await cli(['simulate', '--line', 'E購網', '--profile', 'step:10x', '--agents', '8'], { env });
    assert.equal(bad.code, 1, bad.stderr);
    assert.match(bad.stderr, /choices\.menu/);
    // A replay of a period the line had no calls in: the API's 422 names the profile. Observed shares from the
    // last hours (given ones win) come back with the number of calls read.
    const empty = await cli(['simulate', '--line', 'E購網', '--profile', 'replay:2020-01-01T00:00+08:00..2020-01-01T02:00+08:00', '--scale', '2', '--agents', '8', '--choices', choices], { env });
    assert.equal(empty.code, 1, empty.stderr);
    assert.match(empty.stderr, /profile\.replay/);
    const since = new Date(Date.now() - 3 * 3_600_000).toISOString();
    const seen = JSON.parse(await ok([...args, '--observed', `${since}..${new Date().toISOString()}`, '--ivr', '20s', '--callback-reach', '0.7', '--callback-accept', '0.2', '--json'])) as { observed: { calls: number } };
    assert.ok(Number.isInteger(seen.observed.calls), JSON.stringify(seen.observed));
    // A forecast's JSON as the profile: its hourly calls, and its AHT per interval.
    const forecastFile = path.join(dir, 'forecast.json');
    const hours = [0, 1, 2, 3].map((h) => ({ day: '2026-11-11', time: `${String(h).padStart(2, '0')}:00`, calls: 120, ahtSeconds: 150 + 10 * h }));
    writeFileSync(forecastFile, JSON.stringify({ model: {}, error: {}, intervals: hours }));
    const fromForecast = JSON.parse(await ok(['simulate', '--line', 'E購網', '--flow', 'egou-double11', '--profile', forecastFile, '--agents', '8', '--choices', choices, '--json'])) as { intervals: unknown[]; totals: { offered: number } };
    assert.equal(fromForecast.intervals.length, 4, 'hourly, as the forecast');
    assert.ok(Math.abs(fromForecast.totals.offered - 480) < 90, `offered ${fromForecast.totals.offered}`);
    const forecastTable = await ok(['simulate', '--line', 'E購網', '--flow', 'egou-double11', '--profile', forecastFile, '--agents', '8', '--choices', choices]);
    assert.match(forecastTable, /\n01:00 /, 'labelled by the forecast hours');
    // A staffing plan from a file (the JSON `surgeline staff --forecast … --shifts --json` writes).
    const staffingFile = path.join(dir, 'staffing.json');
    writeFileSync(staffingFile, JSON.stringify({ intervals: [], shifts: { scheduled: [2, 2, 30, 30, 30, 30] } }));
    const staffed = JSON.parse(await ok([...args.filter((x, i) => x !== '--agents' && args[i - 1] !== '--agents'), '--staffing', staffingFile, '--json'])) as { intervals: { occupancy: number | null }[] };
    assert.equal(staffed.intervals.length, 6);
    const both = await cli([...args, '--staffing', staffingFile], { env });
    assert.equal(both.code, 2);
    assert.match(both.stderr, /--agents or --staffing, not both/);
    const badPeriod = await cli([...args, '--observed', '2026-11-11T00:00..2026-11-12T00:00'], { env });
    assert.equal(badPeriod.code, 2, badPeriod.stderr);
    assert.match(badPeriod.stderr, /--observed .*with its zone/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('review: the last hours of this node, as a table and JSON; a time without its zone exits 2', async () => {
  const from = new Date(Date.now() - 3 * 3_600_000).toISOString();
  const to = new Date(Date.now() + 3_600_000).toISOString();
  const json = JSON.parse(await ok(['review', '--from', from, '--to', to, '--interval', '60m', '--json'])) as { intervals: unknown[]; forecastUnavailable?: string; callbacks: { open: number } };
  assert.ok(json.intervals.length >= 4 && json.intervals.length <= 5);
  assert.match(json.forecastUnavailable ?? '', /^history: /, 'a new node has no weeks before to learn from, and says so');
  assert.equal(typeof json.callbacks.open, 'number');
  assert.match(await ok(['review', '--from', from, '--to', to]), /intervals below target; callbacks still open: \d+/);
  const bad = await cli(['review', '--from', '2026-11-11', '--to', to], { env });
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /an ISO time with its zone/);
});
