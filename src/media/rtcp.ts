/**
 * RTCP packets as values (RFC 3550 §6.4–6.6) and NTP time; the receiver statistics that
 * fill report blocks are in rtcp-receiver-stats.ts.
 *
 * Common header of every RTCP packet (§6.4.1):
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |V=2|P|    RC   |   PT=SR=200   |             length            |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * length = size in 32-bit words minus one, including header and padding.
 *
 * Sender info (SR only, after the sender's SSRC):
 * |              NTP timestamp, most significant word             |
 * |             NTP timestamp, least significant word             |
 * |                         RTP timestamp                         |
 * |                     sender's packet count                     |
 * |                      sender's octet count                     |
 *
 * Report block (24 bytes, RC of them):
 * |                 SSRC_n (SSRC of source n)                     |
 * | fraction lost |       cumulative number of packets lost       |
 * |           extended highest sequence number received           |
 * |                      interarrival jitter                      |
 * |                         last SR (LSR)                         |
 * |                   delay since last SR (DLSR)                  |
 */

export const RTCP_SR = 200;
export const RTCP_RR = 201;
export const RTCP_SDES = 202;
export const RTCP_BYE = 203;
export const RTCP_APP = 204;

/** SDES item types (§6.5). */
export const SDES_END = 0;
export const SDES_CNAME = 1;
export const SDES_NAME = 2;
export const SDES_TOOL = 6;

export class RtcpParseError extends Error {
  override readonly name = 'RtcpParseError';
}

export interface ReportBlock {
  ssrc: number;
  /** Fraction lost since the previous report, in 1/256 (0..255). */
  fractionLost: number;
  /** Cumulative packets lost, a signed 24-bit value (duplicates can make it negative). */
  cumulativeLost: number;
  /** Cycles in the high 16 bits, highest sequence number in the low 16. */
  extendedHighestSeq: number;
  /** Interarrival jitter in timestamp units. */
  jitter: number;
  /** Middle 32 bits of the NTP timestamp of the last SR received, 0 if none. */
  lsr: number;
  /** Delay since that SR in 1/65536 s, 0 if none. */
  dlsr: number;
}

export interface SenderReport {
  type: 'sr';
  ssrc: number;
  ntpSeconds: number;
  ntpFraction: number;
  rtpTimestamp: number;
  packetCount: number;
  octetCount: number;
  reports: ReportBlock[];
  /** Profile-specific extension after the report blocks (§6.4.1), kept as bytes. */
  extension?: Buffer;
}

export interface ReceiverReport {
  type: 'rr';
  ssrc: number;
  reports: ReportBlock[];
  extension?: Buffer;
}

export interface SdesItem {
  type: number;
  /** UTF-8 text (PRIV items keep their prefix octet inside the text). */
  text: string;
}

export interface SdesChunk {
  ssrc: number;
  items: SdesItem[];
}

export interface SourceDescription {
  type: 'sdes';
  chunks: SdesChunk[];
}

export interface Goodbye {
  type: 'bye';
  sources: number[];
  reason?: string;
}

export interface AppPacket {
  type: 'app';
  subtype: number;
  ssrc: number;
  /** Four ASCII characters. */
  name: string;
  data: Buffer;
}

/** Any other packet type (RTPFB 205, PSFB 206, XR 207, …), kept whole for pass-through. */
export interface OtherRtcp {
  type: 'other';
  packetType: number;
  /** The 5-bit count/format field. */
  count: number;
  /** Everything after the 4-byte header (padding removed). */
  body: Buffer;
}

export type RtcpPacket = SenderReport | ReceiverReport | SourceDescription | Goodbye | AppPacket | OtherRtcp;

function readBlocks(buf: Buffer, o: number, count: number): ReportBlock[] {
  const out: ReportBlock[] = [];
  for (let i = 0; i < count; i++, o += 24) {
    out.push({
      ssrc: buf.readUInt32BE(o),
      fractionLost: buf[o + 4]!,
      cumulativeLost: buf.readIntBE(o + 5, 3),
      extendedHighestSeq: buf.readUInt32BE(o + 8),
      jitter: buf.readUInt32BE(o + 12),
      lsr: buf.readUInt32BE(o + 16),
      dlsr: buf.readUInt32BE(o + 20),
    });
  }
  return out;
}

