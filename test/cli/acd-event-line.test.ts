/**
 * `surgeline calls tail` lines for the ACD's events (agent states, queue changes, staffing
 * tiers, callbacks) and the --line filter: a callback belongs to its line, agent and queue
 * events to none.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { CallEvent } from '../../src/events/bus.ts';
import { describeEvent, newNames, onLine } from '../../src/cli/event-line.ts';

const AT = new Date(2026, 10, 11, 14, 30, 5).getTime();
const T = 'tenant-1';
const LINE = '6f1c2d3e-0000-4000-8000-000000000001';

test('ACD events read as one line each', () => {
  const names = newNames();
  (names.lines as Map<string, string>).set(LINE, 'E購網');
  const cases: Array<[CallEvent, RegExp]> = [
    [{ type: 'agent.state', tenantId: T, agentId: 'a1', extension: '1001', at: AT, state: 'break', reason: 'lunch' }, /^14:30:05 .* agent 1001: break \(lunch\)$/],
    [{ type: 'agent.state', tenantId: T, agentId: 'a1', extension: '1001', at: AT, state: 'available', reason: null }, /agent 1001: available$/],
    [{ type: 'queue.changed', tenantId: T, queue: 'egou-orders', action: 'updated' }, /queue egou-orders updated$/],
    [{ type: 'queue.tier', tenantId: T, queue: 'sktickets-incidents', at: AT, level: 2, name: 'surge' }, /^14:30:05 .*queue sktickets-incidents: tier 2 surge$/],
    [{ type: 'queue.tier', tenantId: T, queue: 'sktickets-incidents', at: AT, level: 0, name: null }, /tier 0 \(normal\)$/],
    [
      { type: 'callback.changed', tenantId: T, callbackId: '9a8b7c6d-1111-4000-8000-000000000002', at: AT, state: 'pending', kind: 'keep-place', lineId: LINE, queue: 'egou-orders' },
      /^14:30:05 .*E購網 +callback \S+ pending \(keep-place, queue egou-orders\)$/,
    ],
  ];
  for (const [e, line] of cases) assert.match(describeEvent(e, names, AT), line, e.type);
});

test('--line keeps a callback of the line and drops agent and queue events', () => {
  const names = newNames();
  const cb: CallEvent = { type: 'callback.changed', tenantId: T, callbackId: 'c', at: AT, state: 'done', kind: 'scheduled', lineId: LINE, queue: null };
  assert.equal(onLine(cb, LINE, names), true);
  assert.equal(onLine({ ...cb, lineId: 'other' }, LINE, names), false);
  assert.equal(onLine({ type: 'agent.state', tenantId: T, agentId: 'a', extension: '1001', at: AT, state: 'available', reason: null }, LINE, names), false);
  assert.equal(onLine({ type: 'queue.changed', tenantId: T, queue: 'q', action: 'created' }, LINE, names), false);
});
