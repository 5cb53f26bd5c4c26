/**
 * DTMF as RTP telephone-events (RFC 4733 §2.3):
 *
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |     event     |E|R|  volume   |          duration             |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * Events 0–15 are the DTMF digits 0-9 * # A-D (§3.2). Duration is in RTP timestamp
 * units (8000 Hz for telephone-event/8000). All packets of one event carry the RTP
 * timestamp of its onset (§2.5.1.1); the end is sent three times (§2.5.1.4).
 */

export interface DtmfEvent {
  event: number;
  end: boolean;
  /** Power level of the tone in -dBm0, 0..63 (§2.3.4). */
  volume: number;
  /** Duration so far, in timestamp units (§2.3.5). */
  duration: number;
}

export class DtmfParseError extends Error {
  override readonly name = 'DtmfParseError';
}

const DIGITS = '0123456789*#ABCD';

export function eventToDigit(n: number): string | undefined {
  return Number.isInteger(n) && n >= 0 && n < 16 ? DIGITS[n] : undefined;
}

/** Event code for a DTMF digit (case-insensitive A-D); throws RangeError for anything else. */
export function digitToEvent(d: string): number {
  const i = d.length === 1 ? DIGITS.indexOf(d.toUpperCase()) : -1;
  if (i < 0) throw new RangeError(`not a DTMF digit: ${JSON.stringify(d)}`);
  return i;
}

/**
 * Reads the first event block. NOTE: longer payloads are accepted and the rest ignored:
 * SIPp 3.6's built-in play_dtmf sends 8-byte payloads (a C struct with an int event id).
 */
export function parseDtmfEvent(payload: Uint8Array): DtmfEvent {
  if (payload.length < 4) throw new DtmfParseError(`telephone-event payload too short: ${payload.length} bytes`);
  const b1 = payload[1]!;
  return {
    event: payload[0]!,
    end: (b1 & 0x80) !== 0,
    volume: b1 & 0x3f,
    duration: (payload[2]! << 8) | payload[3]!,
  };
}

/** Write the 4-byte payload into out at offset (allocation-free); returns 4. */
export function marshalDtmfEventTo(e: DtmfEvent, out: Uint8Array, offset = 0): number {
  out[offset] = e.event & 0xff;
  // §2.3.3: the R bit is reserved, MUST be zero when sent.
  out[offset + 1] = (e.end ? 0x80 : 0) | (e.volume & 0x3f);
  const d = Math.min(Math.max(0, Math.round(e.duration)), 0xffff);
  out[offset + 2] = d >> 8;
  out[offset + 3] = d & 0xff;
  return 4;
}

export function marshalDtmfEvent(e: DtmfEvent): Buffer {
  const out = Buffer.allocUnsafe(4);
  marshalDtmfEventTo(e, out, 0);
  return out;
}

const TS_HALF = 0x80000000;

/** (a - b) mod 2^32 as a signed distance (RFC 1982-style serial arithmetic). */
function tsDiff(a: number, b: number): number {
  const d = (a - b) >>> 0;
  return d >= TS_HALF ? d - 0x100000000 : d;
}

/** How many recent events are remembered to recognise stragglers. */
const HISTORY = 8;
/**
 * How far (in timestamp units: 20 ms at 8 kHz) a packet's claimed onset may lie after
 * the current event's onset and still continue it; covers senders that stamp each
 * retransmitted end packet a little later.
 */
const ONSET_SLACK = 160;

/**
 * Turns a stream of telephone-event packets into digits, each reported exactly once.
 *
 * Policy: a digit is reported on the first packet of its event, not on the end packet,
 * so that a flow hears it one packet after the key press rather than after release, and
 * so that senders whose end packets are lost or unreadable are still heard (SIPp 3.6's
 * play_dtmf never sets E in the field receivers read).
 *
 * An event is identified by its RTP timestamp (§2.5.1.1): start, updates and the three
 * end packets (§2.5.1.4) all carry the onset time; a new timestamp is a new event, even
 * for the same key. Tolerances for real senders:
 *  - Packets of an event seen recently (same timestamp and code) are absorbed, also when
 *    they arrive late, after a later event began.
 *  - Same timestamp and code, but after the end was seen, with the marker bit or a
 *    restarted duration: a new press. Replayed captures (SIPp play_pcap_audio) reuse
 *    their timestamps, so pressing the same pcap twice must still count twice.
 *  - A packet with a later timestamp whose (timestamp − duration) reaches back to the
 *    current event's onset (within 20 ms), with the same code, continues that event:
 *    some senders stamp each update with the current media time instead of the onset.
 *    Two presses of one key cannot overlap in time, so this merges real presses only if
 *    every packet of the second press before it outlasted the first press was lost.
 *  - A change of SSRC (if given) forgets everything: SIPp's play_dtmf starts a new SSRC
 *    per exec and reuses the same timestamps each time.
 */
