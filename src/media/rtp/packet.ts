/**
 * RTP packets as plain values (RFC 3550 §5.1), with parse/marshal and allocation-free
 * writers for the 20 ms hot path.
 *
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |V=2|P|X|  CC   |M|     PT      |       sequence number         |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                           timestamp                           |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |           synchronization source (SSRC) identifier            |
 * +=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+
 * |            contributing source (CSRC) identifiers             |
 * |                             ....                              |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * Header extension (§5.3.1), present when X=1, after the CSRC list:
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |      defined by profile       |           length              |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                        header extension                       |
 * |                             ....                              |
 */

export const RTP_VERSION = 2;
export const RTP_FIXED_HEADER_SIZE = 12;

export interface RtpPacket {
  version: number;
  padding: boolean;
  extension: boolean;
  marker: boolean;
  payloadType: number;
  sequenceNumber: number;
  timestamp: number;
  ssrc: number;
  csrc: number[];
  /** The 16-bit "defined by profile" field (0xBEDE for RFC 8285 one-byte elements). */
  extensionProfile?: number;
  /** Extension body without its 4-byte header; a multiple of 4 bytes. */
  extensionData?: Buffer;
  /** A view into the parsed buffer (no copy): copy it if the buffer is reused. */
  payload: Buffer;
  /** Padding octets including the final count octet; 0 when P=0. */
  paddingSize: number;
}

export class RtpParseError extends Error {
  override readonly name = 'RtpParseError';
}

export function parseRtp(buf: Buffer): RtpPacket {
  const len = buf.length;
  if (len < RTP_FIXED_HEADER_SIZE) throw new RtpParseError(`RTP packet too short: ${len} bytes`);
  const b0 = buf[0]!;
  const b1 = buf[1]!;
  const version = b0 >> 6;
  // RFC 3550 §5.1: "The version defined by this specification is two (2)."
  if (version !== RTP_VERSION) throw new RtpParseError(`RTP version ${version}, expected 2`);
  const padding = (b0 & 0x20) !== 0;
  const extension = (b0 & 0x10) !== 0;
  const cc = b0 & 0x0f;
  let offset = RTP_FIXED_HEADER_SIZE + 4 * cc;
  if (len < offset) throw new RtpParseError(`RTP packet too short for ${cc} CSRCs`);
  const csrc: number[] = new Array<number>(cc);
  for (let i = 0; i < cc; i++) csrc[i] = buf.readUInt32BE(RTP_FIXED_HEADER_SIZE + 4 * i);

  let extensionProfile: number | undefined;
  let extensionData: Buffer | undefined;
  if (extension) {
    if (len < offset + 4) throw new RtpParseError('RTP packet too short for its header extension');
    extensionProfile = buf.readUInt16BE(offset);
    // RFC 3550 §5.3.1: length counts 32-bit words, excluding the four-octet extension header.
    const extLen = buf.readUInt16BE(offset + 2) * 4;
    offset += 4;
    if (len < offset + extLen) throw new RtpParseError('RTP header extension overruns the packet');
    extensionData = buf.subarray(offset, offset + extLen);
    offset += extLen;
  }

  let end = len;
  let paddingSize = 0;
  if (padding) {
    // RFC 3550 §5.1: the last octet of the padding counts how many padding octets,
    // including itself, are to be ignored.
    paddingSize = buf[len - 1]!;
    if (paddingSize === 0 || paddingSize > len - offset) {
      throw new RtpParseError(`RTP padding count ${paddingSize} is invalid`);
    }
    end = len - paddingSize;
  }

  const p: RtpPacket = {
    version,
    padding,
    extension,
    marker: (b1 & 0x80) !== 0,
    payloadType: b1 & 0x7f,
    sequenceNumber: buf.readUInt16BE(2),
    timestamp: buf.readUInt32BE(4),
    ssrc: buf.readUInt32BE(8),
    csrc,
    payload: buf.subarray(offset, end),
    paddingSize,
  };
  if (extension) {
    p.extensionProfile = extensionProfile;
    p.extensionData = extensionData;
  }
  return p;
}

