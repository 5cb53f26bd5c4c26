/**
 * Two nodes on one PostgreSQL (DATABASE_URL), the way a hotline scales out: an incident
 * announcement set through node A's API is heard by a caller on node B one second later
 * (B learns it by polling the store, within 500 ms), and either node's API serves the
 * other's call records. The database is created for the test and dropped after it.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { E2E_ADMIN_KEY, endedCallRecord, run, startServer, type RunningServer } from './server.ts';
import { TEST_DATABASE_URL } from '../store/backends.ts';
import { SKTICKETS_PRESETS } from '../../src/announcements/sktickets-presets.ts';

const SCENARIO = path.resolve(import.meta.dirname, '../fixtures/sipp/uac_listen.xml');
const DB = `surgeline_e2e_${randomBytes(4).toString('hex')}`;
let nodeA: RunningServer | undefined;
let nodeB: RunningServer | undefined;

async function admin(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

before(async () => {
  await admin(`CREATE DATABASE ${DB}`);
  const url = new URL(TEST_DATABASE_URL);
  url.pathname = `/${DB}`;
  const env = { DATABASE_URL: url.toString() };
  // One after the other: the first start migrates and seeds, the second finds it done.
  nodeA = await startServer({ sipPort: 35060, rtpPorts: '35100-35199', env });
  nodeB = await startServer({ sipPort: 35260, rtpPorts: '35300-35399', env });
});

after(async () => {
  await nodeA?.stop();
  await nodeB?.stop();
  await admin(`DROP DATABASE IF EXISTS ${DB} WITH (FORCE)`);
});

function apiOf(node: RunningServer): string {
  return `http://127.0.0.1:${node.sipPort + 3000}/api/v1`;
}

/** One SIPp caller who listens for `ms` on 4008002222 at the given node; returns its SIP Call-ID. */
async function call(node: RunningServer, ms: number, sippPort: number): Promise<string> {
  const dir = mkdtempSync(path.join(tmpdir(), 'sipp-two-nodes-'));
  const res = await run(
    'sipp',
    ['-sf', SCENARIO, '-s', '4008002222', `127.0.0.1:${node.sipPort}`, '-m', '1', '-d', String(ms), '-p', String(sippPort), '-mp', String(sippPort + 10), '-i', '127.0.0.1', '-nostdin', '-timeout', '30s', '-trace_msg'],
    { cwd: dir, timeoutMs: 40_000 },
  );
  const msgFile = readdirSync(dir).find((f) => f.endsWith('_messages.log'));
  const trace = msgFile ? readFileSync(path.join(dir, msgFile), 'utf8') : '';
  assert.equal(res.code, 0, `sipp exit ${res.code}: ${res.stderr.slice(-1500)}`);
  const callId = /Call-ID: (\S+)/.exec(trace)?.[1];
  assert.ok(callId, 'SIPp trace has the Call-ID');
  return callId;
}

interface Journey {
  kind: string;
  node?: string;
  slot?: string;
  version?: number;
  text?: string;
}

test('an outage set on node A is heard by a caller on node B a second later; records are shared', { timeout: 90_000 }, async () => {
  assert.ok(nodeA && nodeB, 'both nodes up');
  const before = await call(nodeB, 4500, 35270);
  const quiet = await endedCallRecord(nodeB, before);
  assert.ok(!(quiet.journey as Journey[]).some((e) => e.kind === 'prompt' && e.node === 'banner'), 'no banner before the outage');

  const res = await fetch(`${apiOf(nodeA)}/lines/4008002222/announcements/banner`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${E2E_ADMIN_KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify({ preset: 'outage', values: { time: '18:00', url: 'https://sktickets.example' } }),
  });
  assert.equal(res.status, 200, `PUT on node A: ${await res.clone().text()}`);
  const state = (await res.json()) as { version: number };
  await new Promise((r) => setTimeout(r, 1000));

  const after = await call(nodeB, 4500, 35280);
  // Node A's API serves node B's call: one store.
  const rec = await endedCallRecord(nodeA, after);
  const banner = (rec.journey as Journey[]).find((e) => e.kind === 'prompt' && e.node === 'banner');
  assert.ok(banner, `the caller on node B heard the banner: ${JSON.stringify(rec.journey)}`);
  assert.equal(banner.version, state.version, 'the version set on node A');
  const outage = SKTICKETS_PRESETS.find((p) => p.name === 'outage')!.text!;
  assert.equal(banner.text, outage.replace('[時間]', '晚上6點').replace('[網址]', 'https://sktickets.example'), 'the outage text with its values');
});