function parseOne(buf: Buffer, start: number, end: number, count: number, pt: number): RtcpPacket {
  const body = start + 4;
  const need = (n: number, what: string): void => {
    if (body + n > end) throw new RtcpParseError(`RTCP ${what} truncated`);
  };
  switch (pt) {
    case RTCP_SR: {
      need(24 + 24 * count, 'SR');
      const sr: SenderReport = {
        type: 'sr',
        ssrc: buf.readUInt32BE(body),
        ntpSeconds: buf.readUInt32BE(body + 4),
        ntpFraction: buf.readUInt32BE(body + 8),
        rtpTimestamp: buf.readUInt32BE(body + 12),
        packetCount: buf.readUInt32BE(body + 16),
        octetCount: buf.readUInt32BE(body + 20),
        reports: readBlocks(buf, body + 24, count),
      };
      const extStart = body + 24 + 24 * count;
      if (extStart < end) sr.extension = buf.subarray(extStart, end);
      return sr;
    }
    case RTCP_RR: {
      need(4 + 24 * count, 'RR');
      const rr: ReceiverReport = { type: 'rr', ssrc: buf.readUInt32BE(body), reports: readBlocks(buf, body + 4, count) };
      const extStart = body + 4 + 24 * count;
      if (extStart < end) rr.extension = buf.subarray(extStart, end);
      return rr;
    }
    case RTCP_SDES: {
      const chunks: SdesChunk[] = [];
      let o = body;
      for (let c = 0; c < count; c++) {
        if (o + 4 > end) throw new RtcpParseError('RTCP SDES chunk truncated');
        const chunk: SdesChunk = { ssrc: buf.readUInt32BE(o), items: [] };
        o += 4;
        for (;;) {
          if (o >= end) throw new RtcpParseError('RTCP SDES items not terminated');
          const type = buf[o]!;
          if (type === SDES_END) {
            // §6.5: the item list ends with one or more null octets up to a 32-bit boundary.
            o = start + ((o - start + 4) & ~3);
            break;
          }
          if (o + 2 > end || o + 2 + buf[o + 1]! > end) throw new RtcpParseError('RTCP SDES item truncated');
          const len = buf[o + 1]!;
          chunk.items.push({ type, text: buf.toString('utf8', o + 2, o + 2 + len) });
          o += 2 + len;
        }
        chunks.push(chunk);
      }
      return { type: 'sdes', chunks };
    }
    case RTCP_BYE: {
      need(4 * count, 'BYE');
      const sources: number[] = [];
      for (let i = 0; i < count; i++) sources.push(buf.readUInt32BE(body + 4 * i));
      const bye: Goodbye = { type: 'bye', sources };
      const r = body + 4 * count;
      if (r < end) {
        const len = buf[r]!;
        if (r + 1 + len > end) throw new RtcpParseError('RTCP BYE reason truncated');
        bye.reason = buf.toString('utf8', r + 1, r + 1 + len);
      }
      return bye;
    }
    case RTCP_APP: {
      need(8, 'APP');
      return {
        type: 'app',
        subtype: count,
        ssrc: buf.readUInt32BE(body),
        name: buf.toString('latin1', body + 4, body + 8),
        data: buf.subarray(body + 8, end),
      };
    }
    default:
      return { type: 'other', packetType: pt, count, body: buf.subarray(body, end) };
  }
}

/**
 * Parse a compound RTCP packet (§6.1). Validity checks follow Appendix A.2, except
 * that the first packet need not be SR/RR: reduced-size RTCP (RFC 5506, offered by
 * baresip with a=rtcp-rsize) sends lone packets. Byte fields are views into buf.
 */
export function parseRtcpCompound(buf: Buffer): RtcpPacket[] {
  if (buf.length < 4) throw new RtcpParseError(`RTCP packet too short: ${buf.length} bytes`);
  if (buf.length % 4 !== 0) throw new RtcpParseError('RTCP compound length is not a multiple of 4');
  const out: RtcpPacket[] = [];
  let o = 0;
  while (o < buf.length) {
    if (o + 4 > buf.length) throw new RtcpParseError('RTCP header truncated');
    const b0 = buf[o]!;
    if (b0 >> 6 !== 2) throw new RtcpParseError(`RTCP version ${b0 >> 6}, expected 2`);
    const pt = buf[o + 1]!;
    const size = (buf.readUInt16BE(o + 2) + 1) * 4;
    const next = o + size;
    if (next > buf.length) throw new RtcpParseError('RTCP length field overruns the datagram');
    let end = next;
    if (b0 & 0x20) {
      // §6.4.1: only the last packet of a compound may be padded.
      if (next !== buf.length) throw new RtcpParseError('RTCP padding bit on a packet that is not last');
      const pad = buf[next - 1]!;
      if (pad === 0 || pad > size - 4) throw new RtcpParseError(`RTCP padding count ${pad} invalid`);
      end = next - pad;
    }
    out.push(parseOne(buf, o, end, b0 & 0x1f, pt));
    o = next;
  }
  return out;
}

