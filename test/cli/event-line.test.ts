/**
 * The lines `surgeline calls tail` prints: one per event with time, call, line and what
 * happened; --line follows a call from its start (journey and end carry no line).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { CallEvent } from '../../src/events/bus.ts';
import { describeEvent, newNames, onLine, track, untrack } from '../../src/cli/event-line.ts';

const T = new Date(2026, 10, 23, 18, 5, 9).getTime(); // local time: the CLI prints local clock times
const CALL = '3f6c2a91-1111-4222-8333-444455556666';
const LINE = 'line-sk';

function names() {
  const n = newNames();
  (n.lines as Map<string, string>).set(LINE, 'SKTickets');
  (n.flows as Map<string, string>).set('flow-1', 'sktickets-incident');
  return n;
}

test('a call from start to end, one readable line per event', () => {
  const n = names();
  const events: CallEvent[] = [
    { type: 'call.started', tenantId: 't', callId: CALL, at: T, lineId: LINE, caller: '0912345678', dialled: '4008002222', sipCallId: 'abc@host', flow: { id: 'flow-1', version: 2 } },
    { type: 'call.journey', tenantId: 't', callId: CALL, entry: { kind: 'node', at: T, node: 'banner', type: 'announcement' } },
    { type: 'call.journey', tenantId: 't', callId: CALL, entry: { kind: 'prompt', at: T, node: 'banner', slot: 'banner', version: 3, text: '由於目前系統發生技術問題', result: 'done' } },
    { type: 'call.journey', tenantId: 't', callId: CALL, entry: { kind: 'digit', at: T, node: 'menu', digit: '1' } },
    { type: 'call.ended', tenantId: 't', callId: CALL, at: T, outcome: 'queue', target: { queue: 'sktickets-agents' } },
  ];
  const out = events.map((e) => {
    track(e, n);
    const line = describeEvent(e, n, T);
    untrack(e, n);
    return line;
  });
  assert.deepEqual(out, [
    '18:05:09  3f6c2a91  SKTickets  call from 0912345678 to 4008002222 flow sktickets-incident v2',
    '18:05:09  3f6c2a91  SKTickets  at banner (announcement)',
    '18:05:09  3f6c2a91  SKTickets  played announcement banner v3 "由於目前系統發生技術問題"',
    '18:05:09  3f6c2a91  SKTickets  pressed 1 at menu',
    '18:05:09  3f6c2a91  SKTickets  ended: queue → queue sktickets-agents',
  ]);
  assert.equal(n.callLines.size, 0, 'an ended call is forgotten');
});

test('announcement changes and publications carry no call', () => {
  const n = names();
  assert.equal(
    describeEvent({ type: 'announcement.changed', tenantId: 't', lineId: LINE, slot: 'banner', version: 4, text: null }, n, T),
    '18:05:09  -         SKTickets  announcement banner v4: (empty)',
  );
  assert.equal(describeEvent({ type: 'flow.published', tenantId: 't', flowId: 'f', name: 'egou-double11', version: 5 }, n, T), '18:05:09  -         -  flow egou-double11 v5 published');
});

test('--line keeps a call that started on the line, and only that call', () => {
  const n = names();
  const start = (callId: string, lineId: string): CallEvent => ({ type: 'call.started', tenantId: 't', callId, at: T, lineId, caller: 'c', dialled: 'd', sipCallId: 's' });
  const step = (callId: string): CallEvent => ({ type: 'call.journey', tenantId: 't', callId, entry: { kind: 'no-input', at: T, node: 'menu' } });
  const seen: boolean[] = [];
  for (const e of [start('a', LINE), start('b', 'other'), step('a'), step('b'), step('unknown')]) {
    track(e, n);
    seen.push(onLine(e, LINE, n));
  }
  assert.deepEqual(seen, [true, false, true, false, false]);
});
