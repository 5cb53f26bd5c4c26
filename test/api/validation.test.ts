/**
 * Bad input gets 400 with the field named first in the message (zod on body, query and
 * params; the store's ValidationError for what only it can judge), malformed JSON and
 * unknown routes keep the error shape, and nothing is stored by a refused request.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { eachBackend } from '../store/backends.ts';
import { makeTenant, startTestApi, type TestApi, type TestTenant } from './harness.ts';

eachBackend('API input validation', (ctx) => {
  let api: TestApi;
  let t: TestTenant;
  let lineId: string;

  before(async () => {
    api = await startTestApi(ctx);
    t = await makeTenant(ctx, 'val');
    const line = await api.request('POST', '/lines', { key: t.keys.admin, body: { name: 'Valid', timeZone: 'Asia/Taipei' } });
    assert.equal(line.status, 201, JSON.stringify(line.body));
    lineId = line.body.id;
  });
  after(async () => {
    await api?.close();
  });

  async function expect400(method: string, path: string, body: unknown, field: string, extra?: { rawBody?: string }): Promise<void> {
    const res = await api.request(method, path, { key: t.keys.admin, ...(extra?.rawBody !== undefined ? { rawBody: extra.rawBody } : { body }) });
    assert.equal(res.status, 400, `${method} ${path} ${JSON.stringify(body)} → ${JSON.stringify(res.body)}`);
    assert.equal(res.body.error.code, 'bad_request');
    assert.ok(res.body.error.message.startsWith(`${field}: `), `message names ${field}: ${res.body.error.message}`);
  }

  test('body fields: wrong type, missing, unknown, bad enum, nested', async () => {
    await expect400('POST', '/lines', { name: 5, timeZone: 'Asia/Taipei' }, 'name');
    await expect400('POST', '/lines', { name: 'x' }, 'timeZone');
    await expect400('POST', '/lines', { name: 'x', timeZone: 'Asia/Taipei', colour: 'red' }, 'colour');
    await expect400('POST', '/lines', { name: 'x', timeZone: 'Asia/Taipei', numbers: ['4008', 12] }, 'numbers.1');
    await expect400('POST', '/keys', { name: 'k', role: 'boss' }, 'role');
    await expect400('POST', '/users', { username: 'u', role: 'agent', password: 'short' }, 'password');
    await expect400('PUT', `/lines/${lineId}/announcements/banner`, { text: 'x', values: { 時間: 3 } }, 'values.時間');
    await expect400('PUT', `/lines/${lineId}/announcements/banner`, { text: 'x', expiresAt: 'tomorrow' }, 'expiresAt');
    await expect400('POST', '/flows/x/publish', { version: 0 }, 'version');
    await expect400('PUT', `/lines/${lineId}/announcements/banner/presets`, [{ name: 'a', text: 'A' }, { name: '' }], '1.name');
  });

  test('a body that is not an object is named "body"', async () => {
    await expect400('POST', '/lines', ['x'], 'body');
  });

  test('query and path parameters', async () => {
    const calls = await api.request('GET', '/calls?limit=abc', { key: t.keys.admin });
    assert.equal(calls.status, 400);
    assert.match(calls.body.error.message, /^limit: /);
    const since = await api.request('GET', '/calls?since=yesterday', { key: t.keys.admin });
    assert.match(since.body.error.message, /^since: /);
    const big = await api.request('GET', '/calls?limit=501', { key: t.keys.admin });
    assert.match(big.body.error.message, /^limit: /);
    const unknown = await api.request('GET', '/calls?colour=red', { key: t.keys.admin });
    assert.match(unknown.body.error.message, /^colour: unknown field/);
    const version = await api.request('GET', '/flows/x/versions/first', { key: t.keys.admin });
    assert.equal(version.status, 400);
    assert.match(version.body.error.message, /^n: /);
    const slot = await api.request('GET', `/lines/${lineId}/announcements/${encodeURIComponent('bad slot!')}`, { key: t.keys.admin });
    assert.match(slot.body.error.message, /^slot: /);
  });

  test("the store's own checks come back as 400 with its field", async () => {
    await expect400('POST', '/lines', { name: 'Zoned', timeZone: 'Mars/Olympus' }, 'time_zone');
    await expect400('POST', `/lines/${lineId}/numbers`, { number: '12ab' }, 'number');
    await expect400('PUT', `/lines/${lineId}/announcements/banner`, { text: '預計於 [時間] 恢復' }, 'announcement');
  });

  test('malformed JSON, a wrong content type and an unknown route keep the error shape', async () => {
    const broken = await api.request('POST', '/lines', { key: t.keys.admin, rawBody: '{"name": ' });
    assert.equal(broken.status, 400);
    assert.equal(broken.body.error.code, 'bad_request');
    assert.match(broken.body.error.message, /^body: not valid JSON/);
    const poisoned = await api.request('POST', '/lines', { key: t.keys.admin, rawBody: '{"name":"x","timeZone":"Asia/Taipei","__proto__":{"admin":true}}' });
    assert.equal(poisoned.status, 400);
    assert.match(poisoned.body.error.message, /^body: "__proto__"/);
    const text = await api.request('POST', '/lines', { key: t.keys.admin, rawBody: 'name=x', headers: { 'content-type': 'text/plain' } });
    assert.equal(text.status, 415);
    assert.equal(text.body.error.code, 'unsupported_media_type');
    const nowhere = await api.request('GET', '/nowhere', { key: t.keys.admin });
    assert.equal(nowhere.status, 404);
    assert.equal(nowhere.body.error.code, 'not_found');
  });

  test('a refused request stores nothing', async () => {
    await expect400('POST', '/lines', { name: 'Never', timeZone: 'Asia/Taipei', numbers: ['4008', 'x'] }, 'numbers.1');
    const lines = await api.request('GET', '/lines', { key: t.keys.admin });
    assert.ok(!lines.body.some((l: { name: string }) => l.name === 'Never'), 'no line was created');
  });
});
