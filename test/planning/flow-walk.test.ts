/**
 * The flow walk (where a published flow sends callers, as shares) on the demo's Double-11
 * E購網 flow: FAQ answers that loop back to the menu, callers who hang up after an answer
 * (deflected), a voicemail, the agent queue — against the shares worked out by hand; and the
 * errors a planner makes: missing shares, shares not summing to 1, a loop nobody leaves.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { flowSchema } from '../../src/flows/schema.ts';
import { egouDouble11Flow } from '../../src/flows/demo/egou.ts';
import { walkFlow, FlowWalkError } from '../../src/planning/sim/flow-walk.ts';

const flow = flowSchema.parse(egouDouble11Flow);
const CHOICES = {
  menu: { '1': 0.45, '2': 0.2, '3': 0.1, '4': 0.1, '0': 0.1, noInput: 0.05 },
  orderStatus: { hangup: 0.6, '1': 0.3, noInput: 0.1 },
  returns: { hangup: 0.5, '1': 0.4, noInput: 0.1 },
  payment: { hangup: 0.5, '1': 0.5 },
};

test('the Double-11 flow: shares by hand, loops back to the menu included', () => {
  const { outcomes } = walkFlow(flow, CHOICES);
  const share = (node: string): number => outcomes.find((o) => o.node === node)?.share ?? 0;
  // One pass through the menu: back to it 0.45·0.1 + 0.2·0.1 = 0.065; everything else ends.
  const back = 0.065;
  const pass = (x: number): number => x / (1 - back);
  assert.ok(Math.abs(share('agent') - pass(0.1 + 0.45 * 0.3 + 0.2 * 0.4 + 0.1 * 0.5)) < 1e-9);
  assert.ok(Math.abs(share('message') - pass(0.1)) < 1e-9);
  assert.ok(Math.abs(share('orderStatus:hangup') - pass(0.45 * 0.6)) < 1e-9, 'self-served by the order-status answer');
  assert.ok(Math.abs(share('end') - pass(0.05)) < 1e-9, 'no key: goodbye');
  assert.ok(Math.abs(outcomes.reduce((s, o) => s + o.share, 0) - 1) < 1e-9);
  assert.deepEqual(outcomes.find((o) => o.node === 'agent')?.outcome, { kind: 'queue', queue: 'egou-orders', skills: [] });
});

test('errors name the node: missing shares, a sum that is not 1, an unknown key or node, a loop nobody leaves', () => {
  const named = (choices: Parameters<typeof walkFlow>[1], input: string, re: RegExp): void =>
    assert.throws(() => walkFlow(flow, choices), (e: unknown) => e instanceof FlowWalkError && e.input === input && re.test(e.message), input);
  named({ ...CHOICES, menu: undefined as never }, 'choices.menu', /has 7 ways on/);
  named({ ...CHOICES, payment: { hangup: 0.5, '1': 0.6 } }, 'choices.payment', /sum to 1\.1, not 1/);
  named({ ...CHOICES, payment: { '7': 1 } }, 'choices.payment.7', /no way on "7"/);
  named({ ...CHOICES, nowhere: { '1': 1 } }, 'choices.nowhere', /no node "nowhere"/);
  named({ ...CHOICES, menu: { '1': 1 }, orderStatus: { noInput: 1 } }, 'choices', /never leave/);
});

/** A flow reached by a goto: a menu to the agents, or (9) back to the front flow. */
const VIP = flowSchema.parse({
  version: 1,
  name: 'vip',
  start: 'ask',
  nodes: {
    ask: { type: 'menu', prompt: { text: '貴賓' }, options: { '1': 'agent', '9': 'back' }, noInput: 'agent', invalid: 'agent' },
    back: { type: 'goto', flow: 'front' },
    agent: { type: 'queue', queue: 'egou-orders' },
  },
});

test('a goto continues in the flow it names (at its start or a node), a loop back included; unknown flows and nodes are named', () => {
  const main = flowSchema.parse({
    version: 1,
    name: 'front',
    start: 'menu',
    nodes: {
      menu: { type: 'menu', prompt: { text: '請選擇' }, options: { '1': 'toVip', '2': 'toVipAgent' }, noInput: 'end', invalid: 'end' },
      toVip: { type: 'goto', flow: 'vip' },
      toVipAgent: { type: 'goto', flow: 'vip', node: 'agent' },
      end: { type: 'hangup' },
    },
  });
  const vip = VIP;
  const flows = new Map([['vip', vip]]);
  const { outcomes } = walkFlow(main, { menu: { '1': 0.5, '2': 0.3, noInput: 0.2 } }, { flows, flowChoices: { vip: { ask: { '1': 0.5, '9': 0.5 } } } });
  // x = share reaching the agent: front's menu sends 0.5 to ask, ask sends half back to the menu (geometric).
  // Per pass through the menu: agent 0.25 + 0.3, hang-up 0.2, back 0.25 → agent 0.55 / 0.75, end 0.2 / 0.75.
  const agent = outcomes.find((o) => o.flow === 'vip' && o.node === 'agent')!;
  assert.ok(Math.abs(agent.share - 0.55 / 0.75) < 1e-9, JSON.stringify(outcomes));
  assert.ok(Math.abs(outcomes.find((o) => o.node === 'end')!.share - 0.2 / 0.75) < 1e-9);
  assert.equal(outcomes.find((o) => o.node === 'end')!.flow, undefined, "the line's own flow is not named");
  // Without the vip flow the goto is an outcome of its own (line-entries reports it).
  assert.deepEqual(walkFlow(main, { menu: { '1': 1 } }).outcomes[0]!.outcome, { kind: 'goto', flow: 'vip' });
  const named = (f: () => unknown, input: string, re: RegExp): void => assert.throws(f, (e: unknown) => e instanceof FlowWalkError && e.input === input && re.test(e.message), input);
  named(() => walkFlow(main, { menu: { '1': 1 } }, { flows, flowChoices: { vip: {} } }), 'flowChoices.vip.ask', /has 4 ways on/);
  named(() => walkFlow(main, { menu: { '1': 1 } }, { flows, flowChoices: { nope: {} } }), 'flowChoices.nope', /no flow "nope" is reached/);
  const badNode = new Map([['vip', { ...vip, nodes: { ...vip.nodes } }]]);
  named(() => walkFlow({ ...main, nodes: { ...main.nodes, toVipAgent: { type: 'goto', flow: 'vip', node: 'nowhere' } } }, { menu: { '2': 1 } }, { flows: badNode }), 'flow.toVipAgent', /at node "nowhere"/);
});

test('a goto by flow id: the walk follows it, names the flow by its name, and takes its shares by name', () => {
  const main = flowSchema.parse({
    version: 1,
    name: 'front',
    start: 'go',
    nodes: { go: { type: 'goto', flow: '0b9f3a52-6a55-4c1e-9d43-2a8c2a1b7e01' } },
  });
  const vip = VIP;
  const flows = new Map([
    ['0b9f3a52-6a55-4c1e-9d43-2a8c2a1b7e01', vip],
    ['vip', vip],
  ]);
  const { outcomes } = walkFlow(main, {}, { flows, flowChoices: { vip: { ask: { '1': 0.5, '9': 0.5 } } } });
  assert.deepEqual(outcomes.map((o) => [o.flow, o.node, Math.round(o.share * 1e9) / 1e9]), [['vip', 'agent', 1]]);
});
