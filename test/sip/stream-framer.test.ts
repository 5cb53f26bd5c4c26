import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { StreamFramer, type Frame } from '../../src/sip/transport/stream-framer.ts';

const crlf = (lines: string[]): string => lines.join('\r\n');

// RFC 3261 §24.2 F1 (Alice → atlanta.example.com), sent over TCP, with its SDP body.
const sdp = crlf(['v=0', 'o=alice 2890844526 2890844526 IN IP4 client.atlanta.example.com', 's=-',
  'c=IN IP4 192.0.2.101', 't=0 0', 'm=audio 49172 RTP/AVP 0', 'a=rtpmap:0 PCMU/8000', '']);
const INVITE = Buffer.from(crlf([
  'INVITE sip:bob@biloxi.example.com SIP/2.0',
  'Via: SIP/2.0/TCP client.atlanta.example.com:5060;branch=z9hG4bK74bf9',
  'Max-Forwards: 70',
  'From: Alice <sip:alice@atlanta.example.com>;tag=9fxced76sl',
  'To: Bob <sip:bob@biloxi.example.com>',
  'Call-ID: 3848276298220188511@atlanta.example.com',
  'CSeq: 1 INVITE',
  'Contact: <sip:alice@client.atlanta.example.com;transport=tcp>',
  'Content-Type: application/sdp',
  `Content-Length: ${Buffer.byteLength(sdp)}`,
  '',
  sdp,
]));
// The 100 Trying of the same flow, no body.
const TRYING = Buffer.from(crlf([
  'SIP/2.0 100 Trying',
  'Via: SIP/2.0/TCP client.atlanta.example.com:5060;branch=z9hG4bK74bf9;received=192.0.2.101',
  'From: Alice <sip:alice@atlanta.example.com>;tag=9fxced76sl',
  'To: Bob <sip:bob@biloxi.example.com>',
  'Call-ID: 3848276298220188511@atlanta.example.com',
  'CSeq: 1 INVITE',
  'Content-Length: 0',
  '', '',
]));
// Compact form, odd case, folded value (§7.3.1, §7.3.3).
const COMPACT = Buffer.from(crlf([
  'MESSAGE sip:bob@biloxi.example.com SIP/2.0',
  'v: SIP/2.0/TCP client.atlanta.example.com;branch=z9hG4bK776sgdkse',
  'f: <sip:alice@atlanta.example.com>;tag=49583',
  't: <sip:bob@biloxi.example.com>',
  'i: asd88asd77a@1.2.3.4',
  'CSeq: 2 MESSAGE',
  'L :',
  '  5',
  'c: text/plain',
  '',
  'Hello',
]));

function messages(frames: Frame[]): string[] {
  return frames.map((f) => (f.kind === 'message' ? f.bytes.toString('latin1') : '<ping>'));
}

function feedAll(chunks: Buffer[], framer = new StreamFramer()): { out: string[]; error?: string } {
  const out: string[] = [];
  let error: string | undefined;
  for (const c of chunks) {
    const r = framer.push(c);
    out.push(...messages(r.frames));
    if (r.error) error = r.error;
  }
  return error === undefined ? { out } : { out, error };
}

