import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import fc from 'fast-check';
import {
  parseDtmfEvent,
  marshalDtmfEvent,
  marshalDtmfEventTo,
  eventToDigit,
  digitToEvent,
  DtmfReceiver,
  DtmfParseError,
  dtmfSenderPackets,
  type DtmfEvent,
} from '../../src/media/dtmf/rfc4733.ts';
import { parseRtp } from '../../src/media/rtp/packet.ts';
import { readUdpFromPcap } from '../../src/media/pcap.ts';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const SIPP_DIR = '/usr/share/sip-tester';
const FIXTURE = new URL('../fixtures/dtmf/sipp-play-dtmf.pcapng', import.meta.url);

interface EventPacket {
  ts: number;
  ssrc: number;
  marker: boolean;
  ev: DtmfEvent;
}

/** The telephone-event packets of a capture (any of the given payload types). */
function eventPackets(file: Buffer | URL | string, pts: number[]): EventPacket[] {
  const buf = Buffer.isBuffer(file) ? file : readFileSync(file);
  const out: EventPacket[] = [];
  for (const d of readUdpFromPcap(buf)) {
    if (d.payload.length < 12 || d.payload[0]! >> 6 !== 2) continue; // SIP text starts with a letter
    const p = parseRtp(d.payload);
    if (!pts.includes(p.payloadType)) continue;
    out.push({ ts: p.timestamp, ssrc: p.ssrc, marker: p.marker, ev: parseDtmfEvent(p.payload) });
  }
  return out;
}

function digitsOf(pkts: EventPacket[], opts: { withSsrc: boolean; withMarker: boolean }): string {
  const r = new DtmfReceiver();
  let s = '';
  for (const p of pkts) {
    s += r.push(p.ts, p.ev, opts.withMarker ? p.marker : undefined, opts.withSsrc ? p.ssrc : undefined) ?? '';
  }
  return s;
}

describe('telephone-event payload (RFC 4733 §2.3)', () => {
  test('parses real bytes from SIPp captures', () => {
    assert.deepEqual(parseDtmfEvent(hex('010a0000')), { event: 1, end: false, volume: 10, duration: 0 });
    assert.deepEqual(parseDtmfEvent(hex('018a08c0')), { event: 1, end: true, volume: 10, duration: 2240 });
    // SIPp's play_dtmf leaves the reserved R bit uninitialised: it must not leak into volume.
    assert.deepEqual(parseDtmfEvent(hex('0bca03c0')), { event: 11, end: true, volume: 10, duration: 960 });
    assert.deepEqual(parseDtmfEvent(hex('0b4a0280')), { event: 11, end: false, volume: 10, duration: 640 });
  });
  test('marshals byte-exact and clears R', () => {
    assert.deepEqual(marshalDtmfEvent({ event: 1, end: true, volume: 10, duration: 2240 }), hex('018a08c0'));
    assert.deepEqual(marshalDtmfEvent(parseDtmfEvent(hex('0bca03c0'))), hex('0b8a03c0'));
    assert.deepEqual(marshalDtmfEvent({ event: 15, end: false, volume: 63, duration: 0xffff }), hex('0f3fffff'));
    const out = Buffer.alloc(6, 0xee);
    assert.equal(marshalDtmfEventTo({ event: 10, end: false, volume: 0, duration: 160 }, out, 1), 4);
    assert.deepEqual(out, hex('ee0a0000a0ee'));
  });
  test('round trip', () => {
    fc.assert(
      fc.property(
        fc.record({
          event: fc.integer({ min: 0, max: 255 }),
          end: fc.boolean(),
          volume: fc.integer({ min: 0, max: 63 }),
          duration: fc.integer({ min: 0, max: 0xffff }),
        }),
        (e) => assert.deepEqual(parseDtmfEvent(marshalDtmfEvent(e)), { ...e }),
      ),
    );
  });
  test('short payloads throw DtmfParseError', () => {
    for (const b of [hex(''), hex('01'), hex('010a00')]) assert.throws(() => parseDtmfEvent(b), DtmfParseError);
  });
  test('digit table (§3.2)', () => {
    const digits = '0123456789*#ABCD';
    for (let i = 0; i < 16; i++) {
      assert.equal(eventToDigit(i), digits[i]);
      assert.equal(digitToEvent(digits[i]!), i);
    }
    assert.equal(digitToEvent('a'), 12);
    assert.equal(eventToDigit(16), undefined); // flash
    assert.equal(eventToDigit(-1), undefined);
    assert.equal(eventToDigit(1.5), undefined);
    for (const bad of ['', 'E', '12', ' ', 'x']) assert.throws(() => digitToEvent(bad), RangeError);
  });
});

