import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { FrameFifo, FRAME_BYTES, transcodeTable, copyFrame, ULAW_TO_ALAW_TABLE } from '../../src/media/bridge.ts';
import { ulawToAlaw, alawToUlaw } from '../../src/media/codecs/g711.ts';

/** A 160-byte frame whose bytes all carry its number, so frames are identifiable. */
function frame(n: number): Buffer {
  return Buffer.alloc(FRAME_BYTES, n & 0xff);
}

describe('FrameFifo', () => {
  test('prefills two frames, then plays frames out in order; underrun returns false and refills', () => {
    const f = new FrameFifo({ prefillFrames: 2, maxFrames: 8 });
    const out = new Uint8Array(FRAME_BYTES);
    f.write(frame(1), 0, FRAME_BYTES, 1);
    assert.equal(f.read(out, 0, undefined), false, 'still prefilling');
    f.write(frame(2), 0, FRAME_BYTES, 2);
    assert.equal(f.read(out, 0, undefined), true);
    assert.equal(out[0], 1);
    assert.equal(f.read(out, 0, undefined), true);
    assert.equal(out[0], 2);
    assert.equal(f.read(out, 0, undefined), false);
    assert.equal(f.underruns, 1);
    f.write(frame(3), 0, FRAME_BYTES, 3);
    assert.equal(f.read(out, 0, undefined), false, 'prefilling again after the underrun');
  });

  test('drops late and duplicate packets by sequence number (with wrap-around)', () => {
    const f = new FrameFifo({ prefillFrames: 1 });
    const out = new Uint8Array(FRAME_BYTES);
    f.write(frame(1), 0, FRAME_BYTES, 0xffff);
    f.write(frame(2), 0, FRAME_BYTES, 0);
    f.write(frame(9), 0, FRAME_BYTES, 0);
    f.write(frame(9), 0, FRAME_BYTES, 0xfffe);
    assert.equal(f.latePackets, 2);
    const got: number[] = [];
    while (f.read(out, 0, undefined)) got.push(out[0]!);
    assert.deepEqual(got, [1, 2]);
  });

  test('bounds the delay: beyond maxFrames it drops back to the prefill depth', () => {
    const f = new FrameFifo({ prefillFrames: 2, maxFrames: 4 });
    for (let i = 0; i < 5; i++) f.write(frame(i), 0, FRAME_BYTES, i);
    assert.equal(f.bytes, 2 * FRAME_BYTES);
    const out = new Uint8Array(FRAME_BYTES);
    assert.ok(f.read(out, 0, undefined));
    assert.equal(out[0], 3, 'the newest audio survives');
  });

  test('property: whatever the arrival pattern, frames come out in order, each at most once, never torn', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.constant('r' as const), fc.integer({ min: 1, max: 3 })), { maxLength: 300 }),
        (ops) => {
          const f = new FrameFifo();
          const out = new Uint8Array(FRAME_BYTES);
          let seq = 0;
          let n = 0;
          const got: number[] = [];
          for (const op of ops) {
            if (op === 'r') {
              if (f.read(out, 0, undefined)) {
                assert.ok(out.every((b) => b === out[0]), 'frame torn');
                got.push(out[0]!);
              }
            } else {
              // A packet carrying `op` frames (20, 40 or 60 ms).
              const pkt = Buffer.concat(Array.from({ length: op }, () => frame(++n)));
              f.write(pkt, 0, pkt.length, seq++ & 0xffff);
            }
          }
          for (let i = 1; i < got.length; i++) assert.ok(((got[i]! - got[i - 1]!) & 0xff) >= 1, `out of order or repeated: ${got.join(',')}`);
        },
      ),
    );
  });
});

describe('G.711 transcode tables', () => {
  test('match g711.ts for every code, both ways', () => {
    const all = Uint8Array.from({ length: 256 }, (_, i) => i);
    const out = new Uint8Array(256);
    copyFrame(all, 0, 256, out, 0, transcodeTable('PCMU', 'PCMA'));
    assert.deepEqual(Buffer.from(out), ulawToAlaw(all));
    copyFrame(all, 0, 256, out, 0, transcodeTable('PCMA', 'PCMU'));
    assert.deepEqual(Buffer.from(out), alawToUlaw(all));
    assert.equal(transcodeTable('PCMU', 'PCMU'), undefined);
    assert.equal(ULAW_TO_ALAW_TABLE.length, 256);
  });
});