function textBytes(s: string): Buffer {
  const b = Buffer.from(s, 'utf8');
  if (b.length > 255) throw new RangeError('RTCP text item longer than 255 bytes');
  return b;
}

/** Size in bytes marshalRtcpTo will write for p. */
export function rtcpPacketSize(p: RtcpPacket): number {
  switch (p.type) {
    case 'sr':
      return 28 + 24 * p.reports.length + (p.extension?.length ?? 0);
    case 'rr':
      return 8 + 24 * p.reports.length + (p.extension?.length ?? 0);
    case 'sdes': {
      let n = 4;
      for (const c of p.chunks) {
        let items = 0;
        for (const it of c.items) items += 2 + Buffer.byteLength(it.text, 'utf8');
        n += 4 + ((items + 4) & ~3); // at least one null octet, then to a word boundary
      }
      return n;
    }
    case 'bye': {
      const r = p.reason === undefined ? 0 : 1 + Buffer.byteLength(p.reason, 'utf8');
      return 4 + 4 * p.sources.length + ((r + 3) & ~3);
    }
    case 'app':
      return 12 + p.data.length;
    case 'other':
      return 4 + p.body.length;
  }
}

function writeBlocks(out: Buffer, o: number, blocks: readonly ReportBlock[]): number {
  for (const b of blocks) {
    out.writeUInt32BE(b.ssrc >>> 0, o);
    out[o + 4] = b.fractionLost & 0xff;
    const lost = Math.max(-0x800000, Math.min(0x7fffff, b.cumulativeLost));
    out.writeIntBE(lost, o + 5, 3);
    out.writeUInt32BE(b.extendedHighestSeq >>> 0, o + 8);
    out.writeUInt32BE(b.jitter >>> 0, o + 12);
    out.writeUInt32BE(b.lsr >>> 0, o + 16);
    out.writeUInt32BE(b.dlsr >>> 0, o + 20);
    o += 24;
  }
  return o;
}

/** Write one packet at offset (allocation-free for SR/RR); returns bytes written. */
export function marshalRtcpTo(p: RtcpPacket, out: Buffer, offset = 0): number {
  const size = rtcpPacketSize(p);
  if (size % 4 !== 0) throw new RangeError(`RTCP ${p.type} body is not a multiple of 4 bytes`);
  if (out.length - offset < size) throw new RangeError(`RTCP needs ${size} bytes, buffer has ${out.length - offset}`);
  let count: number;
  let pt: number;
  switch (p.type) {
    case 'sr':
    case 'rr':
      count = p.reports.length;
      pt = p.type === 'sr' ? RTCP_SR : RTCP_RR;
      break;
    case 'sdes':
      count = p.chunks.length;
      pt = RTCP_SDES;
      break;
    case 'bye':
      count = p.sources.length;
      pt = RTCP_BYE;
      break;
    case 'app':
      count = p.subtype;
      pt = RTCP_APP;
      break;
    case 'other':
      count = p.count;
      pt = p.packetType;
      break;
  }
  if (count > 31) throw new RangeError(`RTCP ${p.type} count ${count} exceeds 31`);
  out[offset] = 0x80 | count;
  out[offset + 1] = pt;
  out.writeUInt16BE(size / 4 - 1, offset + 2);
  let o = offset + 4;
  switch (p.type) {
    case 'sr':
      out.writeUInt32BE(p.ssrc >>> 0, o);
      out.writeUInt32BE(p.ntpSeconds >>> 0, o + 4);
      out.writeUInt32BE(p.ntpFraction >>> 0, o + 8);
      out.writeUInt32BE(p.rtpTimestamp >>> 0, o + 12);
      out.writeUInt32BE(p.packetCount >>> 0, o + 16);
      out.writeUInt32BE(p.octetCount >>> 0, o + 20);
      o = writeBlocks(out, o + 24, p.reports);
      if (p.extension) o += p.extension.copy(out, o);
      break;
    case 'rr':
      out.writeUInt32BE(p.ssrc >>> 0, o);
      o = writeBlocks(out, o + 4, p.reports);
      if (p.extension) o += p.extension.copy(out, o);
      break;
    case 'sdes':
      for (const c of p.chunks) {
        const chunkStart = o;
        out.writeUInt32BE(c.ssrc >>> 0, o);
        o += 4;
        for (const it of c.items) {
          const t = textBytes(it.text);
          out[o] = it.type;
          out[o + 1] = t.length;
          o += 2 + t.copy(out, o + 2);
        }
        const padded = chunkStart + 4 + ((o - chunkStart - 4 + 4) & ~3);
        out.fill(0, o, padded);
        o = padded;
      }
      break;
    case 'bye':
      for (const s of p.sources) {
        out.writeUInt32BE(s >>> 0, o);
        o += 4;
      }
      if (p.reason !== undefined) {
        const t = textBytes(p.reason);
        const padded = o + ((1 + t.length + 3) & ~3);
        out[o] = t.length;
        t.copy(out, o + 1);
        out.fill(0, o + 1 + t.length, padded);
        o = padded;
      }
      break;
    case 'app':
      out.writeUInt32BE(p.ssrc >>> 0, o);
      if (Buffer.byteLength(p.name, 'latin1') !== 4) throw new RangeError('RTCP APP name must be 4 characters');
      out.write(p.name, o + 4, 4, 'latin1');
      o += 8 + p.data.copy(out, o + 8);
      break;
    case 'other':
      o += p.body.copy(out, o);
      break;
  }
  return o - offset;
}

