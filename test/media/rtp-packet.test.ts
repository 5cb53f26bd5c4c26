import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  parseRtp,
  marshalRtp,
  marshalRtpTo,
  rtpHeaderSize,
  rtpPacketSize,
  writeRtpHeader,
  isRtcpPacket,
  RtpParseError,
  type RtpPacket,
} from '../../src/media/rtp/packet.ts';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

// First packet of SIPp's /usr/share/sip-tester/g711a.pcap: PCMA, M=1, 240 bytes (30 ms).
const SIPP_PCMA = hex('8088e6fd 000000f0 dee0ee8f' + 'd5'.repeat(240));
// First packet of SIPp's dtmf_2833_1.pcap: telephone-event PT 101, M=1, digit 1, volume 10.
const SIPP_DTMF = hex('80e51f30 000033e0 0e05384e 010a0000');
// A 20 ms PCMA frame as the engine sends it: PT 8, seq 1000, ts 160000, SSRC 0x12345678.
const PCMA_20MS = hex('800803e8 00027100 12345678' + '55'.repeat(160));
// Mixer output with two CSRCs (RFC 3550 §5.1 CC=2), PCMU.
const WITH_CSRC = hex('82000007 00000a00 cafebabe 00000001 00000002 ffffffff');
// RFC 8285 one-byte header extension (0xBEDE), one element: ID 1, len 1 (ssrc-audio-level),
// value 0xAA, then zero padding to the 32-bit boundary.
const WITH_EXT = hex('9000002a 00001f40 01020304 bede0001 10aa0000 d5d5');
// P=1: four payload bytes then three padding octets, the last one counting them.
const WITH_PADDING = hex('a0080100 00000140 0badf00d 01020304 000003');

describe('parseRtp on real bytes', () => {
  test('SIPp PCMA packet', () => {
    const p = parseRtp(SIPP_PCMA);
    assert.equal(p.version, 2);
    assert.equal(p.marker, true);
    assert.equal(p.payloadType, 8);
    assert.equal(p.sequenceNumber, 59133);
    assert.equal(p.timestamp, 240);
    assert.equal(p.ssrc, 0xdee0ee8f);
    assert.deepEqual(p.csrc, []);
    assert.equal(p.payload.length, 240);
    assert.equal(p.paddingSize, 0);
    assert.equal(p.extension, false);
    assert.equal(p.extensionData, undefined);
    // A view, not a copy: same memory as the input.
    assert.equal(p.payload.buffer, SIPP_PCMA.buffer);
    assert.equal(p.payload.byteOffset, SIPP_PCMA.byteOffset + 12);
  });
  test('SIPp telephone-event packet', () => {
    const p = parseRtp(SIPP_DTMF);
    assert.equal(p.payloadType, 101);
    assert.equal(p.marker, true);
    assert.equal(p.sequenceNumber, 7984);
    assert.equal(p.timestamp, 13280);
    assert.equal(p.ssrc, 0x0e05384e);
    assert.deepEqual(p.payload, hex('010a0000'));
  });
  test('20 ms PCMA frame', () => {
    const p = parseRtp(PCMA_20MS);
    assert.equal(p.marker, false);
    assert.equal(p.sequenceNumber, 1000);
    assert.equal(p.timestamp, 160000);
    assert.equal(p.ssrc, 0x12345678);
    assert.equal(p.payload.length, 160);
  });
  test('CSRC list', () => {
    const p = parseRtp(WITH_CSRC);
    assert.deepEqual(p.csrc, [1, 2]);
    assert.equal(p.payloadType, 0);
    assert.deepEqual(p.payload, hex('ffffffff'));
    assert.equal(rtpHeaderSize(p), 20);
  });
  test('header extension', () => {
    const p = parseRtp(WITH_EXT);
    assert.equal(p.extension, true);
    assert.equal(p.extensionProfile, 0xbede);
    assert.deepEqual(p.extensionData, hex('10aa0000'));
    assert.deepEqual(p.payload, hex('d5d5'));
    assert.equal(rtpHeaderSize(p), 20);
  });
  test('padding', () => {
    const p = parseRtp(WITH_PADDING);
    assert.equal(p.padding, true);
    assert.equal(p.paddingSize, 3);
    assert.deepEqual(p.payload, hex('01020304'));
    assert.equal(rtpPacketSize(p), WITH_PADDING.length);
  });
  test('every fixture re-encodes byte for byte, also at an offset in a larger buffer', () => {
    for (const bytes of [SIPP_PCMA, SIPP_DTMF, PCMA_20MS, WITH_CSRC, WITH_EXT, WITH_PADDING]) {
      const p = parseRtp(bytes);
      assert.deepEqual(marshalRtp(p), bytes);
      const out = Buffer.alloc(bytes.length + 10, 0x77);
      assert.equal(marshalRtpTo(p, out, 7), bytes.length);
      assert.deepEqual(out.subarray(7, 7 + bytes.length), bytes);
      assert.equal(out[6], 0x77);
      assert.equal(out[7 + bytes.length], 0x77);
    }
  });
});

