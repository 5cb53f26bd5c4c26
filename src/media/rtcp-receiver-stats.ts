/**
 * Per-source reception statistics that fill RTCP report blocks: RFC 3550 Appendix A.1
 * (sequence validation), A.3 (loss) and A.8 (interarrival jitter).
 */
import { ntpMiddle32, type ReportBlock, type SenderReport } from './rtcp.ts';

const RTP_SEQ_MOD = 1 << 16;
const MAX_DROPOUT = 3000;
const MAX_MISORDER = 100;
const MIN_SEQUENTIAL = 2;

/**
 * Per-source reception state, fed with every RTP packet of one SSRC. Port of the C in
 * RFC 3550 A.1/A.3/A.8 with the same variable meanings.
 */
export class ReceiverStats {
  private started = false;
  private maxSeq = 0;
  private cycles = 0;
  private baseSeq = 0;
  private badSeq = RTP_SEQ_MOD + 1;
  private probation = MIN_SEQUENTIAL;
  private receivedCount = 0;
  private expectedPrior = 0;
  private receivedPrior = 0;
  private transit = 0;
  private hasTransit = false;
  private jitterValue = 0;
  private lastSr = 0;
  private lastSrAt: number | undefined;

  /**
   * Account for one packet. arrival is the arrival time in RTP timestamp units (e.g.
   * ms × 8 at 8 kHz) on any local time base. Returns false if A.1 says the packet is not
   * (yet) valid: during probation, or after a big jump that needs confirming.
   */
  update(seq: number, rtpTimestamp: number, arrival: number): boolean {
    seq &= 0xffff;
    if (!this.started) {
      // A.1: "init_seq(s, seq); s->max_seq = seq - 1; s->probation = MIN_SEQUENTIAL;"
      this.started = true;
      this.initSeq(seq);
      this.maxSeq = (seq - 1) & 0xffff;
      this.probation = MIN_SEQUENTIAL;
    }
    if (this.probation > 0) {
      // A.1: a source is valid after MIN_SEQUENTIAL packets in sequence.
      if (seq === ((this.maxSeq + 1) & 0xffff)) {
        this.probation--;
        this.maxSeq = seq;
        if (this.probation === 0) {
          this.initSeq(seq);
          this.receivedCount++;
          this.updateJitter(rtpTimestamp, arrival);
          return true;
        }
      } else {
        this.probation = MIN_SEQUENTIAL - 1;
        this.maxSeq = seq;
      }
      return false;
    }
    const udelta = (seq - this.maxSeq) & 0xffff;
    if (udelta < MAX_DROPOUT) {
      // in order, with permissible gap
      if (seq < this.maxSeq) this.cycles += RTP_SEQ_MOD;
      this.maxSeq = seq;
    } else if (udelta <= RTP_SEQ_MOD - MAX_MISORDER) {
      // the sequence number made a very large jump
      if (seq === this.badSeq) {
        // Two sequential packets: assume the other side restarted without telling us.
        this.initSeq(seq);
      } else {
        this.badSeq = (seq + 1) & (RTP_SEQ_MOD - 1);
        return false;
      }
    } else {
      // duplicate or reordered packet
    }
    this.receivedCount++;
    this.updateJitter(rtpTimestamp, arrival);
    return true;
  }

  /** Record an SR from this source (for LSR/DLSR); nowMs on the local monotonic clock. */
  onSenderReport(sr: Pick<SenderReport, 'ntpSeconds' | 'ntpFraction'>, nowMs: number): void {
    this.lastSr = ntpMiddle32(sr.ntpSeconds, sr.ntpFraction);
    this.lastSrAt = nowMs;
  }

  get received(): number {
    return this.receivedCount;
  }

  get extendedHighestSeq(): number {
    return (this.cycles + this.maxSeq) >>> 0;
  }

  get expected(): number {
    return this.probation > 0 ? 0 : this.cycles + this.maxSeq - this.baseSeq + 1;
  }

  /** A.3: cumulative loss, clamped to the signed 24-bit field. */
  get cumulativeLost(): number {
    const lost = this.expected - this.receivedCount;
    return Math.max(-0x800000, Math.min(0x7fffff, lost));
  }

  /** A.8: interarrival jitter estimate in timestamp units (as reported). */
  get jitter(): number {
    return Math.floor(this.jitterValue);
  }

  /**
   * The report block for this source, and the start of a new reporting interval for
   * the fraction-lost computation (A.3).
   */
  reportBlock(ssrc: number, nowMs: number): ReportBlock {
    const expected = this.expected;
    const expectedInterval = expected - this.expectedPrior;
    this.expectedPrior = expected;
    const receivedInterval = this.receivedCount - this.receivedPrior;
    this.receivedPrior = this.receivedCount;
    const lostInterval = expectedInterval - receivedInterval;
    const fractionLost = expectedInterval === 0 || lostInterval <= 0 ? 0 : Math.floor((lostInterval * 256) / expectedInterval);
    let dlsr = 0;
    if (this.lastSrAt !== undefined) dlsr = Math.max(0, Math.round(((nowMs - this.lastSrAt) / 1000) * 65536)) >>> 0;
    return {
      ssrc: ssrc >>> 0,
      fractionLost: Math.min(255, fractionLost),
      cumulativeLost: this.cumulativeLost,
      extendedHighestSeq: this.extendedHighestSeq,
      jitter: this.jitter,
      lsr: this.lastSrAt === undefined ? 0 : this.lastSr,
      dlsr,
    };
  }

  private initSeq(seq: number): void {
    this.baseSeq = seq;
    this.maxSeq = seq;
    this.badSeq = RTP_SEQ_MOD + 1;
    this.cycles = 0;
    this.receivedCount = 0;
    this.receivedPrior = 0;
    this.expectedPrior = 0;
  }

  private updateJitter(rtpTimestamp: number, arrival: number): void {
    // A.8: D(i-1,i) = (Rj - Ri) - (Sj - Si); J += (|D| - J) / 16. Differences are taken
    // modulo 2^32 so that timestamp wrap-around does not look like jitter.
    const transit = arrival - rtpTimestamp;
    if (this.hasTransit) {
      let d = transit - this.transit;
      d -= Math.round(d / 0x100000000) * 0x100000000;
      this.jitterValue += (Math.abs(d) - this.jitterValue) / 16;
    }
    this.transit = transit;
    this.hasTransit = true;
  }
}
