/**
 * One call leg inside a media worker: its RTP/RTCP sockets, its outgoing stream state
 * (SSRC, sequence number, timestamp), what it plays, and what it hears.
 *
 * The hot path is tick() (once per 20 ms from the worker's playout loop) and onRtp()
 * (once per inbound packet). Both work on preallocated buffers: the outgoing packet is
 * written in place (header + 160 payload bytes) into one of four rotating buffers, so a
 * send the kernel could not take synchronously still owns its bytes when libuv retries.
 */
import type { RemoteInfo, Socket } from 'node:dgram';
import { writeRtpHeader } from './rtp/packet.ts';
import { DtmfReceiver, dtmfSenderPackets, parseDtmfEvent } from './dtmf/rfc4733.ts';
import { FRAME_BYTES, FrameFifo, silenceByte } from './bridge.ts';
import { MediaError } from './channel.ts';
import type { WavRecorder, RecordingResult } from './recorder.ts';
import { writeHeard, type MixSource } from './mix.ts';
import { isPrivateAddress } from './private-address.ts';
import type { PromptAudio } from './prompt.ts';
import type { LegConfig, LegStats, PlaybackResult, G711Codec } from './worker-protocol.ts';
import { RtcpSession } from './rtcp-session.ts';

/** What a leg needs from the worker that owns it. */
export interface LegHost {
  now(): number;
  wallNow(): number;
  readonly cname: string;
  digit(legId: string, digit: string, source: 'rfc4733' | 'info'): void;
  playbackDone(legId: string, playId: number, reason: PlaybackResult): void;
  rtpTimeout(legId: string): void;
  fault(legId: string, err: unknown): void;
  /**
   * Connect the RTP socket to the far end once latched: the kernel then keeps the route
   * and drops other sources' packets itself (~20% less CPU per packet on loopback), at
   * the price of no longer counting those packets in foreignPackets.
   */
  readonly connectLatched: boolean;
}

const SAMPLES_PER_FRAME = 160;
const PACKET_BYTES = 12 + FRAME_BYTES;
const EVENT_PACKET_BYTES = 12 + 4;
const RING = 4;
/** Housekeeping (RTCP due, RTP timeout) every this many ticks. */
const HOUSEKEEP_TICKS = 25;

interface Playback {
  playId: number;
  /** Undefined for a silence playback. */
  data: Uint8Array | undefined;
  audio: PromptAudio | undefined;
  offset: number;
  ticksLeft: number;
  loop: boolean;
  bargeIn: boolean;
}

/** One step of an outgoing digit sequence: an RFC 4733 packet, or a tick of audio between digits. */
interface DigitStep {
  payload: Buffer | undefined;
  marker: boolean;
}

interface DigitJob {
  steps: DigitStep[];
  i: number;
  onsetTs: number;
  resolve: () => void;
  reject: (e: Error) => void;
}

function randomU32(): number {
  return (Math.random() * 0x100000000) >>> 0;
}

export class Leg {
  /** Index of this leg's sub-slot in the playout period, and its position in that slot's list. */
  slot = 0;
  slotIndex = -1;

  readonly ssrc = randomU32();
  private seq = randomU32() & 0xffff;
  private readonly tsBase = randomU32();
  private periodBase = -1;
  private lastPeriod = -1;
  private ts = 0;
  private marker = true;

  private config: LegConfig | undefined;
  private sendAddr = '';
  private sendPort = 0;
  private rtcpAddr = '';
  private rtcpPort = 0;
  private latched = false;
  private latchAny = false;
  private sending = false;
  private receiving = false;

  /** Exactly-sized packet buffers (so send() needs no offset/length slice), rotated. */
  private readonly bufs: Buffer[] = [];
  private bi = 0;
  private readonly eventBufs: Buffer[] = [];
  private ei = 0;
  private connState: 'none' | 'connecting' | 'connected' = 'none';
  /** The connect in flight is for an address we no longer want. */
  private connStale = false;
  private play: Playback | undefined;
  private readonly digitJobs: DigitJob[] = [];
  private readonly dtmfRx = new DtmfReceiver();
  private lastDtmfSsrc = -1;