describe('DtmfReceiver on real captures', () => {
  const files = readdirSync(SIPP_DIR).filter((f) => /^dtmf_2833_.*\.pcap$/.test(f));
  test('SIPp ships the 12 digit pcaps', () => assert.equal(files.length, 12));
  for (const f of files) {
    const name = f.slice('dtmf_2833_'.length, -'.pcap'.length);
    const digit = name === 'pound' ? '#' : name === 'star' ? '*' : name;
    test(`${f} yields "${digit}" exactly once, and twice when replayed twice`, () => {
      const buf = readFileSync(`${SIPP_DIR}/${f}`);
      const pkts = eventPackets(buf, [101]);
      assert.equal(pkts.length, 10);
      for (const withMarker of [true, false]) {
        assert.equal(digitsOf(pkts, { withSsrc: true, withMarker }), digit);
        // play_pcap_audio replays the same timestamps, sequence numbers and SSRC.
        assert.equal(digitsOf([...pkts, ...pkts], { withSsrc: true, withMarker }), digit + digit);
      }
    });
  }
  test('all twelve pcaps played in a row (timestamps jump back and forth) give every digit once', () => {
    const order = ['5', '1', '9', 'star', '0', 'pound', '1'];
    const pkts = order.flatMap((n) => eventPackets(readFileSync(`${SIPP_DIR}/dtmf_2833_${n}.pcap`), [101]));
    assert.equal(digitsOf(pkts, { withSsrc: true, withMarker: true }), '519*0#1');
  });
  test('SIPp play_dtmf capture (PT 96, new SSRC per exec, reused timestamps, stray R bits)', () => {
    const pkts = eventPackets(FIXTURE, [96, 101]);
    assert.equal(pkts.length, 36 + 13 + 20);
    for (const withSsrc of [true, false]) {
      for (const withMarker of [true, false]) {
        assert.equal(digitsOf(pkts, { withSsrc, withMarker }), '1#11' + '1' + '1' + '1', `ssrc ${withSsrc} marker ${withMarker}`);
      }
    }
  });
});

