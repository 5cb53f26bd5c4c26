/**
 * Test helpers for the media engine tests: a far-end phone (RTP and RTCP sockets), bounded
 * waits, and checks of a received packet stream. Shared by engine.test.ts and engine-faults.test.ts.
 */
import assert from 'node:assert/strict';
import { createSocket, type Socket } from 'node:dgram';
import { parseRtp, marshalRtp, type RtpPacket } from '../../src/media/rtp/packet.ts';
import { parseRtcpCompound, type RtcpPacket } from '../../src/media/rtcp.ts';

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Every wait in this file is bounded, so a failure can never leave the test process hanging. */
export function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

/**
 * How the media engine should be run on a busy host, and how these tests run it (npm test
 * runs files two at a time next to SIPp and baresip): workers at a higher priority where
 * allowed (refused silently otherwise), and a catch-up window long enough that a stalled
 * scheduler bursts the overdue packets instead of skipping ticks — so the stream checks
 * below stay exact. Timing quality itself is bench/media-playout.ts's business.
 */
export const ROBUST = { workerNiceness: -10, playout: { maxCatchUpPeriods: 25 } } as const;

/** Far ends still open; each test file closes them in its root after(), even when a test fails half-way. */
const openFarEnds = new Set<FarEnd>();
export function closeOpenFarEnds(): void {
  for (const f of openFarEnds) f.close();
}

export interface Rx {
  at: number;
  pkt: RtpPacket;
}

/** A phone on the other side: an RTP socket and its RTCP socket on port + 1. */
export class FarEnd {
  readonly rx: Rx[] = [];
  readonly rtcpRx: RtcpPacket[][] = [];
  private seq = 1000;
  private ts = 50_000;
  readonly ssrc = 0x5eed0000 + Math.floor(Math.random() * 0xffff);

  private constructor(
    readonly rtp: Socket,
    readonly rtcp: Socket,
  ) {
    openFarEnds.add(this);
    rtp.on('message', (m) => this.rx.push({ at: performance.now(), pkt: parseRtp(m) }));
    rtcp.on('message', (m) => this.rtcpRx.push(parseRtcpCompound(m)));
  }

  static async open(): Promise<FarEnd> {
    for (let i = 0; i < 20; i++) {
      const rtp = await bind(0);
      try {
        const rtcp = await bind(rtp.address().port + 1);
        return new FarEnd(rtp, rtcp);
      } catch {
        rtp.close();
      }
    }
    throw new Error('no adjacent port pair for a far end');
  }

  get endpoint(): { address: string; port: number } {
    return { address: '127.0.0.1', port: this.rtp.address().port };
  }

  /** Sends one RTP packet to our leg. */
  send(port: number, pt: number, payload: Buffer, opts: { marker?: boolean; ts?: number; advance?: boolean } = {}): void {
    const pkt = marshalRtp({
      version: 2, padding: false, extension: false, marker: opts.marker ?? false, payloadType: pt,
      sequenceNumber: this.seq, timestamp: opts.ts ?? this.ts, ssrc: this.ssrc, csrc: [], payload, paddingSize: 0,
    });
    this.seq = (this.seq + 1) & 0xffff;
    if (opts.advance ?? true) this.ts = (this.ts + payload.length) >>> 0;
    this.rtp.send(pkt, port, '127.0.0.1');
  }

  /** Sends G.711 frames paced at 20 ms. */
  async sendAudio(port: number, pt: number, bytes: Buffer): Promise<void> {
    const t0 = performance.now();
    for (let o = 0, k = 0; o < bytes.length; o += 160, k++) {
      const wait = t0 + k * 20 - performance.now();
      if (wait > 0) await sleep(wait);
      this.send(port, pt, bytes.subarray(o, o + 160));
    }
  }

  async until(pred: () => boolean, ms = 3000): Promise<void> {
    const end = performance.now() + ms;
    while (!pred()) {
      if (performance.now() > end) throw new Error('timed out waiting for the far end');
      await sleep(10);
    }
  }

  close(): void {
    if (!openFarEnds.delete(this)) return;
    this.rtp.close();
    this.rtcp.close();
  }
}

export function bind(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = createSocket('udp4');
    s.once('error', reject);
    s.bind(port, '127.0.0.1', () => {
      s.off('error', reject);
      resolve(s);
    });
  });
}

/** Bytes that never look like G.711 silence, so a prompt is easy to find in a stream. */
export function pattern(n: number, seed: number): Buffer {
  const b = Buffer.alloc(n);
  // Each 160-byte frame differs from every other (first byte), so frames can be located.
  for (let i = 0; i < n; i++) b[i] = (Math.floor(i / 160) * 13 + (i % 160) * 7 + seed) % 200;
  return b;
}

export function concatPayloads(rx: Rx[]): Buffer {
  return Buffer.concat(rx.map((r) => r.pkt.payload));
}

/** Checks the stream from our side is one continuous RTP stream: seq +1, ts +160, one SSRC. */
export function assertContinuous(rx: Rx[], what: string): void {
  for (let i = 1; i < rx.length; i++) {
    const a = rx[i - 1]!.pkt;
    const b = rx[i]!.pkt;
    assert.equal(b.ssrc, a.ssrc, `${what}: SSRC changed at ${i}`);
    assert.equal(b.sequenceNumber, (a.sequenceNumber + 1) & 0xffff, `${what}: seq gap at ${i}`);
    assert.equal(b.timestamp, (a.timestamp + 160) >>> 0, `${what}: ts step at ${i}`);
  }
}

export function assertSaneTiming(rx: Rx[], what: string): void {
  let maxGap = 0;
  for (let i = 1; i < rx.length; i++) maxGap = Math.max(maxGap, rx[i]!.at - rx[i - 1]!.at);
  const seconds = (rx[rx.length - 1]!.at - rx[0]!.at) / 1000;
  const rate = (rx.length - 1) / seconds;
  assert.ok(maxGap < 200, `${what}: gap of ${maxGap.toFixed(1)} ms`);
  assert.ok(rate > 40 && rate < 60, `${what}: ${rate.toFixed(1)} packets/s`);
}
