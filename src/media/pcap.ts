/**
 * Pure capture-file handling for tests and benchmarks: read classic pcap and pcapng,
 * pull UDP datagrams out of Ethernet / Linux-cooked / raw-IP / loopback frames, and write
 * classic pcap files of Ethernet+IPv4+UDP frames (e.g. a PCMU pcap for SIPp, which ships
 * only a PCMA one).
 *
 * rtpPcapFromG711 turns 8 kHz G.711 bytes into such a file of RTP packets, 20 ms each.
 *
 * Formats: pcap (https://www.tcpdump.org/manpages/pcap-savefile.5.html, both byte
 * orders, µs and ns magic) and pcapng (draft-ietf-opsawg-pcapng: SHB, IDB with
 * if_tsresol, EPB, SPB; other blocks skipped).
 */

import { writeRtpHeader } from './rtp/packet.ts';

export class PcapError extends Error {
  override readonly name = 'PcapError';
}

export const LINKTYPE_NULL = 0;
export const LINKTYPE_ETHERNET = 1;
export const LINKTYPE_RAW = 101;
export const LINKTYPE_LINUX_SLL = 113;
export const LINKTYPE_IPV4 = 228;
export const LINKTYPE_IPV6 = 229;
export const LINKTYPE_LINUX_SLL2 = 276;

export interface PcapPacket {
  /** Capture time in seconds since the epoch (fractional). */
  ts: number;
  /** The captured frame, a view into the input buffer. */
  data: Buffer;
  linkType: number;
  /** Length on the wire (data may be truncated by the snap length). */
  origLen: number;
}

export interface UdpDatagram {
  ts: number;
  srcAddr: string;
  dstAddr: string;
  srcPort: number;
  dstPort: number;
  /** A view into the input buffer. */
  payload: Buffer;
}

/** Read every packet of a pcap or pcapng file. */
export function readPcap(buf: Buffer): PcapPacket[] {
  if (buf.length < 4) throw new PcapError('capture file too short');
  const magic = buf.readUInt32LE(0);
  if (magic === 0x0a0d0d0a) return readPcapng(buf);
  return readClassic(buf);
}

function readClassic(buf: Buffer): PcapPacket[] {
  if (buf.length < 24) throw new PcapError('pcap global header truncated');
  const m = buf.readUInt32LE(0);
  let le: boolean;
  let nanos: boolean;
  if (m === 0xa1b2c3d4) [le, nanos] = [true, false];
  else if (m === 0xa1b23c4d) [le, nanos] = [true, true];
  else if (m === 0xd4c3b2a1) [le, nanos] = [false, false];
  else if (m === 0x4d3cb2a1) [le, nanos] = [false, true];
  else throw new PcapError(`not a pcap file (magic 0x${m.toString(16)})`);
  const u32 = (o: number): number => (le ? buf.readUInt32LE(o) : buf.readUInt32BE(o));
  // The link type shares its word with FCS bits in newer writers; the low 16 bits carry it.
  const linkType = u32(20) & 0xffff;
  const out: PcapPacket[] = [];
  let o = 24;
  while (o < buf.length) {
    if (o + 16 > buf.length) throw new PcapError(`pcap record header truncated at ${o}`);
    const sec = u32(o);
    const frac = u32(o + 4);
    const incl = u32(o + 8);
    const orig = u32(o + 12);
    o += 16;
    if (o + incl > buf.length) throw new PcapError(`pcap record truncated at ${o}`);
    out.push({ ts: sec + frac / (nanos ? 1e9 : 1e6), data: buf.subarray(o, o + incl), linkType, origLen: orig });
    o += incl;
  }
  return out;
}

interface Iface {
  linkType: number;
  /** Timestamp units per second. */
  unitsPerSec: number;
}

