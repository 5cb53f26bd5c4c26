/**
 * The /events WebSocket: a key (header, or ?key= on this route only) opens a stream of
 * its tenant's events; another tenant's events never reach it; a change made through the
 * API arrives as an event; no key or a bad key is refused at the upgrade with 401.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { WebSocket } from 'ws';
import type { CallEvent } from '../../src/events/bus.ts';
import { eachBackend } from '../store/backends.ts';
import { makeTenant, startTestApi, type TestApi, type TestTenant } from './harness.ts';

/** A client socket whose text frames are read one by one, in order. */
class EventClient {
  private readonly queue: unknown[] = [];
  private readonly waiting: Array<(v: unknown) => void> = [];
  readonly closed: Promise<void>;
  constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      const value = JSON.parse(String(data));
      const w = this.waiting.shift();
      if (w) w(value);
      else this.queue.push(value);
    });
    this.closed = new Promise((resolve) => ws.once('close', () => resolve()));
  }
  next(): Promise<any> {
    if (this.queue.length > 0) return Promise.resolve(this.queue.shift());
    return new Promise((resolve) => this.waiting.push(resolve));
  }
  close(): Promise<void> {
    this.ws.close();
    return this.closed;
  }
}

function connect(url: string, key?: string): Promise<EventClient> {
  const ws = new WebSocket(url, key !== undefined ? { headers: { authorization: `Bearer ${key}` } } : {});
  const client = new EventClient(ws);
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(client));
    ws.once('unexpected-response', (_req, res) => reject(Object.assign(new Error(`upgrade refused: ${res.statusCode}`), { status: res.statusCode })));
    ws.once('error', reject);
  });
}

/** A frame that never comes would hang the run: fail instead. */
const WAIT = { timeout: 20_000 };

eachBackend('API event stream', (ctx) => {
  let api: TestApi;
  let a: TestTenant;
  let b: TestTenant;
  let url: string;

  before(async () => {
    api = await startTestApi(ctx);
    a = await makeTenant(ctx, 'ev-a');
    b = await makeTenant(ctx, 'ev-b');
    url = `${api.base.replace(/^http/, 'ws')}/api/v1/events`;
  });
  after(async () => {
    await api?.close();
  });

  const ended = (tenantId: string, callId: string): CallEvent => ({ type: 'call.ended', tenantId, callId, at: 1, outcome: 'hangup' });

  test("a stream gets its tenant's events and never another tenant's", WAIT, async () => {
    const byHeader = await connect(url, a.keys.agent);
    const byQuery = await connect(`${url}?key=${encodeURIComponent(a.keys.agent)}`);
    const other = await connect(url, b.keys.agent);
    try {
      // B's event goes out first: were it delivered to A's sockets, it would arrive before A's.
      api.bus.publish(ended(b.id, 'call-of-b'));
      api.bus.publish(ended(a.id, 'call-of-a'));
      assert.deepEqual(await byHeader.next(), ended(a.id, 'call-of-a'));
      assert.deepEqual(await byQuery.next(), ended(a.id, 'call-of-a'));
      assert.deepEqual(await other.next(), ended(b.id, 'call-of-b'));
      api.bus.publish(ended(b.id, 'second-of-b'));
      api.bus.publish(ended(a.id, 'second-of-a'));
      assert.equal((await byHeader.next()).callId, 'second-of-a');
      assert.equal((await other.next()).callId, 'second-of-b');
    } finally {
      await Promise.all([byHeader.close(), byQuery.close(), other.close()]);
    }
  });

  test('a change made through the API arrives on the stream', WAIT, async () => {
    const stream = await connect(url, a.keys.agent);
    try {
      const line = await api.request('POST', '/lines', { key: a.keys.admin, body: { name: 'Evented', timeZone: 'Asia/Taipei' } });
      assert.equal(line.status, 201);
      const set = await api.request('PUT', `/lines/${line.body.id}/announcements/banner`, { key: a.keys.supervisor, body: { text: '系統維護中' } });
      assert.equal(set.status, 200);
      assert.deepEqual(await stream.next(), { type: 'announcement.changed', tenantId: a.id, lineId: line.body.id, slot: 'banner', version: 1, text: '系統維護中' });
    } finally {
      await stream.close();
    }
  });

  test('the upgrade is refused with 401 without a valid key; ?key= works on no other route', WAIT, async () => {
    await assert.rejects(connect(url), (err: { status?: number }) => err.status === 401);
    await assert.rejects(connect(url, 'not-a-key'), (err: { status?: number }) => err.status === 401);
    await assert.rejects(connect(`${url}?key=sl_000000000000_${'x'.repeat(43)}`), (err: { status?: number }) => err.status === 401);
    const res = await api.request('GET', `/lines?key=${encodeURIComponent(a.keys.admin)}`);
    assert.equal(res.status, 401, 'a key in the query string is for the WebSocket only');
  });

  test('a plain GET of /events says it is a WebSocket', WAIT, async () => {
    const res = await api.request('GET', '/events', { key: a.keys.agent });
    assert.equal(res.status, 400);
    assert.match(res.body.error.message, /WebSocket/);
  });

  test('closing the socket ends its subscription', WAIT, async () => {
    const stream = await connect(url, b.keys.agent);
    assert.equal(api.bus.listenerCount(b.id), 1);
    await stream.close();
    // The server sees the close frame a moment after the client: wait for it, boundedly.
    for (let i = 0; i < 200 && api.bus.listenerCount(b.id) > 0; i++) await new Promise((r) => setTimeout(r, 5));
    assert.equal(api.bus.listenerCount(b.id), 0);
  });
});