describe('writeRtpHeader', () => {
  test('writes the same 12 bytes as marshalRtp', () => {
    const out = Buffer.alloc(12 + 160);
    assert.equal(writeRtpHeader(out, 0, false, 8, 1000, 160000, 0x12345678), 12);
    PCMA_20MS.copy(out, 12, 12);
    assert.deepEqual(out, PCMA_20MS);
    const m = Buffer.alloc(16);
    writeRtpHeader(m, 4, true, 101, 0x1f30, 0x33e0, 0x0e05384e);
    assert.deepEqual(m.subarray(4), SIPP_DTMF.subarray(0, 12));
  });
  test('wraps sequence numbers and timestamps', () => {
    const out = Buffer.alloc(12);
    writeRtpHeader(out, 0, false, 0, 65536 + 5, 2 ** 32 + 7, -1);
    const p = parseRtp(out);
    assert.equal(p.sequenceNumber, 5);
    assert.equal(p.timestamp, 7);
    assert.equal(p.ssrc, 0xffffffff);
  });
});

describe('isRtcpPacket (RFC 5761 §4)', () => {
  test('demuxes on the second octet', () => {
    assert.equal(isRtcpPacket(SIPP_PCMA), false);
    assert.equal(isRtcpPacket(SIPP_DTMF), false); // 0xe5 = M + PT 101 → 229, above 223
    assert.equal(isRtcpPacket(hex('80c80006')), true); // SR (200)
    assert.equal(isRtcpPacket(hex('81c90007')), true); // RR (201)
    assert.equal(isRtcpPacket(hex('81ca')), true); // SDES (202)
    assert.equal(isRtcpPacket(hex('80c0')), true); // 192
    assert.equal(isRtcpPacket(hex('80df')), true); // 223
    assert.equal(isRtcpPacket(hex('80e0')), false); // 224
    assert.equal(isRtcpPacket(hex('80bf')), false); // 191
    assert.equal(isRtcpPacket(hex('80')), false);
  });
});