export function marshalRtcp(p: RtcpPacket): Buffer {
  const out = Buffer.alloc(rtcpPacketSize(p));
  marshalRtcpTo(p, out, 0);
  return out;
}

/** A compound packet (§6.1): the packets back to back, unpadded. */
export function marshalRtcpCompound(pkts: readonly RtcpPacket[]): Buffer {
  let n = 0;
  for (const p of pkts) n += rtcpPacketSize(p);
  const out = Buffer.alloc(n);
  let o = 0;
  for (const p of pkts) o += marshalRtcpTo(p, out, o);
  return out;
}

// ---------------------------------------------------------------------------------------
// NTP time (§4): seconds since 1900-01-01 and a 32-bit binary fraction.

/** Seconds from 1900-01-01 (NTP era 0) to 1970-01-01. */
export const NTP_UNIX_OFFSET = 2208988800;

export interface NtpTime {
  seconds: number;
  fraction: number;
}

export function ntpFromUnixMs(ms: number): NtpTime {
  const totalSec = Math.floor(ms / 1000);
  const rem = ms - totalSec * 1000;
  let fraction = Math.round((rem / 1000) * 0x100000000);
  let seconds = totalSec + NTP_UNIX_OFFSET;
  if (fraction >= 0x100000000) {
    fraction -= 0x100000000;
    seconds += 1;
  }
  // Era 1 begins in 2036; the 32-bit field wraps as §4 expects.
  return { seconds: seconds >>> 0, fraction: fraction >>> 0 };
}

/** Unix milliseconds of an NTP timestamp, taking seconds < 2^31 as era 1 (after 2036). */
export function ntpToUnixMs(t: NtpTime): number {
  const era = t.seconds < 0x80000000 ? 0x100000000 : 0;
  return (t.seconds + era - NTP_UNIX_OFFSET) * 1000 + (t.fraction / 0x100000000) * 1000;
}

/** The middle 32 bits of an NTP timestamp: the LSR field (§6.4.1). */
export function ntpMiddle32(seconds: number, fraction: number): number {
  return (((seconds & 0xffff) << 16) | (fraction >>> 16)) >>> 0;
}

/**
 * Round-trip time from a report block about our stream (§6.4.1): A − LSR − DLSR, where
 * A is the middle 32 bits of the NTP time the report arrived. Undefined if the block
 * refers to no SR. Result in milliseconds.
 */
export function roundTripMs(block: ReportBlock, arrival: NtpTime): number | undefined {
  if (block.lsr === 0) return undefined;
  const a = ntpMiddle32(arrival.seconds, arrival.fraction);
  const rtt = (a - block.lsr - block.dlsr) >>> 0;
  if (rtt >= 0x80000000) return 0; // clock skew made it negative
  return (rtt / 65536) * 1000;
}
