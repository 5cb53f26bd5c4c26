/**
 * Test helper: the audio end of a phone or a caller — a UDP socket on a fixed port that
 * sends a G.711 (PCMU) tone paced at 20 ms and keeps every payload it receives, so a test
 * can check who hears whom through a bridge.
 */
import { createSocket, type Socket } from 'node:dgram';
import { marshalRtp, parseRtp } from '../../src/media/rtp/packet.ts';
import { decodeUlaw } from '../../src/media/codecs/g711.ts';
import { toneG711 } from '../../src/media/tones.ts';

export class RtpPeer {
  readonly received: Buffer[] = [];
  private seq = 1;
  private ts = 1000;
  private readonly ssrc = Math.floor(Math.random() * 0xffffffff) >>> 0;

  private constructor(
    readonly socket: Socket,
    readonly port: number,
  ) {
    socket.on('message', (m) => {
      try {
        const p = parseRtp(m);
        if (p.payloadType === 0) this.received.push(Buffer.from(p.payload));
      } catch {
        // RTCP or junk: not audio
      }
    });
  }

  static open(port: number): Promise<RtpPeer> {
    return new Promise((resolve, reject) => {
      const s = createSocket('udp4');
      s.once('error', reject);
      s.bind(port, '127.0.0.1', () => {
        s.off('error', reject);
        resolve(new RtpPeer(s, port));
      });
    });
  }

  /** Sends `ms` of a PCMU tone to 127.0.0.1:`to`, paced at 20 ms. */
  async sendTone(to: number, hz: number, ms: number): Promise<void> {
    const bytes = toneG711('PCMU', { frequencyHz: hz, ms, levelDbfs: -10, edgeMs: 0 });
    const t0 = performance.now();
    for (let o = 0, k = 0; o < bytes.length; o += 160, k++) {
      const wait = t0 + k * 20 - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      const pkt = marshalRtp({
        version: 2, padding: false, extension: false, marker: k === 0, payloadType: 0,
        sequenceNumber: this.seq, timestamp: this.ts, ssrc: this.ssrc, csrc: [], payload: bytes.subarray(o, o + 160), paddingSize: 0,
      });
      this.seq = (this.seq + 1) & 0xffff;
      this.ts = (this.ts + 160) >>> 0;
      this.socket.send(pkt, to, '127.0.0.1');
    }
  }

  /** Everything received so far, decoded. */
  heard(): Int16Array {
    return decodeUlaw(Buffer.concat(this.received));
  }

  close(): void {
    this.socket.close();
  }
}