describe('DtmfReceiver behaviour', () => {
  const ev = (event: number, duration: number, end = false): DtmfEvent => ({ event, end, volume: 10, duration });

  test('reports on the first packet seen, not on the end', () => {
    const r = new DtmfReceiver();
    assert.equal(r.push(1000, ev(5, 160)), '5'); // first packet lost: an update still counts
    assert.equal(r.push(1000, ev(5, 320)), undefined);
    assert.equal(r.push(1000, ev(5, 480, true)), undefined);
    assert.equal(r.push(1000, ev(5, 480, true)), undefined);
    assert.equal(r.push(1000, ev(5, 480, true)), undefined);
  });
  test('the same key twice with a new timestamp is two presses, also when the end was lost', () => {
    const r = new DtmfReceiver();
    assert.equal(r.push(1000, ev(7, 0)), '7');
    assert.equal(r.push(1000, ev(7, 400)), undefined);
    // no end packets arrive; the next press starts 800 units later
    assert.equal(r.push(2200, ev(7, 0)), '7');
    assert.equal(r.push(2200, ev(7, 400)), undefined);
  });
  test('a late packet of an earlier event does not re-report it', () => {
    const r = new DtmfReceiver();
    assert.equal(r.push(1000, ev(1, 0)), '1');
    assert.equal(r.push(1000, ev(1, 800, true)), undefined);
    assert.equal(r.push(2000, ev(2, 0)), '2');
    assert.equal(r.push(1000, ev(1, 800, true)), undefined); // straggling end of "1"
    assert.equal(r.push(2000, ev(2, 400)), undefined);
  });
  test('tolerates senders that stamp each update with the current media time', () => {
    const r = new DtmfReceiver();
    let s = '';
    // key "3" held 200 ms: ts advances by 160 per packet and duration grows with it
    for (let t = 0; t <= 1600; t += 160) s += r.push(50000 + t, ev(3, t, t === 1600)) ?? '';
    for (let k = 0; k < 2; k++) s += r.push(50000 + 1600 + 8 * (k + 1), ev(3, 1600, true)) ?? '';
    // then "3" again after a 100 ms gap
    for (let t = 0; t <= 800; t += 160) s += r.push(52400 + t, ev(3, t, t === 800)) ?? '';
    assert.equal(s, '33');
  });
  test('a different code at the same timestamp is a new event', () => {
    const r = new DtmfReceiver();
    assert.equal(r.push(1000, ev(1, 0)), '1');
    assert.equal(r.push(1000, ev(2, 0)), '2');
  });
  test('SSRC change forgets history; non-DTMF events are tracked but not reported', () => {
    const r = new DtmfReceiver();
    assert.equal(r.push(24400, ev(1, 0), false, 0x01020305), '1');
    assert.equal(r.push(24400, ev(1, 160), false, 0x01020306), '1');
    assert.equal(r.push(30000, ev(16, 0)), undefined); // flash (§3.2)
    assert.equal(r.push(30000, ev(16, 160)), undefined);
    r.reset();
    assert.equal(r.push(24400, ev(1, 160)), '1');
  });
  test('timestamp wrap-around', () => {
    const r = new DtmfReceiver();
    assert.equal(r.push(0xffffff00, ev(9, 0)), '9');
    assert.equal(r.push(0x00000040, ev(9, 320)), undefined); // bumped across the wrap
    assert.equal(r.push(0x00001000, ev(9, 0)), '9');
  });
});

describe('dtmfSenderPackets', () => {
  test('start with marker, updates every 50 ms, three end packets', () => {
    const pkts = dtmfSenderPackets('#', { durationMs: 120 });
    assert.deepEqual(
      pkts.map((p) => [p.atMs, p.marker, p.durationSamples, p.end, p.payload.toString('hex')]),
      [
        [0, true, 0, false, '0b0a0000'],
        [50, false, 400, false, '0b0a0190'],
        [100, false, 800, false, '0b0a0320'],
        [120, false, 960, true, '0b8a03c0'],
        [120, false, 960, true, '0b8a03c0'],
        [120, false, 960, true, '0b8a03c0'],
      ],
    );
  });
  test('packetMs and volume; the receiver hears each press once', () => {
    const pkts = dtmfSenderPackets('9', { durationMs: 100, packetMs: 20, volume: 7 });
    assert.equal(pkts.length, 5 + 3);
    assert.ok(pkts.every((p) => p.payload[1]! % 64 === 7));
    const r = new DtmfReceiver();
    let s = '';
    for (const ts of [8000, 9600]) for (const p of pkts) s += r.push(ts, parseDtmfEvent(p.payload), p.marker) ?? '';
    assert.equal(s, '99');
  });
  test('caps the duration at 0xFFFF units and rejects bad options', () => {
    const long = dtmfSenderPackets('1', { durationMs: 10000 });
    assert.equal(long.at(-1)!.durationSamples, 0xffff);
    assert.throws(() => dtmfSenderPackets('1', { durationMs: 0 }), RangeError);
    assert.throws(() => dtmfSenderPackets('1', { durationMs: 100, packetMs: 0 }), RangeError);
    assert.throws(() => dtmfSenderPackets('1', { durationMs: 100, volume: 64 }), RangeError);
    assert.throws(() => dtmfSenderPackets('E', { durationMs: 100 }), RangeError);
  });
});