export class DtmfReceiver {
  private readonly ts = new Float64Array(HISTORY);
  private readonly code = new Int16Array(HISTORY).fill(-1);
  private readonly ended = new Uint8Array(HISTORY);
  private readonly maxDuration = new Int32Array(HISTORY);
  private count = 0;
  /** Slot of the most recent event. */
  private cur = -1;
  private ssrc: number | undefined;

  push(rtpTimestamp: number, ev: DtmfEvent, marker?: boolean, ssrc?: number): string | undefined {
    if (ssrc !== undefined) {
      if (this.ssrc !== undefined && ssrc >>> 0 !== this.ssrc) this.reset();
      this.ssrc = ssrc >>> 0;
    }
    const ts = rtpTimestamp >>> 0;
    const n = Math.min(this.count, HISTORY);
    for (let k = 0; k < n; k++) {
      // Search newest first so that a replay matches its latest incarnation.
      const i = (this.cur - k + HISTORY) % HISTORY;
      if (this.ts[i] !== ts || this.code[i] !== ev.event) continue;
      const restarted = this.ended[i] === 1 && !ev.end && (marker === true || ev.duration < this.maxDuration[i]!);
      if (restarted) return this.begin(ts, ev);
      this.update(i, ev);
      return undefined;
    }
    const c = this.cur;
    if (c >= 0 && this.code[c] === ev.event) {
      const d = tsDiff(ts, this.ts[c]!);
      if (d > 0 && tsDiff(ts - ev.duration, this.ts[c]!) <= ONSET_SLACK) {
        this.update(c, ev);
        return undefined;
      }
    }
    return this.begin(ts, ev);
  }

  /** Forget all events (e.g. when the sender's SSRC changes). */
  reset(): void {
    this.count = 0;
    this.cur = -1;
    this.ssrc = undefined;
  }

  private begin(ts: number, ev: DtmfEvent): string | undefined {
    const i = (this.cur + 1) % HISTORY;
    this.cur = i;
    this.count++;
    this.ts[i] = ts;
    this.code[i] = ev.event;
    this.ended[i] = ev.end ? 1 : 0;
    this.maxDuration[i] = ev.duration;
    return eventToDigit(ev.event);
  }

  private update(i: number, ev: DtmfEvent): void {
    if (ev.end) this.ended[i] = 1;
    if (ev.duration > this.maxDuration[i]!) this.maxDuration[i] = ev.duration;
  }
}

export interface DtmfSenderPacket {
  payload: Buffer;
  /** §2.5.1.1: set on the first packet of the event only. */
  marker: boolean;
  durationSamples: number;
  end: boolean;
  /** When to send it, in ms after the first packet. */
  atMs: number;
}

export interface DtmfSenderOptions {
  durationMs: number;
  /** -dBm0, default 10. */
  volume?: number;
  /** Interval between updates, default 50 ms (§2.5.1.2). */
  packetMs?: number;
  /** Timestamp units per ms, default 8 (telephone-event/8000). */
  clockRateKhz?: number;
}

/**
 * The packets of one key press, all to be sent with the same RTP timestamp (the onset):
 * a start packet with the marker bit and duration 0, updates every packetMs with the
 * duration so far, then the final duration three times with E set (§2.5.1.4). The
 * duration is capped at 0xFFFF units (≈ 8.2 s at 8 kHz); longer presses would need the
 * §2.5.1.3 segmenting, which a contact center never sends.
 */
export function dtmfSenderPackets(digit: string, opts: DtmfSenderOptions): DtmfSenderPacket[] {
  const event = digitToEvent(digit);
  const volume = opts.volume ?? 10;
  const packetMs = opts.packetMs ?? 50;
  const rate = opts.clockRateKhz ?? 8;
  if (!(opts.durationMs > 0)) throw new RangeError(`durationMs must be positive, got ${opts.durationMs}`);
  if (!(packetMs > 0)) throw new RangeError(`packetMs must be positive, got ${packetMs}`);
  if (!Number.isInteger(volume) || volume < 0 || volume > 63) throw new RangeError(`volume must be 0..63, got ${volume}`);
  const total = Math.min(Math.round(opts.durationMs * rate), 0xffff);
  const endMs = total / rate;
  const out: DtmfSenderPacket[] = [];
  for (let t = 0; t < endMs; t += packetMs) {
    const durationSamples = Math.round(t * rate);
    out.push({
      payload: marshalDtmfEvent({ event, end: false, volume, duration: durationSamples }),
      marker: t === 0,
      durationSamples,
      end: false,
      atMs: t,
    });
  }
  const endPayload = marshalDtmfEvent({ event, end: true, volume, duration: total });
  for (let i = 0; i < 3; i++) {
    out.push({ payload: Buffer.from(endPayload), marker: false, durationSamples: total, end: true, atMs: endMs });
  }
  return out;
}
