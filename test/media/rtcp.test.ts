import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import {
  parseRtcpCompound,
  marshalRtcpCompound,
  marshalRtcp,
  marshalRtcpTo,
  rtcpPacketSize,
  ntpFromUnixMs,
  ntpToUnixMs,
  ntpMiddle32,
  roundTripMs,
  RtcpParseError,
  NTP_UNIX_OFFSET,
  SDES_CNAME,
  type RtcpPacket,
  type ReportBlock,
} from '../../src/media/rtcp.ts';
import { ReceiverStats } from '../../src/media/rtcp-receiver-stats.ts';
import { isRtcpPacket } from '../../src/media/rtp/packet.ts';
import { writePcap, ethernetIpv4UdpFrame } from '../../src/media/pcap.ts';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const hasTshark = existsSync('/usr/bin/tshark');

// Captured from baresip 1.0.0 on loopback (a call to `sipp -sn uas -rtp_echo`).
const BARESIP_APP = hex('80cc0003 e80e7b42 50494e47 504f4e47');
const BARESIP_SR_SDES = hex(
  '81c8000c e80e7b42 eeaee939 aa6dacab 00012c89 000000fa 00009c40' +
    'e80e7b42 00000000 000035bd 00000009 00000000 00000000' +
    '81ca0007 e80e7b42 0114 7369703a746573746572403132372e302e302e31 0000',
);
const BARESIP_BYE_SDES = hex(
  '81cb0003 e80e7b42 04 41646a6f 000000' + '81ca0007 e80e7b42 0114 7369703a746573746572403132372e302e302e31 0000',
);

describe('parse and re-marshal captured RTCP', () => {
  test('baresip SR + SDES', () => {
    const pkts = parseRtcpCompound(BARESIP_SR_SDES);
    assert.deepEqual(pkts, [
      {
        type: 'sr',
        ssrc: 0xe80e7b42,
        ntpSeconds: 0xeeaee939,
        ntpFraction: 0xaa6dacab,
        rtpTimestamp: 76937,
        packetCount: 250,
        octetCount: 40000,
        reports: [{ ssrc: 0xe80e7b42, fractionLost: 0, cumulativeLost: 0, extendedHighestSeq: 13757, jitter: 9, lsr: 0, dlsr: 0 }],
      },
      { type: 'sdes', chunks: [{ ssrc: 0xe80e7b42, items: [{ type: SDES_CNAME, text: 'sip:tester@127.0.0.1' }] }] },
    ]);
    assert.deepEqual(marshalRtcpCompound(pkts), BARESIP_SR_SDES);
    // tshark shows this SR's time as Nov 23, 2026 16:32:57.665735999 UTC
    const ms = ntpToUnixMs({ seconds: 0xeeaee939, fraction: 0xaa6dacab });
    assert.ok(Math.abs(ms - (Date.UTC(2026, 10, 23, 16, 32, 57) + 665.736)) < 0.001, String(ms));
  });
  test('baresip BYE with reason + SDES', () => {
    const pkts = parseRtcpCompound(BARESIP_BYE_SDES);
    assert.deepEqual(pkts[0], { type: 'bye', sources: [0xe80e7b42], reason: 'Adjo' });
    assert.deepEqual(marshalRtcpCompound(pkts), BARESIP_BYE_SDES);
  });
  test('baresip APP (its PING keepalive)', () => {
    const [app] = parseRtcpCompound(BARESIP_APP);
    assert.deepEqual(app && { ...app, data: app.type === 'app' ? app.data.toString() : '' }, {
      type: 'app',
      subtype: 0,
      ssrc: 0xe80e7b42,
      name: 'PING',
      data: 'PONG',
    });
    assert.deepEqual(marshalRtcpCompound(parseRtcpCompound(BARESIP_APP)), BARESIP_APP);
  });
  test('all are RTCP by the RFC 5761 rule', () => {
    for (const b of [BARESIP_APP, BARESIP_SR_SDES, BARESIP_BYE_SDES]) assert.ok(isRtcpPacket(b));
  });
  test('unknown types (e.g. RTPFB NACK, 205) pass through', () => {
    const nack = hex('81cd0003 11111111 22222222 00050000');
    const [p] = parseRtcpCompound(nack);
    assert.deepEqual(p && { ...p, body: p.type === 'other' ? p.body.toString('hex') : '' }, {
      type: 'other',
      packetType: 205,
      count: 1,
      body: '111111112222222200050000',
    });
    assert.deepEqual(marshalRtcpCompound(parseRtcpCompound(nack)), nack);
  });
  test('padding on the last packet is stripped', () => {
    // RR with no blocks, then BYE padded with 4 bytes (P=1, last octet = 4).
    const padded = hex('80c90001 01020304' + 'a1cb0002 01020304 00000004');
    const pkts = parseRtcpCompound(padded);
    assert.deepEqual(pkts, [
      { type: 'rr', ssrc: 0x01020304, reports: [] },
      { type: 'bye', sources: [0x01020304] },
    ]);
  });
});

