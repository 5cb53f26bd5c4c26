/**
 * `flow show` prints a stored document in the order a person writes it, although the
 * store's jsonb hands keys back sorted: the order changes, no value does.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readableOrder } from '../../src/cli/document-order.ts';
import { egouDouble11Flow } from '../../src/flows/demo/egou.ts';

/** Keys sorted the way PostgreSQL jsonb returns them: shorter first, then bytewise. */
function jsonbOrder(x: unknown): unknown {
  if (Array.isArray(x)) return x.map(jsonbOrder);
  if (typeof x !== 'object' || x === null) return x;
  const keys = Object.keys(x).sort((a, b) => Buffer.byteLength(a) - Buffer.byteLength(b) || Buffer.compare(Buffer.from(a), Buffer.from(b)));
  return Object.fromEntries(keys.map((k) => [k, jsonbOrder((x as Record<string, unknown>)[k])]));
}

test('top-level fields in schema order, nodes from start along the call, type first and targets last', () => {
  const stored = jsonbOrder(egouDouble11Flow) as Record<string, unknown>;
  assert.deepEqual(Object.keys(stored), ['name', 'nodes', 'start', 'version', 'description'], 'the stored order is scrambled');
  const shown = readableOrder(stored) as { nodes: Record<string, Record<string, unknown>> };
  assert.deepEqual(Object.keys(shown), ['version', 'name', 'description', 'start', 'nodes']);
  // Menu options in key order ("0" first: JavaScript keeps integer-like keys in numeric order).
  assert.deepEqual(Object.keys(shown.nodes), ['welcome', 'menu', 'agent', 'orderStatus', 'returns', 'payment', 'message', 'goodbye', 'end']);
  assert.deepEqual(Object.keys(shown.nodes.welcome!), ['type', 'prompt', 'bargeIn', 'next']);
  assert.deepEqual(Object.keys(shown.nodes.menu!), ['type', 'prompt', 'options', 'noInput', 'invalid']);
  assert.deepEqual(shown, egouDouble11Flow, 'same values');
});

test('unreachable nodes come last; documents that are not flows pass through unchanged', () => {
  const doc = { nodes: { z: { type: 'hangup' }, a: { next: 'z', type: 'say', prompt: { text: 'x' } }, lost: { type: 'hangup' } }, start: 'a', name: 'n', version: 1 };
  assert.deepEqual(Object.keys((readableOrder(doc) as { nodes: object }).nodes), ['a', 'z', 'lost']);
  assert.equal(readableOrder('text'), 'text');
  assert.deepEqual(readableOrder([1, 2]), [1, 2]);
});