function readPcapng(buf: Buffer): PcapPacket[] {
  const out: PcapPacket[] = [];
  let ifaces: Iface[] = [];
  let le = true;
  let o = 0;
  while (o < buf.length) {
    if (o + 12 > buf.length) throw new PcapError(`pcapng block truncated at ${o}`);
    const rawType = buf.readUInt32LE(o);
    if (rawType === 0x0a0d0d0a) {
      // Section Header Block: the byte-order magic decides how the section is read.
      const bom = buf.readUInt32LE(o + 8);
      if (bom === 0x1a2b3c4d) le = true;
      else if (bom === 0x4d3c2b1a) le = false;
      else throw new PcapError('pcapng byte-order magic invalid');
      ifaces = [];
    }
    const u32 = (p: number): number => (le ? buf.readUInt32LE(p) : buf.readUInt32BE(p));
    const u16 = (p: number): number => (le ? buf.readUInt16LE(p) : buf.readUInt16BE(p));
    const type = u32(o);
    const len = u32(o + 4);
    if (len < 12 || len % 4 !== 0 || o + len > buf.length) throw new PcapError(`pcapng block length ${len} invalid at ${o}`);
    const body = o + 8;
    const bodyEnd = o + len - 4;
    if (type === 1) {
      // Interface Description Block
      const iface: Iface = { linkType: u16(body), unitsPerSec: 1e6 };
      let p = body + 8;
      while (p + 4 <= bodyEnd) {
        const code = u16(p);
        const olen = u16(p + 2);
        if (code === 0) break;
        if (code === 9 && olen >= 1) {
          // if_tsresol: MSB clear → 10^-n, set → 2^-n
          const r = buf[p + 4]!;
          iface.unitsPerSec = r & 0x80 ? 2 ** (r & 0x7f) : 10 ** r;
        }
        p += 4 + olen + ((4 - (olen % 4)) % 4);
      }
      ifaces.push(iface);
    } else if (type === 6) {
      // Enhanced Packet Block
      const iface = ifaces[u32(body)];
      if (!iface) throw new PcapError(`pcapng packet refers to unknown interface ${u32(body)}`);
      const tsHigh = u32(body + 4);
      const tsLow = u32(body + 8);
      const capLen = u32(body + 12);
      const origLen = u32(body + 16);
      const d = body + 20;
      if (d + capLen > bodyEnd) throw new PcapError(`pcapng packet overruns its block at ${o}`);
      out.push({
        ts: (tsHigh * 0x100000000 + tsLow) / iface.unitsPerSec,
        data: buf.subarray(d, d + capLen),
        linkType: iface.linkType,
        origLen,
      });
    } else if (type === 3) {
      // Simple Packet Block: no timestamp, interface 0
      const iface = ifaces[0];
      if (!iface) throw new PcapError('pcapng simple packet without interface');
      const origLen = u32(body);
      const capLen = Math.min(origLen, bodyEnd - body - 4);
      out.push({ ts: 0, data: buf.subarray(body + 4, body + 4 + capLen), linkType: iface.linkType, origLen });
    }
    o += len;
  }
  return out;
}

function ipv4String(b: Buffer, o: number): string {
  return `${b[o]}.${b[o + 1]}.${b[o + 2]}.${b[o + 3]}`;
}

function ipv6String(b: Buffer, o: number): string {
  const parts: string[] = [];
  for (let i = 0; i < 8; i++) parts.push(b.readUInt16BE(o + 2 * i).toString(16));
  return parts.join(':');
}

/** Offset of the IP header within a frame, and its version, or undefined if not IP. */
function ipOffset(data: Buffer, linkType: number): number | undefined {
  switch (linkType) {
    case LINKTYPE_ETHERNET: {
      let o = 12;
      if (data.length < 14) return undefined;
      let etherType = data.readUInt16BE(o);
      // 802.1Q / 802.1ad VLAN tags
      while ((etherType === 0x8100 || etherType === 0x88a8) && data.length >= o + 6) {
        o += 4;
        etherType = data.readUInt16BE(o);
      }
      return etherType === 0x0800 || etherType === 0x86dd ? o + 2 : undefined;
    }
    case LINKTYPE_LINUX_SLL: {
      if (data.length < 16) return undefined;
      const proto = data.readUInt16BE(14);
      return proto === 0x0800 || proto === 0x86dd ? 16 : undefined;
    }
    case LINKTYPE_LINUX_SLL2: {
      if (data.length < 20) return undefined;
      const proto = data.readUInt16BE(0);
      return proto === 0x0800 || proto === 0x86dd ? 20 : undefined;
    }
    case LINKTYPE_NULL:
      // 4-byte address family in the capturing host's byte order.
      return data.length >= 4 ? 4 : undefined;
    case LINKTYPE_RAW:
    case LINKTYPE_IPV4:
    case LINKTYPE_IPV6:
    case 12: // DLT_RAW on some BSDs
    case 14:
      return 0;
    default:
      return undefined;
  }
}

