/**
 * The OpenAPI document: served without a key, OpenAPI 3.1.0, lists every route of spec D
 * and only routes the server really has, with request schemas from the same zod schemas
 * that validate (a field the server requires is required in the document).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { startApi } from '../../src/api/server.ts';
import { silentLogger } from '../../src/log.ts';

/** Every route of spec D, as method and path under /api/v1. */
const SPEC_ROUTES = [
  'GET /health', 'GET /openapi.json',
  'GET /tenants', 'POST /tenants',
  'GET /users', 'POST /users', 'GET /users/{id}', 'PATCH /users/{id}', 'DELETE /users/{id}',
  'GET /keys', 'POST /keys', 'DELETE /keys/{id}',
  'GET /lines', 'POST /lines', 'GET /lines/{line}', 'PATCH /lines/{line}', 'GET /lines/{line}/numbers', 'POST /lines/{line}/numbers', 'DELETE /numbers/{digits}',
  'GET /flows', 'POST /flows', 'POST /flows/validate', 'GET /flows/{flow}', 'GET /flows/{flow}/versions', 'GET /flows/{flow}/versions/{n}',
  'POST /flows/{flow}/publish', 'POST /flows/{flow}/rollback',
  'GET /lines/{line}/announcements', 'GET /lines/{line}/announcements/{slot}', 'PUT /lines/{line}/announcements/{slot}',
  'GET /lines/{line}/announcements/{slot}/presets', 'PUT /lines/{line}/announcements/{slot}/presets',
  'GET /schedules', 'GET /schedules/{name}', 'PUT /schedules/{name}', 'DELETE /schedules/{name}', 'GET /schedules/{name}/status',
  'GET /calls', 'GET /calls/{id}',
  'GET /audit',
  'GET /events',
  // issue 4 (ACD)
  'GET /agents', 'POST /agents', 'GET /agents/{agent}', 'PATCH /agents/{agent}', 'DELETE /agents/{agent}', 'PUT /agents/{agent}/state',
  'GET /queues', 'POST /queues', 'GET /queues/{queue}', 'PUT /queues/{queue}', 'DELETE /queues/{queue}',
  'GET /queue-calls', 'GET /queue-calls/{id}', 'PUT /queue-calls/{id}/wrap-code', 'GET /queue-stats',
  'GET /callbacks', 'POST /callbacks', 'GET /callbacks/{id}', 'PATCH /callbacks/{id}',
  'GET /voicemails', 'GET /voicemails/{id}', 'GET /voicemails/{id}/audio', 'PATCH /voicemails/{id}',
  'GET /recordings', 'GET /recordings/{id}', 'GET /recordings/{id}/audio', 'POST /calls/{id}/recording/pause', 'POST /calls/{id}/recording/resume',
  'POST /calls/{id}/supervise', 'GET /calls/{id}/supervise', 'DELETE /calls/{id}/supervise',
  'GET /trunk', 'PUT /trunk',
  // issue 5 (planning)
  'POST /planning/erlang', 'POST /planning/staff', 'POST /planning/forecast', 'POST /planning/shifts', 'POST /planning/standby',
  'POST /planning/simulate', 'POST /planning/compare', 'POST /planning/review',
];

let app: FastifyInstance;
let base: string;

before(async () => {
  // No store: the document is the same, and it must not need one.
  app = await startApi({
    host: '127.0.0.1', port: 0, logger: silentLogger(), version: '9.8.7', startedAt: Date.now(),
    status: () => ({ calls: 0, store: 'pglite', sip: { invites: 0, rejectedOverload: 0, dropped: 0 }, media: { workers: 1, legs: 0 } }),
  });
  base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}/api/v1`;
});
after(async () => {
  await app.close();
});

async function fetchDocument(): Promise<any> {
  const res = await fetch(`${base}/openapi.json`);
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
  return JSON.parse(await res.text());
}

test('the document is OpenAPI 3.1.0 JSON with the node version', async () => {
  const doc = await fetchDocument();
  assert.equal(doc.openapi, '3.1.0');
  assert.equal(doc.info.version, '9.8.7');
  assert.equal(doc.components.securitySchemes.bearer.scheme, 'bearer');
});

test('it lists every route of the API, and each listed route exists on the server', async () => {
  const doc = await fetchDocument();
  const listed = Object.entries(doc.paths as Record<string, Record<string, unknown>>).flatMap(([path, ops]) =>
    Object.keys(ops).map((m) => `${m.toUpperCase()} ${path.replace(/^\/api\/v1/, '')}`),
  );
  assert.deepEqual([...listed].sort(), [...SPEC_ROUTES].sort());
  for (const entry of listed) {
    const [method, path] = entry.split(' ') as [string, string];
    const url = '/api/v1' + path.replace(/\{([^}]+)\}/g, ':$1');
    assert.ok(app.hasRoute({ method: method as 'GET', url }), `${entry} is served`);
  }
});

test('schemas come from the validating zod schemas', async () => {
  const doc = await fetchDocument();
  const createLine = doc.paths['/api/v1/lines'].post;
  const body = createLine.requestBody.content['application/json'].schema;
  assert.deepEqual([...body.required].sort(), ['name', 'timeZone']);
  assert.equal(body.additionalProperties, false, 'unknown fields are refused, and the document says so');
  assert.deepEqual(createLine.security, [{ bearer: [] }]);
  assert.deepEqual(createLine['x-roles'], ['admin']);

  const calls = doc.paths['/api/v1/calls'].get.parameters as Array<{ name: string; in: string; required: boolean }>;
  assert.deepEqual(calls.map((p) => p.name).sort(), ['active', 'before', 'beforeId', 'limit', 'line', 'since', 'until']);
  assert.ok(calls.every((p) => p.in === 'query' && p.required === false));

  const version = doc.paths['/api/v1/flows/{flow}/versions/{n}'].get.parameters as Array<{ name: string; in: string; required: boolean }>;
  assert.deepEqual(version.map((p) => [p.name, p.in, p.required]), [['flow', 'path', true], ['n', 'path', true]]);

  const pushFlow = doc.paths['/api/v1/flows'].post.requestBody.content['application/json'].schema;
  assert.ok(pushFlow.properties.nodes, 'the flow document schema is described');
  const pushErrors = doc.paths['/api/v1/flows'].post.responses;
  assert.equal(pushErrors['422'].content['application/json'].schema.$ref, '#/components/schemas/Error');
  assert.ok(doc.components.schemas.Error.properties.error.properties.problems, 'the error schema has problems');

  assert.deepEqual(doc.paths['/api/v1/health'].get.security, [], 'health needs no key');
  assert.deepEqual(doc.paths['/api/v1/openapi.json'].get.security, []);
});

test('without a store every keyed route answers 503 in the error shape', async () => {
  const res = await fetch(`${base}/lines`, { headers: { authorization: 'Bearer whatever' } });
  assert.equal(res.status, 503);
  assert.equal(((await res.json()) as { error: { code: string } }).error.code, 'unavailable');
});
