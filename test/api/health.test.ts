/** The API over real HTTP: health without a key, errors in the catalogue's shape. */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { startApi, type NodeStatus } from '../../src/api/server.ts';
import { silentLogger } from '../../src/log.ts';

let api: FastifyInstance;
let base: string;
let status: NodeStatus = { calls: 3, store: 'pglite', sip: { invites: 10, rejectedOverload: 1, dropped: 2 }, media: { workers: 1, legs: 3 } };

before(async () => {
  api = await startApi({ host: '127.0.0.1', port: 0, logger: silentLogger(), version: '0.1.0', startedAt: Date.now(), status: () => status });
  base = `http://127.0.0.1:${(api.server.address() as AddressInfo).port}`;
});
after(async () => {
  await api.close();
});

test('GET /api/v1/health answers without a key', async () => {
  const res = await fetch(`${base}/api/v1/health`);
  assert.equal(res.status, 200);
  const body = (await res.json()) as Record<string, unknown>;
  assert.equal(body.status, 'ok');
  assert.equal(body.calls, 3);
  assert.deepEqual(body.media, { workers: 1, legs: 3 });
});

test('health says degraded when no media worker is alive', async () => {
  status = { ...status, media: { workers: 0, legs: 0 } };
  const body = (await (await fetch(`${base}/api/v1/health`)).json()) as Record<string, unknown>;
  assert.equal(body.status, 'degraded');
});

test('an unknown route is a 404 in the error shape', async () => {
  const res = await fetch(`${base}/api/v1/nope?x=1`);
  assert.equal(res.status, 404);
  assert.deepEqual(await res.json(), { error: { code: 'not_found', message: 'no route for GET /api/v1/nope' } });
});
