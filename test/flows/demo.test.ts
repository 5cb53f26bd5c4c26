import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { egouDouble11Flow, egouNormalFlow } from '../../src/flows/demo/egou.ts';
import { skticketsIncidentFlow, skticketsNormalFlow } from '../../src/flows/demo/sktickets.ts';
import { validateFlow } from '../../src/flows/validate.ts';
import { targets, type Flow, type FlowInput, type FlowNode } from '../../src/flows/schema.ts';

function valid(doc: FlowInput): Flow {
  const result = validateFlow(doc);
  assert.ok(result.ok, JSON.stringify(result));
  assert.deepEqual(result.warnings, []);
  return result.flow;
}

function node(flow: Flow, id: string): FlowNode {
  const n = flow.nodes[id];
  assert.ok(n, `node ${id}`);
  return n;
}

/** Where key `key` of the first menu after start leads. */
function mainMenuChoice(flow: Flow, key: string): FlowNode {
  let current = node(flow, flow.start);
  while (current.type !== 'menu') {
    const next = targets(current)[0];
    assert.ok(next, 'a path from start to the main menu');
    current = node(flow, next.target);
  }
  const target = current.options[key];
  assert.ok(target, `option ${key}`);
  return node(flow, target);
}

describe('demo flows', () => {
  for (const doc of [egouNormalFlow, egouDouble11Flow, skticketsNormalFlow, skticketsIncidentFlow]) {
    test(`${doc.name} validates and matches its JSON fixture`, () => {
      valid(doc);
      const fixture: unknown = JSON.parse(readFileSync(new URL(`../fixtures/flows/good/${doc.name}.json`, import.meta.url), 'utf8'));
      assert.deepEqual(fixture, doc);
    });

    test(`${doc.name}: 0 at the main menu goes to an agent queue`, () => {
      assert.equal(mainMenuChoice(valid(doc), '0').type, 'queue');
    });
  }

  test('E購網 Double 11: order status answers with the seed text, 1 there reaches an agent, 4 leaves a message', () => {
    const flow = valid(egouDouble11Flow);
    const orderStatus = mainMenuChoice(flow, '1');
    assert.ok(orderStatus.type === 'menu');
    assert.equal(orderStatus.prompt.text, '目前雙11活動檔期的出貨時間調整為 7 到 14 個工作天，運送狀況將依物流公司安排為主。若需查詢物流情況，請於後台點選訂單狀態，並確認託運單號進一步了解配送進度。若需轉接客服人員，請按1，重聽請按米字鍵');
    assert.equal(node(flow, orderStatus.options['1'] ?? '').type, 'queue');
    assert.equal(mainMenuChoice(flow, '4').type, 'voicemail');
    const welcome = node(flow, flow.start);
    assert.ok(welcome.type === 'say' && /繁忙/.test(welcome.prompt.text ?? ''), 'the welcome says lines are busy');
  });

  test('SKTickets incident-ready: the banner slot plays before the menu, and 1 gives the seed incident details', () => {
    const flow = valid(skticketsIncidentFlow);
    const welcome = node(flow, flow.start);
    assert.ok(welcome.type === 'say');
    const banner = node(flow, welcome.next);
    assert.ok(banner.type === 'announcement');
    assert.equal(banner.slot, 'banner');
    assert.equal(node(flow, banner.next).type, 'menu');
    const details = mainMenuChoice(flow, '1');
    assert.ok(details.type === 'say');
    assert.equal(details.prompt.text, '目前訂票系統無法顯示票務資訊，您可以稍後再試，或透過電子郵件查詢訂單。');
  });
});