describe('invalid input throws RtpParseError only', () => {
  test('specific malformations', () => {
    const bad: Array<[string, Buffer]> = [
      ['empty', Buffer.alloc(0)],
      ['11 bytes', SIPP_DTMF.subarray(0, 11)],
      ['version 1', hex('40080000 00000000 00000000')],
      ['version 0', hex('00080000 00000000 00000000')],
      ['CSRC overrun', WITH_CSRC.subarray(0, 19)],
      ['extension header cut', WITH_EXT.subarray(0, 14)],
      ['extension body overrun', hex('9000002a 00001f40 01020304 bede0002 10aa0000')],
      ['padding count zero', hex('a0080100 00000140 0badf00d 01020300')],
      ['padding count larger than payload', hex('a0080100 00000140 0badf00d 01020305')],
      ['padding without room', hex('a0080100 00000140 0badf00d')],
    ];
    for (const [name, b] of bad) {
      assert.throws(() => parseRtp(b), RtpParseError, name);
    }
  });
  test('fuzz: any bytes either parse and re-encode, or throw RtpParseError', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 80 }), fc.boolean(), (arr, forceV2) => {
        const b = Buffer.from(arr);
        if (forceV2 && b.length > 0) b[0] = (b[0]! & 0x3f) | 0x80;
        let p: RtpPacket;
        try {
          p = parseRtp(b);
        } catch (e) {
          assert.ok(e instanceof RtpParseError, String(e));
          return;
        }
        // Re-encoding is exact except that padding octets before the count become zero.
        const expected = Buffer.from(b);
        if (p.padding) expected.fill(0, b.length - p.paddingSize, b.length - 1);
        assert.deepEqual(marshalRtp(p), expected);
      }),
      { numRuns: 3000 },
    );
  });
});

describe('round trip', () => {
  const packetArb: fc.Arbitrary<RtpPacket> = fc
    .record({
      marker: fc.boolean(),
      payloadType: fc.integer({ min: 0, max: 127 }),
      sequenceNumber: fc.integer({ min: 0, max: 0xffff }),
      timestamp: fc.integer({ min: 0, max: 0xffffffff }),
      ssrc: fc.integer({ min: 0, max: 0xffffffff }),
      csrc: fc.array(fc.integer({ min: 0, max: 0xffffffff }), { maxLength: 15 }),
      ext: fc.option(
        fc.record({
          profile: fc.integer({ min: 0, max: 0xffff }),
          words: fc.uint8Array({ maxLength: 24 }).map((a) => Buffer.from(a.subarray(0, a.length - (a.length % 4)))),
        }),
      ),
      payload: fc.uint8Array({ maxLength: 200 }).map((a) => Buffer.from(a)),
      paddingSize: fc.integer({ min: 0, max: 255 }),
    })
    .map((r) => {
      const p: RtpPacket = {
        version: 2,
        padding: r.paddingSize > 0,
        extension: r.ext !== null,
        marker: r.marker,
        payloadType: r.payloadType,
        sequenceNumber: r.sequenceNumber,
        timestamp: r.timestamp,
        ssrc: r.ssrc,
        csrc: r.csrc,
        payload: r.payload,
        paddingSize: r.paddingSize,
      };
      if (r.ext) {
        p.extensionProfile = r.ext.profile;
        p.extensionData = r.ext.words;
      }
      return p;
    });

  test('parse(marshal(p)) equals p and marshalling does not mutate p', () => {
    fc.assert(
      fc.property(packetArb, (p) => {
        const before = structuredClone(p);
        const bytes = marshalRtp(p);
        assert.equal(bytes.length, rtpPacketSize(p));
        const q = parseRtp(bytes);
        assert.deepEqual({ ...q, payload: Buffer.from(q.payload), extensionData: q.extensionData && Buffer.from(q.extensionData) }, {
          ...p,
          extensionData: p.extensionData,
        });
        assert.deepEqual(structuredClone(p), before);
      }),
      { numRuns: 500 },
    );
  });
  test('marshalRtpTo rejects a buffer that is too small without writing past it', () => {
    const p = parseRtp(PCMA_20MS);
    const out = Buffer.alloc(100);
    assert.throws(() => marshalRtpTo(p, out), RangeError);
  });
  test('marshal rejects unrepresentable packets', () => {
    const p = parseRtp(SIPP_DTMF);
    assert.throws(() => marshalRtp({ ...p, csrc: new Array<number>(16).fill(1) }), RangeError);
    assert.throws(() => marshalRtp({ ...p, extension: true }), RangeError);
    assert.throws(() => marshalRtp({ ...p, extension: true, extensionProfile: 1, extensionData: Buffer.alloc(3) }), RangeError);
    assert.throws(() => marshalRtp({ ...p, padding: true, paddingSize: 0 }), RangeError);
  });
});