  /** Inbound audio for a bridge peer or the recorder: the FIFO, and the frame of period inPeriod. */
  private fifo: FrameFifo | undefined;
  readonly inFrame = new Uint8Array(FRAME_BYTES);
  private inHas = false;
  private inPeriod = -1;
  private inSsrc = -1;
  peer: Leg | undefined;
  recorder: WavRecorder | undefined;
  /** Legs whose inbound audio this leg also sends, mixed with its peer's (supervision, mix.ts). */
  private extras: Leg[] = [];
  /** How many legs mix this leg's inbound audio in. */
  private listeners = 0;
  private readonly mixSources: MixSource[] = [];

  private readonly rtcp: RtcpSession;
  private lastRxAt: number;
  private timedOut = false;
  private housekeep = 0;

  private st = {
    packetsSent: 0,
    octetsSent: 0,
    packetsReceived: 0,
    octetsReceived: 0,
    lateTicks: 0,
    foreignPackets: 0,
    invalidPackets: 0,
    sendErrors: 0,
    digitsReceived: 0,
  };

  constructor(
    readonly id: string,
    readonly port: number,
    private readonly rtpSocket: Socket,
    private readonly rtcpSocket: Socket,
    private readonly host: LegHost,
    private readonly defaultRtpTimeoutMs: number,
  ) {
    for (let i = 0; i < RING; i++) {
      this.bufs.push(Buffer.alloc(PACKET_BYTES));
      this.eventBufs.push(Buffer.alloc(EVENT_PACKET_BYTES));
    }
    this.lastRxAt = host.now();
    this.rtcp = new RtcpSession(this.ssrc, host.cname);
    rtpSocket.on('message', this.onRtp);
    rtcpSocket.on('message', this.onRtcp);
    const onError = (): void => {
      this.st.sendErrors++;
    };
    rtpSocket.on('error', onError);
    rtcpSocket.on('error', onError);
  }

  get codec(): G711Codec {
    return this.config?.codec ?? 'PCMU';
  }

  /** Applies an offer/answer outcome; callable again on re-INVITE (hold, unhold, codec change, new address). */
  configure(config: LegConfig): void {
    const prev = this.config;
    const remoteChanged =
      !prev || prev.remote.address !== config.remote.address || prev.remote.port !== config.remote.port || prev.latching !== config.latching;
    this.config = config;
    const wasSending = this.sending;
    this.sending = (config.direction === 'sendrecv' || config.direction === 'sendonly') && config.remote.port !== 0;
    this.receiving = config.direction === 'sendrecv' || config.direction === 'recvonly';
    // RFC 3550 §5.1: the marker bit flags the first packet after a pause in sending.
    if (this.sending && !wasSending) this.marker = true;
    if (remoteChanged) {
      this.latched = config.latching === 'off';
      this.latchAny = config.latching === 'any' || (config.latching === 'auto' && isPrivateAddress(config.remote.address));
      this.setDestination(config.remote.address, config.remote.port);
      this.rtcpAddr = config.rtcp?.address ?? config.remote.address;
      // RFC 3264 §6: port 0 rejects the stream; then there is no RTCP port either.
      this.rtcpPort = config.rtcp?.port ?? (config.remote.port === 0 ? 0 : config.remote.port + 1);
    } else if (config.rtcp) {
      this.rtcpAddr = config.rtcp.address;
      this.rtcpPort = config.rtcp.port;
    }
    if (prev && prev.codec !== config.codec) {
      const p = this.play;
      if (p?.audio) p.data = p.audio.forCodec(config.codec);
    }
    this.lastRxAt = this.host.now();
    this.timedOut = false;
  }

  // ---- playback -------------------------------------------------------------------------

