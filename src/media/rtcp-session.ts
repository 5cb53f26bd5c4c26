/**
 * The RTCP side of one leg (RFC 3550 §6): what we report, when, and what we learn from
 * the far end's reports. Packet formats are rtcp.ts's; this file is the session logic.
 *
 * A call has two participants, so the §6.3 machinery reduces to: a 5 s minimum interval
 * randomised over [0.5, 1.5] and divided by e − 3/2 (§6.3.1, so the mean stays 5 s
 * despite the "reconsideration" bias), the first report after half of that (§6.2).
 */
import { ReceiverStats } from './rtcp-receiver-stats.ts';
import {
  SDES_CNAME,
  marshalRtcpCompound,
  ntpFromUnixMs,
  parseRtcpCompound,
  roundTripMs,
  type RtcpPacket,
} from './rtcp.ts';

const MIN_INTERVAL_MS = 5000;
const COMPENSATION = Math.E - 1.5;
/** 8 kHz: RTP timestamp units per ms. */
const UNITS_PER_MS = 8;

function interval(initial: boolean): number {
  const t = (MIN_INTERVAL_MS * (0.5 + Math.random())) / COMPENSATION;
  return initial ? t / 2 : t;
}

export class RtcpSession {
  sent = 0;
  received = 0;
  invalid = 0;
  rttMs: number | undefined;
  private rx: ReceiverStats | undefined;
  private rxSsrc = -1;
  private packetCount = 0;
  private octetCount = 0;
  private lastTs = 0;
  private lastSentAt = -1;
  /** Sent RTP since the last report or the one before (§6.4: then we are a sender and send an SR). */
  private sentThisInterval = false;
  private sentLastInterval = false;
  private nextAt = -1;

  constructor(
    private readonly ssrc: number,
    private readonly cname: string,
  ) {}

  onSent(ts: number, payloadBytes: number, now: number): void {
    this.packetCount = (this.packetCount + 1) >>> 0;
    this.octetCount = (this.octetCount + payloadBytes) >>> 0;
    this.lastTs = ts;
    this.lastSentAt = now;
    this.sentThisInterval = true;
  }

  /** Every valid inbound RTP packet (audio and telephone-events share one sequence space). */
  onReceived(seq: number, ts: number, ssrc: number, now: number): void {
    if (ssrc !== this.rxSsrc) {
      // A new source (RFC 3550 §8.2 collision, or the far end restarted): fresh statistics.
      this.rxSsrc = ssrc;
      this.rx = new ReceiverStats();
    }
    this.rx!.update(seq, ts, now * UNITS_PER_MS);
  }

  due(now: number): boolean {
    if (this.nextAt < 0) {
      this.nextAt = now + interval(true);
      return false;
    }
    return now >= this.nextAt;
  }

  /**
   * The next compound report (§6.1: SR or RR first, then SDES with our CNAME), ending
   * with BYE (§6.6) when the leg is going away. `tsNow` is the RTP timestamp of the
   * current playout period, used when nothing has been sent yet.
   */
  report(now: number, wallNow: number, tsNow: number, bye: boolean): Buffer {
    this.nextAt = now + interval(false);
    const reports = this.rx && this.rx.received > 0 ? [this.rx.reportBlock(this.rxSsrc, now)] : [];
    const isSender = this.sentThisInterval || this.sentLastInterval;
    this.sentLastInterval = this.sentThisInterval;
    this.sentThisInterval = false;
    const pkts: RtcpPacket[] = [];
    if (isSender) {
      const ntp = ntpFromUnixMs(wallNow);
      // §6.4.1: the RTP timestamp of the same instant as the NTP timestamp, on the media clock.
      const base = this.lastSentAt >= 0 ? this.lastTs + Math.round((now - this.lastSentAt) * UNITS_PER_MS) : tsNow;
      pkts.push({
        type: 'sr',
        ssrc: this.ssrc,
        ntpSeconds: ntp.seconds,
        ntpFraction: ntp.fraction,
        rtpTimestamp: base >>> 0,
        packetCount: this.packetCount,
        octetCount: this.octetCount,
        reports,
      });
    } else {
      pkts.push({ type: 'rr', ssrc: this.ssrc, reports });
    }
    pkts.push({ type: 'sdes', chunks: [{ ssrc: this.ssrc, items: [{ type: SDES_CNAME, text: this.cname }] }] });
    if (bye) pkts.push({ type: 'bye', sources: [this.ssrc] });
    this.sent++;
    return marshalRtcpCompound(pkts);
  }

  /** An inbound compound packet: LSR from SRs of the source we receive, RTT from blocks about us. */
  onRtcp(buf: Buffer, now: number, wallNow: number): void {
    let pkts: RtcpPacket[];
    try {
      pkts = parseRtcpCompound(buf);
    } catch {
      this.invalid++;
      return;
    }
    this.received++;
    for (const p of pkts) {
      if (p.type === 'sr' && p.ssrc === this.rxSsrc && this.rx) this.rx.onSenderReport(p, now);
      if (p.type === 'sr' || p.type === 'rr') {
        for (const b of p.reports) {
          if (b.ssrc === this.ssrc) {
            const rtt = roundTripMs(b, ntpFromUnixMs(wallNow));
            if (rtt !== undefined) this.rttMs = rtt;
          }
        }
      }
    }
  }

  receiverSummary(): { packetsLost: number; jitterMs: number; rttMs: number | undefined } {
    return {
      packetsLost: this.rx ? Math.max(0, this.rx.cumulativeLost) : 0,
      jitterMs: this.rx ? this.rx.jitter / UNITS_PER_MS : 0,
      rttMs: this.rttMs,
    };
  }
}
