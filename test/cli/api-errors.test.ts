/**
 * How the CLI reports the API's errors: a tiny HTTP server started here answers with
 * fixed error bodies (spec D's `{ error: { code, message, problems? } }`), and the real
 * CLI, run as a child process, must exit 1 with the server's message — a 422's problems
 * one per line with their paths — and must have sent its Bearer key. Not a stand-in for
 * the API: the product's own answers are tested end to end in e2e.test.ts.
 */
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { cli, FLOWS, lines } from './run-cli.ts';

interface Seen {
  method: string;
  url: string;
  authorization: string | undefined;
  body: string;
}

const KEY = 'sl_test_key_for_error_mapping_0123456789';
const seen: Seen[] = [];
let answer: { status: number; body: string; type?: string } = { status: 500, body: '' };
let server: http.Server;
let url = '';

before(async () => {
  server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      seen.push({ method: req.method!, url: req.url!, authorization: req.headers.authorization, body });
      res.writeHead(answer.status, { 'content-type': answer.type ?? 'application/json' });
      res.end(answer.body);
    });
  });
  // A refused WebSocket upgrade, as the API answers a bad key on GET /events.
  server.on('upgrade', (req, socket) => {
    seen.push({ method: req.method!, url: req.url!, authorization: req.headers.authorization, body: '' });
    const body = JSON.stringify({ error: { code: 'unauthorized', message: 'unknown or revoked API key' } });
    socket.end(`HTTP/1.1 401 Unauthorized\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(() => new Promise<void>((resolve) => server.close(() => resolve())));

const env = (): Record<string, string> => ({ SURGELINE_API_URL: url, SURGELINE_API_KEY: KEY });

test('a 422 from flow push: exit 1, the message, then each problem as "<path>: <message>"', async () => {
  answer = {
    status: 422,
    body: JSON.stringify({
      error: {
        code: 'unprocessable',
        message: 'the flow has 2 problems',
        problems: [
          { path: 'nodes.menu.options.1', node: 'menu', message: '"orders" is not a node of this flow' },
          { path: 'nodes.orphan', node: 'orphan', message: 'no path from start "welcome" reaches this node' },
        ],
      },
    }),
  };
  seen.length = 0;
  const r = await cli(['flow', 'push', path.join(FLOWS, 'cli-good.yaml'), '--publish', '--comment', 'for the peak'], { env: env() });
  assert.equal(r.code, 1, r.stderr);
  assert.deepEqual(lines(r.stderr), [
    'surgeline: the flow has 2 problems (422 unprocessable)',
    '  nodes.menu.options.1: "orders" is not a node of this flow',
    '  nodes.orphan: no path from start "welcome" reaches this node',
  ]);
  assert.equal(r.stdout, '');
  assert.equal(seen.length, 1, 'one request');
  const req = seen[0]!;
  assert.equal(req.method, 'POST');
  const sent = new URL(req.url, url);
  assert.equal(sent.pathname, '/api/v1/flows');
  assert.equal(sent.searchParams.get('publish'), 'true');
  assert.equal(sent.searchParams.get('comment'), 'for the peak');
  assert.equal(req.authorization, `Bearer ${KEY}`);
  const doc = JSON.parse(req.body) as { name: string; nodes: { vip: { on: string } } };
  assert.equal(doc.name, 'cli-yaml-hotline', 'the YAML file is sent as its JSON document');
  assert.equal(doc.nodes.vip.on, 'caller');
});

test('a 404 names what is missing; the flow ref is percent-encoded into the path', async () => {
  answer = { status: 404, body: JSON.stringify({ error: { code: 'not_found', message: 'no flow "雙11 flow"' } }) };
  seen.length = 0;
  const r = await cli(['flow', 'publish', '雙11 flow', '--version', '3'], { env: env() });
  assert.equal(r.code, 1);
  assert.equal(r.stderr, 'surgeline: no flow "雙11 flow" (404 not_found)\n');
  assert.equal(seen[0]!.url, `/api/v1/flows/${encodeURIComponent('雙11 flow')}/publish`);
  assert.deepEqual(JSON.parse(seen[0]!.body), { version: 3 });
});

test('401 and 403 print the server message; the key comes from SURGELINE_ADMIN_KEY when no API key is set', async () => {
  answer = { status: 403, body: JSON.stringify({ error: { code: 'forbidden', message: 'an agent key cannot create keys' } }) };
  seen.length = 0;
  const r = await cli(['key', 'create', '--name', 'x', '--role', 'agent'], { env: { SURGELINE_API_URL: `${url}/api/v1/`, SURGELINE_ADMIN_KEY: 'admin-key-from-env-0123456789' } });
  assert.equal(r.code, 1);
  assert.equal(r.stderr, 'surgeline: an agent key cannot create keys (403 forbidden)\n');
  assert.equal(seen[0]!.url, '/api/v1/keys', 'an URL already ending in /api/v1 is not doubled');
  assert.equal(seen[0]!.authorization, 'Bearer admin-key-from-env-0123456789');
});

test('--api-key and --api-url override the environment', async () => {
  answer = { status: 401, body: JSON.stringify({ error: { code: 'unauthorized', message: 'unknown or revoked API key' } }) };
  seen.length = 0;
  const r = await cli(['flow', 'list', '--api-url', url, '--api-key', 'flag-key-0123456789abcdef'], { env: { SURGELINE_API_URL: 'http://127.0.0.1:9', SURGELINE_API_KEY: 'env-key' } });
  assert.equal(r.code, 1);
  assert.equal(r.stderr, 'surgeline: unknown or revoked API key (401 unauthorized)\n');
  assert.equal(seen[0]!.authorization, 'Bearer flag-key-0123456789abcdef');
});

test('an answer without an error body still exits 1 with the status', async () => {
  answer = { status: 502, body: '<html>bad gateway</html>', type: 'text/html' };
  const r = await cli(['calls', 'list'], { env: env() });
  assert.equal(r.code, 1);
  assert.equal(r.stderr, 'surgeline: GET /calls: the API answered 502 without an error message\n');
});

test('a 400 from announce shows the field the server names', async () => {
  answer = { status: 400, body: JSON.stringify({ error: { code: 'bad_request', message: 'expiresAt: expected an ISO date' } }) };
  const r = await cli(['announce', '4008002222', 'outage'], { env: env() });
  assert.equal(r.code, 1);
  assert.equal(r.stderr, 'surgeline: expiresAt: expected an ISO date (400 bad_request)\n');
});

test('a refused event stream (calls tail with a bad key) exits 1 with the server message', async () => {
  seen.length = 0;
  const r = await cli(['calls', 'tail', '--json'], { env: env() });
  assert.equal(r.code, 1);
  assert.equal(r.stderr, 'surgeline: unknown or revoked API key (401 unauthorized)\n');
  const upgrade = seen.find((s) => s.url.startsWith('/api/v1/events'));
  assert.ok(upgrade, 'tail opened GET /api/v1/events');
  assert.equal(upgrade.authorization, `Bearer ${KEY}`);
});

test('no server at the address: exit 1 saying it cannot be reached', async () => {
  const closed = http.createServer();
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
  const port = (closed.address() as AddressInfo).port;
  await new Promise<void>((resolve) => closed.close(() => resolve()));
  const r = await cli(['flow', 'list'], { env: { SURGELINE_API_URL: `http://127.0.0.1:${port}`, SURGELINE_API_KEY: KEY } });
  assert.equal(r.code, 1);
  assert.equal(r.stderr, `surgeline: cannot reach the API at http://127.0.0.1:${port}/api/v1: ECONNREFUSED\n`);
});