  startPlayback(playId: number, audio: PromptAudio | undefined, silenceMs: number, loop: boolean, bargeIn: boolean): void {
    this.finishPlayback('stopped');
    this.play = {
      playId,
      audio,
      data: audio?.forCodec(this.codec),
      offset: 0,
      ticksLeft: audio ? 0 : Math.max(1, Math.ceil(silenceMs / 20)),
      loop,
      bargeIn,
    };
    // A new talkspurt: lets the far end's jitter buffer resynchronise on it.
    this.marker = true;
  }

  finishPlayback(reason: PlaybackResult): void {
    const p = this.play;
    if (!p) return;
    this.play = undefined;
    this.host.playbackDone(this.id, p.playId, reason);
  }

  // ---- digits ---------------------------------------------------------------------------

  sendDigits(digits: string, durationMs: number, gapMs: number): Promise<void> {
    const pt = this.config?.telephoneEventPt;
    if (pt === undefined) {
      return Promise.reject(new MediaError('NO_TELEPHONE_EVENT', 'telephone-event was not negotiated on this leg; use SIP INFO'));
    }
    const steps: DigitStep[] = [];
    const gapTicks = Math.round(gapMs / 20);
    for (const d of digits) {
      // RFC 4733 §2.5.1.2: one update per packetization interval; §2.5.1.4: three end packets.
      for (const p of dtmfSenderPackets(d, { durationMs, packetMs: 20 })) steps.push({ payload: p.payload, marker: p.marker });
      for (let g = 0; g < gapTicks; g++) steps.push({ payload: undefined, marker: false });
    }
    return new Promise<void>((resolve, reject) => {
      this.digitJobs.push({ steps, i: 0, onsetTs: 0, resolve, reject });
    });
  }

  /** A digit that arrived out of band (SIP INFO): reported and barged in on like an RTP one. */
  injectDigit(digit: string): void {
    this.onDigit(digit.toUpperCase(), 'info');
  }

  private onDigit(digit: string, source: 'rfc4733' | 'info'): void {
    this.st.digitsReceived++;
    this.host.digit(this.id, digit, source);
    if (this.play?.bargeIn) this.finishPlayback('interrupted');
  }

  // ---- bridge & recording ---------------------------------------------------------------

  /** The legs mixed into what this leg sends besides its peer (replaces the previous set). */
  setExtras(legs: readonly Leg[]): void {
    for (const o of this.extras) {
      o.listeners--;
      o.updateInboundNeed();
    }
    this.extras = legs.filter((o, i) => o !== this && legs.indexOf(o) === i);
    for (const o of this.extras) {
      o.listeners++;
      o.updateInboundNeed();
    }
  }

  /** Stops mixing `gone` in (it is being released). */
  dropExtra(gone: Leg): void {
    if (this.extras.includes(gone)) this.setExtras(this.extras.filter((o) => o !== gone));
  }

  /** Whether inbound audio must be kept (a bridge peer, a listener or the recorder consumes it). */
  updateInboundNeed(): void {
    const need = this.peer !== undefined || this.recorder !== undefined || this.listeners > 0;
    if (need && !this.fifo) this.fifo = new FrameFifo();
    else if (!need && this.fifo) {
      this.fifo = undefined;
      this.inHas = false;
    }
  }

  // ---- the 20 ms tick -------------------------------------------------------------------