/**
 * The UDP datagram carried by a captured frame, or undefined for anything else (other
 * protocols, non-first IP fragments, truncated frames).
 */
export function extractUdp(pkt: PcapPacket): UdpDatagram | undefined {
  const data = pkt.data;
  const ip = ipOffset(data, pkt.linkType);
  if (ip === undefined || data.length < ip + 1) return undefined;
  const version = data[ip]! >> 4;
  let udp: number;
  let srcAddr: string;
  let dstAddr: string;
  let ipEnd: number;
  if (version === 4) {
    if (data.length < ip + 20) return undefined;
    const ihl = (data[ip]! & 0x0f) * 4;
    const totalLen = data.readUInt16BE(ip + 2);
    const frag = data.readUInt16BE(ip + 6);
    if (data[ip + 9] !== 17) return undefined;
    if ((frag & 0x1fff) !== 0 || (frag & 0x2000) !== 0) return undefined; // fragments
    udp = ip + ihl;
    srcAddr = ipv4String(data, ip + 12);
    dstAddr = ipv4String(data, ip + 16);
    ipEnd = Math.min(data.length, ip + totalLen);
  } else if (version === 6) {
    if (data.length < ip + 40) return undefined;
    if (data[ip + 6] !== 17) return undefined; // extension headers not followed
    udp = ip + 40;
    srcAddr = ipv6String(data, ip + 8);
    dstAddr = ipv6String(data, ip + 24);
    ipEnd = Math.min(data.length, udp + data.readUInt16BE(ip + 4));
  } else {
    return undefined;
  }
  if (ipEnd < udp + 8) return undefined;
  const udpLen = data.readUInt16BE(udp + 4);
  const end = Math.min(ipEnd, udp + Math.max(8, udpLen));
  return {
    ts: pkt.ts,
    srcAddr,
    dstAddr,
    srcPort: data.readUInt16BE(udp),
    dstPort: data.readUInt16BE(udp + 2),
    payload: data.subarray(udp + 8, end),
  };
}

/** Every UDP datagram in a capture file, in file order. */
export function readUdpFromPcap(buf: Buffer): UdpDatagram[] {
  const out: UdpDatagram[] = [];
  for (const p of readPcap(buf)) {
    const d = extractUdp(p);
    if (d) out.push(d);
  }
  return out;
}

function ipv4Bytes(addr: string): number[] {
  const parts = addr.split('.').map((x) => Number(x));
  if (parts.length !== 4 || parts.some((x) => !Number.isInteger(x) || x < 0 || x > 255)) {
    throw new RangeError(`not an IPv4 address: ${addr}`);
  }
  return parts;
}

