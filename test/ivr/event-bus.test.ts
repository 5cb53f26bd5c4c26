/**
 * The event bus delivers per tenant, in order, survives a throwing subscriber, and an
 * unsubscribe stops deliveries (only its own).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventBus, type CallEvent } from '../../src/events/bus.ts';

const ended = (tenantId: string, callId: string): CallEvent => ({ type: 'call.ended', tenantId, callId, at: 1, outcome: 'hangup' });

test('events reach only their tenant, in publication order', () => {
  const bus = new EventBus();
  const a: string[] = [];
  const b: string[] = [];
  bus.subscribe('t-a', (e) => a.push(`${e.type}:${'callId' in e ? e.callId : ''}`));
  bus.subscribe('t-b', (e) => b.push(`${e.type}:${'callId' in e ? e.callId : ''}`));
  bus.publish(ended('t-a', '1'));
  bus.publish(ended('t-b', '2'));
  bus.publish(ended('t-a', '3'));
  assert.deepEqual(a, ['call.ended:1', 'call.ended:3'], 'tenant a sees its two calls only');
  assert.deepEqual(b, ['call.ended:2'], 'tenant b sees its call only');
});

test('a throwing subscriber is reported and the others still receive', () => {
  const errors: unknown[] = [];
  const bus = new EventBus((err) => errors.push(err));
  const got: CallEvent[] = [];
  bus.subscribe('t', () => {
    throw new Error('boom');
  });
  bus.subscribe('t', (e) => got.push(e));
  bus.publish(ended('t', 'x'));
  assert.equal(got.length, 1, 'the second subscriber got the event');
  assert.equal(errors.length, 1, 'the failure was reported');
});

test('unsubscribe stops that subscription only, and twice is harmless', () => {
  const bus = new EventBus();
  const got: string[] = [];
  const fn = (e: CallEvent): void => void got.push(e.type);
  const off1 = bus.subscribe('t', fn);
  bus.subscribe('t', fn);
  off1();
  off1();
  bus.publish(ended('t', 'x'));
  assert.deepEqual(got, ['call.ended'], 'the same function subscribed twice keeps its second subscription');
  assert.equal(bus.listenerCount('t'), 1);
});