  /** Sends this leg's packet for playout period `period` (called from the playout loop). */
  tick(period: number): void {
    const cfg = this.config;
    if (!cfg) return;
    if (this.periodBase < 0) this.periodBase = period;
    else if (period - this.lastPeriod > 1) this.st.lateTicks += period - this.lastPeriod - 1;
    this.lastPeriod = period;
    // RFC 3550 §5.1: the timestamp follows the sampling clock, not the wake-up time, so it
    // advances 160 per period even across periods the loop had to skip.
    this.ts = (this.tsBase + (period - this.periodBase) * SAMPLES_PER_FRAME) >>> 0;

    const buf = this.bufs[this.bi]!;
    this.bi = (this.bi + 1) & (RING - 1);
    this.produce(buf, 12, cfg.codec, period);

    const rec = this.recorder;
    if (rec) rec.push(this.inboundFrame(period) ? this.inFrame : null, 0, this.sending ? buf : null, 12, cfg.codec);

    const job = this.digitJobs[0];
    if (job && cfg.telephoneEventPt === undefined) {
      // A re-INVITE dropped telephone-event while digits were queued.
      for (const j of this.digitJobs.splice(0)) j.reject(new MediaError('NO_TELEPHONE_EVENT', 'telephone-event was renegotiated away'));
    }
    if (job && cfg.telephoneEventPt !== undefined) this.sendDigitStep(job, cfg.telephoneEventPt, buf);
    else if (this.sending) this.send(buf, cfg.payloadType, FRAME_BYTES);

    if (++this.housekeep >= HOUSEKEEP_TICKS) {
      this.housekeep = 0;
      this.housekeeping(cfg);
    }
  }

  /** Where RTP goes; connects the socket when latched (and the host wants that). */
  private setDestination(address: string, port: number): void {
    const sock = this.rtpSocket;
    if (this.connState === 'connected') sock.disconnect();
    else if (this.connState === 'connecting') this.connStale = true;
    if (this.connState !== 'connecting') this.connState = 'none';
    this.sendAddr = address;
    this.sendPort = port;
    if (!this.latched || !this.host.connectLatched || port === 0 || this.connState !== 'none') return;
    this.connState = 'connecting';
    this.connStale = false;
    sock.connect(port, address, () => {
      if (this.connStale || this.sendAddr !== address || this.sendPort !== port) {
        sock.disconnect();
        this.connState = 'none';
        this.setDestination(this.sendAddr, this.sendPort);
        return;
      }
      this.connState = 'connected';
    });
  }

  private send(buf: Buffer, pt: number, payloadBytes: number, ts = this.ts, marker = this.marker): void {
    writeRtpHeader(buf, 0, marker, pt, this.seq, ts, this.ssrc);
    this.seq = (this.seq + 1) & 0xffff;
    this.marker = false;
    if (this.connState === 'connected') this.rtpSocket.send(buf);
    else this.rtpSocket.send(buf, this.sendPort, this.sendAddr);
    this.st.packetsSent++;
    this.st.octetsSent += payloadBytes;
    this.rtcp.onSent(ts, payloadBytes, this.host.now());
  }

  private sendDigitStep(job: DigitJob, pt: number, audio: Buffer): void {
    const step = job.steps[job.i++]!;
    if (this.sending) {
      if (step.payload) {
        // RFC 4733 §2.5.1.1: every packet of an event carries the timestamp of its onset.
        if (step.marker) job.onsetTs = this.ts;
        const out = this.eventBufs[this.ei]!;
        this.ei = (this.ei + 1) & (RING - 1);
        step.payload.copy(out, 12, 0, 4);
        this.send(out, pt, 4, job.onsetTs, step.marker);
      } else {
        this.send(audio, this.config!.payloadType, FRAME_BYTES);
      }
    }
    if (job.i === job.steps.length) {
      this.digitJobs.shift();
      job.resolve();
    }
  }

  /**
   * The inbound frame for playout period `period` in inFrame; false when there is none
   * (prefilling, underrun, not receiving). Pulled at most once per period by whoever asks
   * first — this leg's recorder or its bridge peer — so the order in which legs tick
   * within a period can never duplicate or skip a frame.
   */
  inboundFrame(period: number): boolean {
    if (this.inPeriod !== period) {
      this.inPeriod = period;
      const fifo = this.fifo;
      this.inHas = fifo !== undefined && this.receiving && fifo.read(this.inFrame, 0, undefined);
    }
    return this.inHas;
  }