/** An Ethernet II + IPv4 + UDP frame around payload (IPv4 header checksum filled, UDP checksum 0). */
export function ethernetIpv4UdpFrame(d: Omit<UdpDatagram, 'ts'>): Buffer {
  const frame = Buffer.alloc(14 + 20 + 8 + d.payload.length);
  // Locally administered MACs: captures carry no real hardware addresses.
  Buffer.from('020000000002020000000001', 'hex').copy(frame, 0);
  frame.writeUInt16BE(0x0800, 12);
  const ip = 14;
  frame[ip] = 0x45;
  frame.writeUInt16BE(20 + 8 + d.payload.length, ip + 2);
  frame.writeUInt16BE(0x4000, ip + 6); // DF
  frame[ip + 8] = 64;
  frame[ip + 9] = 17;
  Buffer.from(ipv4Bytes(d.srcAddr)).copy(frame, ip + 12);
  Buffer.from(ipv4Bytes(d.dstAddr)).copy(frame, ip + 16);
  let sum = 0;
  for (let i = 0; i < 20; i += 2) sum += frame.readUInt16BE(ip + i);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  frame.writeUInt16BE(~sum & 0xffff, ip + 10);
  const udp = ip + 20;
  frame.writeUInt16BE(d.srcPort, udp);
  frame.writeUInt16BE(d.dstPort, udp + 2);
  frame.writeUInt16BE(8 + d.payload.length, udp + 4);
  d.payload.copy(frame, udp + 8);
  return frame;
}

/** A classic little-endian microsecond pcap file. */
export function writePcap(packets: ReadonlyArray<{ ts: number; data: Buffer }>, linkType = LINKTYPE_ETHERNET): Buffer {
  const header = Buffer.alloc(24);
  header.writeUInt32LE(0xa1b2c3d4, 0);
  header.writeUInt16LE(2, 4);
  header.writeUInt16LE(4, 6);
  header.writeUInt32LE(65535, 16);
  header.writeUInt32LE(linkType, 20);
  const parts: Buffer[] = [header];
  for (const p of packets) {
    const rec = Buffer.alloc(16);
    let sec = Math.floor(p.ts);
    let usec = Math.round((p.ts - sec) * 1e6);
    if (usec >= 1e6) {
      sec += 1;
      usec -= 1e6;
    }
    rec.writeUInt32LE(sec, 0);
    rec.writeUInt32LE(usec, 4);
    rec.writeUInt32LE(p.data.length, 8);
    rec.writeUInt32LE(p.data.length, 12);
    parts.push(rec, p.data);
  }
  return Buffer.concat(parts);
}

export interface RtpPcapOptions {
  /** 0 for PCMU, 8 for PCMA. */
  payloadType: number;
  ssrc?: number;
  firstSeq?: number;
  firstTimestamp?: number;
  /** Samples (= bytes) per packet, default 160 (20 ms). */
  samplesPerPacket?: number;
  srcAddr?: string;
  dstAddr?: string;
  srcPort?: number;
  dstPort?: number;
  /** Capture time of the first packet, seconds since the epoch. */
  startTime?: number;
}

/**
 * An Ethernet pcap of RTP packets carrying g711 (8 kHz, one byte per sample), paced
 * samplesPerPacket / 8000 s apart, marker bit on the first. A trailing partial packet is
 * padded with the payload's last byte value (silence for prompts ending in silence).
 */
export function rtpPcapFromG711(g711: Buffer, opts: RtpPcapOptions): Buffer {
  const spp = opts.samplesPerPacket ?? 160;
  const ssrc = opts.ssrc ?? 0x5e7f1ee7;
  let seq = opts.firstSeq ?? 1;
  let ts = opts.firstTimestamp ?? 0;
  const t0 = opts.startTime ?? 1_700_000_000;
  const packets: Array<{ ts: number; data: Buffer }> = [];
  for (let off = 0, i = 0; off < g711.length; off += spp, i++) {
    const payload = Buffer.alloc(12 + spp, g711[g711.length - 1] ?? 0);
    writeRtpHeader(payload, 0, i === 0, opts.payloadType, seq, ts, ssrc);
    g711.copy(payload, 12, off, Math.min(g711.length, off + spp));
    packets.push({
      ts: t0 + (i * spp) / 8000,
      data: ethernetIpv4UdpFrame({
        srcAddr: opts.srcAddr ?? '127.0.0.1',
        dstAddr: opts.dstAddr ?? '127.0.0.1',
        srcPort: opts.srcPort ?? 6000,
        dstPort: opts.dstPort ?? 6002,
        payload,
      }),
    });
    seq = (seq + 1) & 0xffff;
    ts = (ts + spp) >>> 0;
  }
  return writePcap(packets);
}