describe('StreamFramer', () => {
  test('one message in one chunk, body included byte-exact', () => {
    const { out, error } = feedAll([INVITE]);
    assert.equal(error, undefined);
    assert.deepEqual(out, [INVITE.toString('latin1')]);
  });

  test('split at every byte boundary of a two-message stream', () => {
    const stream = Buffer.concat([INVITE, TRYING]);
    for (let i = 0; i <= stream.length; i++) {
      const { out, error } = feedAll([stream.subarray(0, i), stream.subarray(i)]);
      assert.equal(error, undefined, `split at ${i}`);
      assert.deepEqual(out, [INVITE.toString('latin1'), TRYING.toString('latin1')], `split at ${i}`);
    }
  });

  test('fed one byte at a time', () => {
    const stream = Buffer.concat([TRYING, COMPACT, INVITE]);
    const chunks = [...stream].map((b) => Buffer.from([b]));
    const { out, error } = feedAll(chunks);
    assert.equal(error, undefined);
    assert.deepEqual(out, [TRYING, COMPACT, INVITE].map((b) => b.toString('latin1')));
  });

  test('several messages in one chunk', () => {
    const { out } = feedAll([Buffer.concat([TRYING, INVITE, COMPACT, TRYING])]);
    assert.deepEqual(out, [TRYING, INVITE, COMPACT, TRYING].map((b) => b.toString('latin1')));
  });

  test('compact "l:" with folding and odd case frames the 5-byte body', () => {
    const { out } = feedAll([COMPACT]);
    assert.equal(out.length, 1);
    assert.ok(out[0]!.endsWith('\r\n\r\nHello'));
  });

  test('RFC 5626 §3.5.1 ping between and before messages; single CRLFs ignored (§7.5)', () => {
    const stream = Buffer.concat([Buffer.from('\r\n\r\n'), TRYING, Buffer.from('\r\n'), INVITE, Buffer.from('\r\n\r\n\r\n\r\n')]);
    const expected = ['<ping>', TRYING.toString('latin1'), INVITE.toString('latin1'), '<ping>', '<ping>'];
    assert.deepEqual(feedAll([stream]).out, expected);
    for (let i = 0; i <= stream.length; i++) {
      assert.deepEqual(feedAll([stream.subarray(0, i), stream.subarray(i)]).out, expected, `split at ${i}`);
    }
  });

  test('a ping split into two chunks is one ping; a lone CRLF (pong) is not answered', () => {
    assert.deepEqual(feedAll([Buffer.from('\r\n'), Buffer.from('\r\n')]).out, ['<ping>']);
    assert.deepEqual(feedAll([Buffer.from('\r'), Buffer.from('\n\r'), Buffer.from('\n')]).out, ['<ping>']);
    assert.deepEqual(feedAll([Buffer.from('\r\n')]).out, []);
    assert.deepEqual(feedAll([Buffer.from('\r\n'), TRYING]).out, [TRYING.toString('latin1')]);
  });

  test('missing Content-Length on a stream is an error (§18.3), after earlier messages are delivered', () => {
    const bad = Buffer.from('OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/TCP h;branch=z9hG4bK1\r\nCSeq: 1 OPTIONS\r\n\r\n');
    const framer = new StreamFramer();
    const r = framer.push(Buffer.concat([TRYING, bad]));
    assert.deepEqual(messages(r.frames), [TRYING.toString('latin1')]);
    assert.equal(r.error, 'missing Content-Length on a stream');
    // The framer stays failed: the connection must be closed.
    assert.equal(framer.push(TRYING).error, 'missing Content-Length on a stream');
    assert.equal(framer.push(TRYING).frames.length, 0);
  });

  test('malformed and conflicting Content-Length are errors', () => {
    const head = 'SIP/2.0 200 OK\r\nCSeq: 1 BYE\r\n';
    assert.equal(new StreamFramer().push(Buffer.from(`${head}Content-Length: 1x\r\n\r\n`)).error, 'malformed Content-Length');
    assert.equal(new StreamFramer().push(Buffer.from(`${head}Content-Length: -1\r\n\r\n`)).error, 'malformed Content-Length');
    assert.equal(new StreamFramer().push(Buffer.from(`${head}l: 2\r\nContent-Length: 3\r\n\r\nabc`)).error, 'conflicting Content-Length values');
    // Same value twice is tolerated.
    assert.equal(new StreamFramer().push(Buffer.from(`${head}l: 3\r\nContent-Length: 3\r\n\r\nabc`)).frames.length, 1);
  });

  test('headers merely starting with "l" or "content-length" are not Content-Length', () => {
    const msg = 'SIP/2.0 302 Moved\r\nLocation: x\r\nContent-Length-X: 9\r\nl: 0\r\n\r\n';
    assert.deepEqual(feedAll([Buffer.from(msg)]).out, [msg]);
  });

  test('binary garbage closes the stream at once', () => {
    const tlsHello = Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01]);
    assert.equal(new StreamFramer().push(tlsHello).error, 'garbage where a start-line should begin');
  });

  test('max message size guards both the header section and the declared body', () => {
    const small = new StreamFramer({ maxMessageSize: 100 });
    assert.match(small.push(Buffer.from('X'.repeat(101))).error ?? '', /header section exceeds 100/);
    const body = new StreamFramer({ maxMessageSize: 100 });
    assert.match(body.push(Buffer.from('SIP/2.0 200 OK\r\nl: 500\r\n\r\n')).error ?? '', /exceeds 100/);
    // Exactly at the limit is fine.
    const msg = Buffer.from('SIP/2.0 200 OK\r\nl: 0\r\n\r\n');
    assert.equal(new StreamFramer({ maxMessageSize: msg.length }).push(msg).frames.length, 1);
  });

  test('property: any chunking of any sequence of messages and pings yields them in order', () => {
    const pieces = [INVITE, TRYING, COMPACT, Buffer.from('\r\n\r\n')];
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: pieces.length - 1 }), { minLength: 1, maxLength: 8 }),
        fc.array(fc.integer({ min: 1, max: 400 }), { minLength: 1, maxLength: 30 }),
        (order, cuts) => {
          const stream = Buffer.concat(order.map((i) => pieces[i]!));
          const chunks: Buffer[] = [];
          let at = 0;
          for (let k = 0; at < stream.length; k++) {
            const n = cuts[k % cuts.length]!;
            chunks.push(stream.subarray(at, at + n));
            at += n;
          }
          const { out, error } = feedAll(chunks);
          assert.equal(error, undefined);
          const expected = order.map((i) => (i === 3 ? '<ping>' : pieces[i]!.toString('latin1')));
          assert.deepEqual(out, expected);
        },
      ),
      { numRuns: 300 },
    );
  });
});