  /** Writes the next 20 ms of outgoing audio at out[offset]: playback, else bridged audio, else comfort silence. */
  private produce(out: Buffer, offset: number, codec: G711Codec, period: number): void {
    const p = this.play;
    if (p) {
      const data = p.data;
      if (!data) {
        out.fill(silenceByte(codec), offset, offset + FRAME_BYTES);
        if (--p.ticksLeft <= 0) this.finishPlayback('done');
        return;
      }
      let o = offset;
      let want = FRAME_BYTES;
      while (want > 0) {
        const n = Math.min(want, data.length - p.offset);
        if (n > 0) {
          out.set(data.subarray(p.offset, p.offset + n), o);
          p.offset += n;
          o += n;
          want -= n;
        }
        if (p.offset >= data.length) {
          if (p.loop && data.length > 0) p.offset = 0;
          else break;
        }
      }
      if (want > 0) out.fill(silenceByte(codec), o, o + want);
      if (!p.loop && p.offset >= data.length) this.finishPlayback('done');
      return;
    }
    writeHeard(this.peer, this.extras, this.mixSources, out, offset, codec, period);
  }

  private housekeeping(cfg: LegConfig): void {
    const now = this.host.now();
    if (this.rtcp.due(now) && this.rtcpPort > 0) {
      this.sendRtcp(this.rtcp.report(now, this.host.wallNow(), this.ts, false));
    }
    const timeout = cfg.rtpTimeoutMs ?? this.defaultRtpTimeoutMs;
    if (timeout > 0 && this.receiving && !this.timedOut && now - this.lastRxAt >= timeout) {
      this.timedOut = true;
      this.host.rtpTimeout(this.id);
    }
  }

  private sendRtcp(packet: Buffer): void {
    this.rtcpSocket.send(packet, 0, packet.length, this.rtcpPort, this.rtcpAddr);
  }

  // ---- inbound --------------------------------------------------------------------------

  private readonly onRtp = (msg: Buffer, rinfo: RemoteInfo): void => {
    try {
      this.receiveRtp(msg, rinfo);
    } catch (err) {
      this.host.fault(this.id, err);
    }
  };

  private receiveRtp(msg: Buffer, rinfo: RemoteInfo): void {
    const cfg = this.config;
    if (!cfg) return;
    const len = msg.length;
    // RFC 3550 §5.1 / A.1 validity: version 2 and a payload type we negotiated.
    if (len < 12 || msg[0]! >> 6 !== 2) {
      this.st.invalidPackets++;
      return;
    }
    const pt = msg[1]! & 0x7f;
    const isAudio = pt === cfg.payloadType;
    const isEvent = pt === cfg.telephoneEventPt;
    if (!isAudio && !isEvent) {
      this.st.invalidPackets++;
      return;
    }
    if (rinfo.port !== this.sendPort || rinfo.address !== this.sendAddr) {
      if (!this.latch(rinfo, cfg)) {
        this.st.foreignPackets++;
        return;
      }
    } else if (!this.latched) {
      this.latched = true;
      this.setDestination(rinfo.address, rinfo.port);
    }
    if (!this.receiving) return;

    let start = 12 + 4 * (msg[0]! & 0x0f);
    if (msg[0]! & 0x10) {
      // RFC 3550 §5.3.1: skip the header extension (length in 32-bit words).
      if (len < start + 4) return void this.st.invalidPackets++;
      start += 4 + 4 * msg.readUInt16BE(start + 2);
    }
    let end = len;
    if (msg[0]! & 0x20) end -= msg[len - 1]!; // §5.1 padding: the last octet counts it
    if (end < start) {
      this.st.invalidPackets++;
      return;
    }
    const seq = msg.readUInt16BE(2);
    const ts = msg.readUInt32BE(4);
    const ssrc = msg.readUInt32BE(8);
    const now = this.host.now();
    this.st.packetsReceived++;
    this.st.octetsReceived += end - start;
    this.lastRxAt = now;
    this.timedOut = false;
    this.rtcp.onReceived(seq, ts, ssrc, now);

    if (isEvent) {
      if (end - start < 4) return;
      const ev = parseDtmfEvent(msg.subarray(start, end));
      const digit = this.dtmfRx.push(ts, ev, (msg[1]! & 0x80) !== 0, ssrc);
      if (digit) this.onDigit(digit, 'rfc4733');
      return;
    }
    const fifo = this.fifo;
    if (fifo) {
      if (ssrc !== this.inSsrc) {
        // A new stream (RFC 3550 §8.2 or a re-INVITE): its sequence numbers start afresh.
        this.inSsrc = ssrc;
        fifo.clear();
      }
      fifo.write(msg, start, end, seq);
    }
  }