function checkMarshallable(p: RtpPacket): void {
  if (p.csrc.length > 15) throw new RangeError(`RTP allows at most 15 CSRCs, got ${p.csrc.length}`);
  if (p.extension) {
    if (p.extensionProfile === undefined || p.extensionData === undefined) {
      throw new RangeError('RTP extension bit set without extensionProfile/extensionData');
    }
    if (p.extensionData.length % 4 !== 0 || p.extensionData.length > 0xffff * 4) {
      throw new RangeError('RTP header extension must be a multiple of 4 bytes');
    }
  }
  if (p.padding && (p.paddingSize < 1 || p.paddingSize > 255)) {
    throw new RangeError(`RTP paddingSize must be 1..255 when padding is set, got ${p.paddingSize}`);
  }
}

export function rtpHeaderSize(p: RtpPacket): number {
  let n = RTP_FIXED_HEADER_SIZE + 4 * p.csrc.length;
  if (p.extension && p.extensionData) n += 4 + p.extensionData.length;
  return n;
}

/** Bytes marshalRtp will produce: header, payload and padding. */
export function rtpPacketSize(p: RtpPacket): number {
  return rtpHeaderSize(p) + p.payload.length + (p.padding ? p.paddingSize : 0);
}

/**
 * Write p into out at offset without allocating; returns the number of bytes written.
 * Throws RangeError if out is too small or p is not representable.
 */
export function marshalRtpTo(p: RtpPacket, out: Buffer, offset = 0): number {
  checkMarshallable(p);
  const size = rtpPacketSize(p);
  if (out.length - offset < size) throw new RangeError(`RTP needs ${size} bytes, buffer has ${out.length - offset}`);
  out[offset] =
    ((p.version & 0x03) << 6) | (p.padding ? 0x20 : 0) | (p.extension ? 0x10 : 0) | p.csrc.length;
  out[offset + 1] = (p.marker ? 0x80 : 0) | (p.payloadType & 0x7f);
  out.writeUInt16BE(p.sequenceNumber & 0xffff, offset + 2);
  out.writeUInt32BE(p.timestamp >>> 0, offset + 4);
  out.writeUInt32BE(p.ssrc >>> 0, offset + 8);
  let o = offset + RTP_FIXED_HEADER_SIZE;
  for (const c of p.csrc) {
    out.writeUInt32BE(c >>> 0, o);
    o += 4;
  }
  if (p.extension && p.extensionData) {
    out.writeUInt16BE((p.extensionProfile ?? 0) & 0xffff, o);
    out.writeUInt16BE(p.extensionData.length / 4, o + 2);
    o += 4;
    o += p.extensionData.copy(out, o);
  }
  o += p.payload.copy(out, o);
  if (p.padding) {
    // Padding octets other than the count are written as zero (§5.1 leaves them free).
    out.fill(0, o, o + p.paddingSize - 1);
    o += p.paddingSize - 1;
    out[o++] = p.paddingSize;
  }
  return o - offset;
}

export function marshalRtp(p: RtpPacket): Buffer {
  checkMarshallable(p);
  const out = Buffer.allocUnsafe(rtpPacketSize(p));
  marshalRtpTo(p, out, 0);
  return out;
}

/**
 * Write a plain 12-byte header (V=2, no padding, extension or CSRCs) for the hot path;
 * the caller writes the payload at offset + 12. Returns 12.
 */
export function writeRtpHeader(
  out: Buffer,
  offset: number,
  marker: boolean,
  payloadType: number,
  sequenceNumber: number,
  timestamp: number,
  ssrc: number,
): number {
  out[offset] = 0x80;
  out[offset + 1] = (marker ? 0x80 : 0) | (payloadType & 0x7f);
  out[offset + 2] = (sequenceNumber >>> 8) & 0xff;
  out[offset + 3] = sequenceNumber & 0xff;
  out.writeUInt32BE(timestamp >>> 0, offset + 4);
  out.writeUInt32BE(ssrc >>> 0, offset + 8);
  return RTP_FIXED_HEADER_SIZE;
}

/**
 * RFC 5761 §4: on a port shared by RTP and RTCP, a packet whose second octet is
 * 192..223 (RTCP types 192–223, i.e. RTP payload types 64–95 with M set) is RTCP.
 */
export function isRtcpPacket(buf: Uint8Array): boolean {
  if (buf.length < 2) return false;
  const b1 = buf[1]!;
  return b1 >= 192 && b1 <= 223;
}