describe('marshalled packets as tshark reads them', { skip: !hasTshark && 'tshark missing' }, () => {
  test('RR with two blocks, SDES with two items, BYE with an odd-length reason', () => {
    const blocks: ReportBlock[] = [
      { ssrc: 0xdeadbeef, fractionLost: 64, cumulativeLost: 1234, extendedHighestSeq: 0x0001fffe, jitter: 77, lsr: 0x12345678, dlsr: 98304 },
      { ssrc: 0x0badf00d, fractionLost: 0, cumulativeLost: -3, extendedHighestSeq: 100, jitter: 0, lsr: 0, dlsr: 0 },
    ];
    const compound = marshalRtcpCompound([
      { type: 'rr', ssrc: 0xcafebabe, reports: blocks },
      { type: 'sdes', chunks: [{ ssrc: 0xcafebabe, items: [{ type: 1, text: 'surgeline@127.0.0.1' }, { type: 6, text: 'surgeline 0.1' }] }] },
      { type: 'bye', sources: [0xcafebabe], reason: 'bye!!' },
    ]);
    const dir = mkdtempSync(join(tmpdir(), 'rtcp-test-'));
    try {
      const file = join(dir, 'rtcp.pcap');
      const frame = ethernetIpv4UdpFrame({ srcAddr: '127.0.0.1', dstAddr: '127.0.0.1', srcPort: 40001, dstPort: 40003, payload: compound });
      writeFileSync(file, writePcap([{ ts: 1, data: frame }]));
      const fields = ['rtcp.senderssrc', 'rtcp.ssrc.identifier', 'rtcp.ssrc.fraction', 'rtcp.ssrc.cum_nr', 'rtcp.ssrc.ext_high', 'rtcp.ssrc.jitter', 'rtcp.ssrc.lsr', 'rtcp.ssrc.dlsr', 'rtcp.sdes.text', 'rtcp.length_check'];
      const out = execFileSync('tshark', ['-r', file, '-d', 'udp.port==40003,rtcp', '-T', 'fields', '-E', 'occurrence=a', '-E', 'aggregator=|', ...fields.flatMap((f) => ['-e', f])], {
        stdio: ['ignore', 'pipe', 'ignore'],
      })
        .toString()
        .trim()
        .split('\t');
      const got = Object.fromEntries(fields.map((f, i) => [f, out[i]]));
      assert.equal(got['rtcp.senderssrc'], '0xcafebabe');
      // report blocks, then the SDES chunk's and the BYE's SSRC
      assert.equal(got['rtcp.ssrc.identifier'], '0xdeadbeef|0x0badf00d|0xcafebabe|0xcafebabe');
      assert.equal(got['rtcp.ssrc.fraction'], '64|0');
      assert.equal(got['rtcp.ssrc.cum_nr'], '1234|-3');
      assert.equal(got['rtcp.ssrc.ext_high'], `${0x1fffe}|100`);
      assert.equal(got['rtcp.ssrc.jitter'], '77|0');
      assert.equal(got['rtcp.ssrc.lsr'], `${0x12345678}|0`);
      assert.equal(got['rtcp.ssrc.dlsr'], '98304|0');
      // tshark reports the BYE reason under the same text field
      assert.equal(got['rtcp.sdes.text'], 'surgeline@127.0.0.1|surgeline 0.1|bye!!');
      assert.equal(got['rtcp.length_check'], '1');
      const verbose = execFileSync('tshark', ['-r', file, '-d', 'udp.port==40003,rtcp', '-V'], { stdio: ['ignore', 'pipe', 'ignore'] }).toString();
      assert.match(verbose, /Goodbye/);
      assert.doesNotMatch(verbose, /Malformed|Expert Info \(Warn/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('invalid input throws RtcpParseError only', () => {
  test('specific malformations', () => {
    const bad: Array<[string, Buffer]> = [
      ['empty', Buffer.alloc(0)],
      ['not a multiple of 4', BARESIP_APP.subarray(0, 15)],
      ['version 1', hex('40c90001 01020304')],
      ['length overrun', hex('80c90002 01020304')],
      ['SR truncated', BARESIP_SR_SDES.subarray(0, 28)],
      ['RR blocks missing', hex('81c90001 01020304')],
      ['padding not on last packet', hex('a0c90001 01020304 80c90001 01020304')],
      ['padding count 0', hex('a0c90002 01020304 00000000')],
      ['padding count too big', hex('a0c90002 01020304 000000ff')],
      ['SDES item overrun', hex('81ca0002 01020304 01ff0000')],
      ['SDES unterminated', hex('81ca0002 01020304 01020102')],
      ['BYE reason overrun', hex('81cb0002 01020304 09414243')],
      ['APP truncated', hex('80cc0001 01020304')],
    ];
    for (const [name, b] of bad) assert.throws(() => parseRtcpCompound(b), RtcpParseError, name);
  });
  test('fuzz: random datagrams either parse or throw RtcpParseError', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 96 }), fc.integer({ min: 0, max: 6 }), (arr, kind) => {
        const b = Buffer.from(arr);
        if (b.length >= 4) {
          b[0] = (b[0]! & 0x3f) | 0x80;
          b[1] = 200 + kind;
          b.writeUInt16BE(Math.max(0, Math.floor(b.length / 4) - 1), 2);
        }
        try {
          parseRtcpCompound(b);
        } catch (e) {
          assert.ok(e instanceof RtcpParseError, String(e));
        }
      }),
      { numRuns: 3000 },
    );
  });
});

describe('round trip of generated packets', () => {
  const u32 = fc.integer({ min: 0, max: 0xffffffff });
  const block: fc.Arbitrary<ReportBlock> = fc.record({
    ssrc: u32,
    fractionLost: fc.integer({ min: 0, max: 255 }),
    cumulativeLost: fc.integer({ min: -0x800000, max: 0x7fffff }),
    extendedHighestSeq: u32,
    jitter: u32,
    lsr: u32,
    dlsr: u32,
  });
  const text = fc.string({ maxLength: 40 });
  const packet: fc.Arbitrary<RtcpPacket> = fc.oneof(
    fc.record({
      type: fc.constant('sr' as const),
      ssrc: u32,
      ntpSeconds: u32,
      ntpFraction: u32,
      rtpTimestamp: u32,
      packetCount: u32,
      octetCount: u32,
      reports: fc.array(block, { maxLength: 31 }),
    }),
    fc.record({ type: fc.constant('rr' as const), ssrc: u32, reports: fc.array(block, { maxLength: 31 }) }),
    fc.record({
      type: fc.constant('sdes' as const),
      chunks: fc.array(fc.record({ ssrc: u32, items: fc.array(fc.record({ type: fc.integer({ min: 1, max: 8 }), text }), { maxLength: 4 }) }), {
        maxLength: 4,
      }),
    }),
    fc.record({ type: fc.constant('bye' as const), sources: fc.array(u32, { maxLength: 31 }), reason: fc.option(text, { nil: undefined }) }).map((b) => {
      if (b.reason === undefined) delete b.reason;
      return b;
    }),
  );
  test('parse(marshal(compound)) equals the input', () => {
    fc.assert(
      fc.property(fc.array(packet, { minLength: 1, maxLength: 4 }), (pkts) => {
        const bytes = marshalRtcpCompound(pkts);
        assert.equal(bytes.length % 4, 0);
        assert.equal(bytes.length, pkts.reduce((n, p) => n + rtcpPacketSize(p), 0));
        assert.deepEqual(parseRtcpCompound(bytes), JSON.parse(JSON.stringify(pkts)));
      }),
      { numRuns: 300 },
    );
  });
  test('marshalRtcpTo writes at an offset and refuses a short buffer', () => {
    const [sr] = parseRtcpCompound(BARESIP_SR_SDES);
    const out = Buffer.alloc(60, 0xee);
    assert.equal(marshalRtcpTo(sr!, out, 4), 52);
    assert.deepEqual(out.subarray(4, 56), BARESIP_SR_SDES.subarray(0, 52));
    assert.equal(out[3], 0xee);
    assert.throws(() => marshalRtcpTo(sr!, Buffer.alloc(51)), RangeError);
    assert.throws(() => marshalRtcp({ type: 'bye', sources: new Array<number>(32).fill(1) }), RangeError);
    assert.throws(() => marshalRtcp({ type: 'sdes', chunks: [{ ssrc: 1, items: [{ type: 1, text: 'x'.repeat(256) }] }] }), RangeError);
  });
});

describe('NTP time (§4)', () => {
  test('Unix epoch and fractions', () => {
    assert.deepEqual(ntpFromUnixMs(0), { seconds: NTP_UNIX_OFFSET, fraction: 0 });
    assert.deepEqual(ntpFromUnixMs(500), { seconds: NTP_UNIX_OFFSET, fraction: 0x80000000 });
    assert.deepEqual(ntpFromUnixMs(1250), { seconds: NTP_UNIX_OFFSET + 1, fraction: 0x40000000 });
    assert.equal(ntpToUnixMs(ntpFromUnixMs(1795451577665.736)), 1795451577665.736);
  });
  test('era 1 (2036-02-07T06:28:16Z) wraps the seconds field', () => {
    const wrap = Date.UTC(2036, 1, 7, 6, 28, 16);
    assert.deepEqual(ntpFromUnixMs(wrap), { seconds: 0, fraction: 0 });
    assert.equal(ntpToUnixMs({ seconds: 0, fraction: 0 }), wrap);
    assert.equal(ntpToUnixMs(ntpFromUnixMs(wrap + 86400000)), wrap + 86400000);
  });
  test('middle 32 bits and round-trip time', () => {
    assert.equal(ntpMiddle32(0xeeaee939, 0xaa6dacab), 0xe939aa6d);
    const sentAt = ntpFromUnixMs(1_000_000);
    const lsr = ntpMiddle32(sentAt.seconds, sentAt.fraction);
    // the peer held our SR for 250 ms and its report arrives 330 ms after we sent the SR
    const block: ReportBlock = { ssrc: 1, fractionLost: 0, cumulativeLost: 0, extendedHighestSeq: 0, jitter: 0, lsr, dlsr: 0.25 * 65536 };
    const rtt = roundTripMs(block, ntpFromUnixMs(1_000_330))!;
    assert.ok(Math.abs(rtt - 80) < 0.05, String(rtt));
    assert.equal(roundTripMs({ ...block, lsr: 0 }, ntpFromUnixMs(1_000_330)), undefined);
  });
});

describe('ReceiverStats (RFC 3550 A.1, A.3, A.8)', () => {
  test('probation: the first packet is not counted, then a clean stream', () => {
    const s = new ReceiverStats();
    assert.equal(s.update(1000, 0, 5000), false);
    for (let i = 1; i < 100; i++) assert.equal(s.update(1000 + i, i * 160, 5000 + i * 160), true);
    assert.equal(s.received, 99);
    assert.equal(s.expected, 99);
    assert.equal(s.cumulativeLost, 0);
    assert.equal(s.jitter, 0);
    const b = s.reportBlock(0xabc, 0);
    assert.deepEqual(b, { ssrc: 0xabc, fractionLost: 0, cumulativeLost: 0, extendedHighestSeq: 1099, jitter: 0, lsr: 0, dlsr: 0 });
  });
  test('loss: cumulative, and fraction per interval', () => {
    const s = new ReceiverStats();
    let seq = 0;
    const feed = (n: number, dropEvery: number): void => {
      for (let i = 0; i < n; i++, seq++) if (dropEvery === 0 || seq % dropEvery !== 0 || seq < 2) s.update(seq, seq * 160, seq * 160);
    };
    feed(2, 0); // probation
    feed(98, 0);
    assert.equal(s.reportBlock(1, 0).fractionLost, 0);
    feed(100, 4); // 25 of the next 100 lost
    const b = s.reportBlock(1, 0);
    assert.equal(b.cumulativeLost, 25);
    assert.equal(b.fractionLost, 64); // 25/100 × 256
    assert.equal(b.extendedHighestSeq, 199);
    feed(100, 0);
    assert.equal(s.reportBlock(1, 0).fractionLost, 0);
    assert.equal(s.cumulativeLost, 25);
  });
  test('sequence wrap-around counts a cycle', () => {
    const s = new ReceiverStats();
    for (let i = 0; i < 20; i++) s.update((65530 + i) & 0xffff, i * 160, i * 160);
    assert.equal(s.extendedHighestSeq, 65536 + 13);
    assert.equal(s.cumulativeLost, 0);
  });
  test('duplicates make loss negative; a confirmed big jump restarts the count', () => {
    const s = new ReceiverStats();
    for (let i = 0; i < 10; i++) s.update(i, i * 160, i * 160);
    s.update(9, 9 * 160, 9 * 160);
    assert.equal(s.cumulativeLost, -1);
    assert.equal(s.update(30000, 0, 2000), false); // jump: needs confirmation
    assert.equal(s.update(30001, 160, 2160), true); // confirmed: re-initialised
    assert.equal(s.received, 0 + 1);
    assert.equal(s.extendedHighestSeq, 30001);
    assert.equal(s.cumulativeLost, 0);
  });
  test('jitter follows the A.8 estimator exactly', () => {
    const s = new ReceiverStats();
    let ref = 0;
    let prevTransit: number | undefined;
    for (let i = 0; i < 200; i++) {
      const ts = (0xffffff00 + i * 160) >>> 0; // wraps the timestamp too
      const arrival = 1e6 + i * 160 + (i % 2 ? 40 : 0) + (i % 7) * 3;
      const counted = s.update(i, ts, arrival);
      if (!counted) continue;
      const transit = arrival - (0xffffff00 + i * 160); // unwrapped reference
      if (prevTransit !== undefined) ref += (Math.abs(transit - prevTransit) - ref) / 16;
      prevTransit = transit;
    }
    assert.equal(s.jitter, Math.floor(ref));
    assert.ok(s.jitter > 30 && s.jitter < 60, String(s.jitter));
  });
  test('LSR and DLSR from the last SR', () => {
    const s = new ReceiverStats();
    s.update(1, 0, 0);
    s.update(2, 160, 160);
    s.onSenderReport({ ntpSeconds: 0xeeaee939, ntpFraction: 0xaa6dacab }, 10_000);
    const b = s.reportBlock(7, 11_500);
    assert.equal(b.lsr, 0xe939aa6d);
    assert.equal(b.dlsr, 98304); // 1.5 s × 65536
  });
});
