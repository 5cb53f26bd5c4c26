import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { isTerminal, nodeSchema, reads, targets, waitsForInput, writes, type FlowNode } from '../../src/flows/schema.ts';
import { templateVariables } from '../../src/flows/common.ts';

function parse(input: unknown): FlowNode {
  const result = nodeSchema.safeParse(input);
  assert.ok(result.success, JSON.stringify(result.error?.issues));
  return result.data;
}

function issuePaths(input: unknown): string[] {
  const result = nodeSchema.safeParse(input);
  assert.equal(result.success, false);
  return (result.error?.issues ?? []).map((i) => i.path.join('.'));
}

describe('node verbs', () => {
  test('menu: edges are its options then noInput and invalid; "*" repeats and is no option', () => {
    const menu = parse({
      type: 'menu',
      prompt: { audio: 'menu.wav' },
      options: { '1': 'a', '#': 'b' },
      noInput: 'c',
      invalid: 'd',
    });
    assert.deepEqual(targets(menu), [
      { field: 'options.1', target: 'a' },
      { field: 'options.#', target: 'b' },
      { field: 'noInput', target: 'c' },
      { field: 'invalid', target: 'd' },
    ]);
    assert.ok(waitsForInput(menu));
    assert.equal(isTerminal(menu), false);
    assert.deepEqual(issuePaths({ type: 'menu', prompt: { text: 'x' }, options: {} }), ['options']);
  });

  test('say needs exactly one of text or audio', () => {
    assert.deepEqual(issuePaths({ type: 'say', prompt: {}, next: 'a' }), ['prompt']);
    assert.equal(parse({ type: 'say', prompt: { audio: 'a.wav' }, next: 'a' }).type, 'say');
  });

  test('branch: cases in order, then default; a case needs exactly one test and a valid regexp', () => {
    const branch = parse({
      type: 'branch',
      on: 'variable',
      name: 'orderStatus',
      cases: [
        { equals: 'shipped', next: 's' },
        { matches: '^late', next: 'l' },
      ],
      default: 'd',
    });
    assert.deepEqual(targets(branch).map((e) => e.field), ['cases.0.next', 'cases.1.next', 'default']);
    assert.deepEqual(reads(branch), [{ field: 'name', variable: 'orderStatus' }]);
    assert.deepEqual(
      issuePaths({ type: 'branch', on: 'caller', name: 'segment', cases: [{ matches: '(', next: 'a' }, { next: 'b' }], default: 'd' }),
      ['cases.0.matches', 'cases.1'],
    );
  });

  test('http: GET has no body; variables are set only on success', () => {
    assert.deepEqual(
      issuePaths({ type: 'http', method: 'GET', url: 'https://x.example/', body: { a: 'b' }, onSuccess: 'a', onError: 'b' }),
      ['body'],
    );
    const http = parse({
      type: 'http',
      method: 'POST',
      url: 'https://x.example/orders/{{orderNumber}}',
      headers: { 'X-Caller': '{{caller.number}}' },
      assign: { status: 'order.status' },
      onSuccess: 'a',
      onError: 'b',
    });
    assert.deepEqual(writes(http, 'onSuccess'), ['status']);
    assert.deepEqual(writes(http, 'onError'), []);
    assert.deepEqual(
      reads(http).map((u) => [u.field, u.variable]),
      [
        ['url', 'orderNumber'],
        ['headers.X-Caller', 'caller.number'],
      ],
    );
    assert.ok(http.type === 'http' && http.timeoutMs === 3000);
    assert.deepEqual(issuePaths({ type: 'http', method: 'GET', url: 'x', timeoutMs: 60_000, onSuccess: 'a', onError: 'b' }), ['url', 'timeoutMs']);
  });

  test('terminal verbs have no edges', () => {
    for (const input of [
      { type: 'hangup' },
      { type: 'transfer', to: '+886223456789' },
      { type: 'transfer', to: 'sip:desk@pbx.example.com' },
      { type: 'queue', queue: 'agents' },
      { type: 'voicemail', mailbox: 'egou' },
      { type: 'callback', queue: 'egou-orders' },
      { type: 'goto', flow: 'after-hours' },
    ]) {
      const node = parse(input);
      assert.deepEqual(targets(node), [], node.type);
      assert.ok(isTerminal(node), node.type);
    }
    assert.deepEqual(issuePaths({ type: 'transfer', to: 'call me' }), ['to']);
    const callback = parse({ type: 'callback', queue: 'egou-orders' });
    assert.ok(callback.type === 'callback' && callback.slots === 3 && callback.slotMinutes === 60 && callback.leadMinutes === 30, 'callback defaults');
    assert.deepEqual(issuePaths({ type: 'callback', queue: 'q', slots: 10, slotMinutes: 45 }), ['slots', 'slotMinutes']);
  });

  test('announcement, schedule, set and collect edges', () => {
    assert.deepEqual(targets(parse({ type: 'announcement', slot: 'banner', next: 'menu' })), [{ field: 'next', target: 'menu' }]);
    const schedule = parse({ type: 'schedule', schedule: 'office', open: 'o', closed: 'c', holiday: 'h' });
    assert.deepEqual(targets(schedule).map((e) => e.field), ['open', 'closed', 'holiday']);
    assert.deepEqual(
      ['open', 'closed', 'holiday'].map((f) => writes(schedule, f)),
      [[], ['schedule.reopens'], ['schedule.reopens']],
      'closed and holiday set when the line opens again; open sets nothing',
    );
    const set = parse({ type: 'set', variables: { greeting: '您好 {{caller.name}}' }, next: 'n' });
    assert.deepEqual(writes(set, 'next'), ['greeting']);
    const collect = parse({ type: 'collect', prompt: { text: 'x' }, variable: 'pin', maxLength: 4, next: 'n', invalid: 'i' });
    assert.deepEqual(targets(collect).map((e) => e.field), ['next', 'invalid']);
    assert.deepEqual(writes(collect, 'invalid'), []);
    assert.ok(collect.type === 'collect' && collect.terminator === '#' && collect.minLength === 1);
  });

  test('templates use {{name}}; brackets are text', () => {
    assert.deepEqual(templateVariables('您的訂單 {{ orderNumber }} 狀態 {{order.status}}，預計於 [時間] 恢復'), ['orderNumber', 'order.status']);
  });
});