  /** RFC 4961 symmetric RTP: decides whether a packet from an unexpected source moves our send address there. */
  private latch(rinfo: RemoteInfo, cfg: LegConfig): boolean {
    if (this.latched) return false;
    if (cfg.latching === 'off') return false;
    // Same host as the SDP says (a NAT that kept the address but moved the port), or any
    // source when the SDP address cannot be where packets come from.
    if (!this.latchAny && rinfo.address !== cfg.remote.address) return false;
    this.latched = true;
    this.setDestination(rinfo.address, rinfo.port);
    if (!cfg.rtcp) {
      this.rtcpAddr = rinfo.address;
      this.rtcpPort = rinfo.port + 1;
    }
    return true;
  }

  private readonly onRtcp = (msg: Buffer, rinfo: RemoteInfo): void => {
    if (!this.config) return;
    // Accept RTCP only from the host we exchange RTP with.
    if (rinfo.address !== this.sendAddr) {
      this.st.foreignPackets++;
      return;
    }
    if (this.latched && !this.config.rtcp) this.rtcpPort = rinfo.port; // symmetric RTCP
    try {
      this.rtcp.onRtcp(msg, this.host.now(), this.host.wallNow());
    } catch (err) {
      this.host.fault(this.id, err);
    }
  };

  // ---- stats & teardown -----------------------------------------------------------------

  stats(): LegStats {
    const r = this.rtcp.receiverSummary();
    return {
      legId: this.id,
      port: this.port,
      ssrc: this.ssrc,
      ...this.st,
      packetsLost: r.packetsLost,
      jitterMs: r.jitterMs,
      rtcpSent: this.rtcp.sent,
      rtcpReceived: this.rtcp.received,
      ...(r.rttMs !== undefined ? { rttMs: r.rttMs } : {}),
      remote: this.config ? { address: this.sendAddr, port: this.sendPort } : null,
      latched: this.latched,
      underruns: this.fifo?.underruns ?? 0,
    };
  }

  /** Stops everything, says RTCP BYE (RFC 3550 §6.6), closes the sockets. */
  async close(): Promise<{ stats: LegStats; recording?: RecordingResult }> {
    this.finishPlayback('stopped');
    for (const job of this.digitJobs.splice(0)) job.reject(new MediaError('LEG_RELEASED', 'leg released before its digits were sent'));
    if (this.peer) {
      this.peer.peer = undefined;
      this.peer.updateInboundNeed();
      this.peer = undefined;
    }
    if (this.config && this.rtcpPort > 0) {
      try {
        this.sendRtcp(this.rtcp.report(this.host.now(), this.host.wallNow(), this.ts, true));
      } catch {
        // Sockets may already be gone if the host is shutting down.
      }
    }
    const stats = this.stats();
    let recording: RecordingResult | undefined;
    const rec = this.recorder;
    this.recorder = undefined;
    if (rec) recording = await rec.close();
    await Promise.all([closeSocket(this.rtpSocket), closeSocket(this.rtcpSocket)]);
    return recording ? { stats, recording } : { stats };
  }
}

function closeSocket(s: Socket): Promise<void> {
  return new Promise((resolve) => {
    try {
      s.close(() => resolve());
    } catch {
      resolve();
    }
  });
}
