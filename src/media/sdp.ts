/**
 * SDP (RFC 4566) as values, and the RFC 3264 offer/answer rules for one G.711 audio
 * stream with RFC 4733 telephone-events.
 *
 * The value keeps every line it understands in its field and every attribute in order
 * (unknown ones included), so that marshalSdp(parseSdp(x)) reproduces x byte for byte
 * when x is written in the RFC's line order with CRLF.
 */

export type SdpErrorCode = 'invalid' | 'incompatible';

/** code 'invalid' → 400 Bad Request; 'incompatible' → 488 Not Acceptable Here. */
export class SdpError extends Error {
  override readonly name = 'SdpError';
  constructor(
    readonly code: SdpErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export interface Origin {
  username: string;
  /** Kept as text: often NTP-derived and beyond 2^53. */
  sessionId: string;
  sessionVersion: string;
  netType: string;
  addrType: string;
  address: string;
}

export interface Connection {
  netType: string;
  addrType: string;
  address: string;
  /** Multicast TTL (IPv4 "/ttl"). */
  ttl?: number;
  /** Multicast address count ("/n"). */
  numAddresses?: number;
}

export interface Bandwidth {
  type: string;
  value: number;
}

export interface Timing {
  start: string;
  stop: string;
  /** r= lines belonging to this t= line, as written. */
  repeats: string[];
}

export interface Attribute {
  name: string;
  /** undefined for property attributes ("a=sendrecv"). */
  value?: string;
}

export interface MediaDescription {
  type: string;
  port: number;
  numPorts?: number;
  protocol: string;
  formats: string[];
  information?: string;
  connections: Connection[];
  bandwidths: Bandwidth[];
  key?: string;
  attributes: Attribute[];
}

export interface SessionDescription {
  version: number;
  origin: Origin;
  sessionName: string;
  information?: string;
  uri?: string;
  emails: string[];
  phones: string[];
  connection?: Connection;
  bandwidths: Bandwidth[];
  timing: Timing[];
  timeZones?: string;
  key?: string;
  attributes: Attribute[];
  media: MediaDescription[];
}

// ---------------------------------------------------------------------------------------
// Parse

function invalid(msg: string): never {
  throw new SdpError('invalid', msg);
}

function parseConnection(v: string): Connection {
  // RFC 4566 §5.7: c=<nettype> <addrtype> <connection-address>
  const parts = v.split(' ');
  if (parts.length !== 3 || parts.some((p) => p === '')) invalid(`bad c= line: ${v}`);
  const [netType, addrType, addrField] = parts as [string, string, string];
  const [address, a, b, extra] = addrField.split('/');
  const c: Connection = { netType, addrType, address: address! };
  const num = (x: string): number => {
    if (!/^\d+$/.test(x)) invalid(`bad c= address suffix: ${addrField}`);
    return Number(x);
  };
  // §5.7: IPv4 multicast is addr/ttl[/count]; IPv6 has no TTL: addr[/count].
  if (addrType === 'IP6') {
    if (b !== undefined) invalid(`bad c= address suffix: ${addrField}`);
    if (a !== undefined) c.numAddresses = num(a);
  } else {
    if (extra !== undefined) invalid(`bad c= address suffix: ${addrField}`);
    if (a !== undefined) c.ttl = num(a);
    if (b !== undefined) c.numAddresses = num(b);
  }
  return c;
}

function parseBandwidth(v: string): Bandwidth {
  const i = v.indexOf(':');
  const value = Number(v.slice(i + 1));
  if (i <= 0 || !Number.isInteger(value) || value < 0 || v.slice(i + 1) === '') invalid(`bad b= line: ${v}`);
  return { type: v.slice(0, i), value };
}

function parseAttribute(v: string): Attribute {
  const i = v.indexOf(':');
  if (i === 0 || v === '') invalid(`bad a= line: ${v}`);
  return i < 0 ? { name: v } : { name: v.slice(0, i), value: v.slice(i + 1) };
}

function parseMedia(v: string): MediaDescription {
  // RFC 4566 §5.14: m=<media> <port>[/<number of ports>] <proto> <fmt> ...
  const parts = v.split(' ');
  if (parts.length < 4 || parts.some((p) => p === '')) invalid(`bad m= line: ${v}`);
  const [type, portField, protocol, ...formats] = parts as [string, string, string, ...string[]];
  const [p, n] = portField.split('/');
  const port = Number(p);
  if (!/^\d+$/.test(p!) || port > 65535) invalid(`bad m= port: ${portField}`);
  const m: MediaDescription = { type, port, protocol, formats, connections: [], bandwidths: [], attributes: [] };
  if (n !== undefined) {
    if (!/^\d+$/.test(n)) invalid(`bad m= port count: ${portField}`);
    m.numPorts = Number(n);
  }
  return m;
}

/** Session-level types that may appear once (RFC 4566 §5). */
const SESSION_ONCE = 'vosiuczk';
const SESSION_TYPES = 'vosiuepcbtrzkam';
const MEDIA_TYPES = 'icbka';

/**
 * Parse SDP text. Throws SdpError 'invalid' for anything that is not SDP: a line that is
 * not <letter>=<value>, an unknown type letter (RFC 4566 §5 says to ignore such a
 * description entirely), a missing v=/o=/s=, or a malformed o=, c=, m=, b= or t= line.
 * NOTE: the §5 line order is not enforced (some devices put a= before c=); marshalSdp
 * writes the canonical order.
 */
export function parseSdp(text: string): SessionDescription {
  // RFC 4566 §5: lines end in CRLF, but parsers "SHOULD be tolerant" of bare LF.
  const lines = text.split(/\r?\n/);
  while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  if (lines.length === 0) invalid('empty SDP');
  const sd: Partial<SessionDescription> & Pick<SessionDescription, 'emails' | 'phones' | 'bandwidths' | 'timing' | 'attributes' | 'media'> = {
    emails: [],
    phones: [],
    bandwidths: [],
    timing: [],
    attributes: [],
    media: [],
  };
  let m: MediaDescription | undefined;
  const seen = new Set<string>();
  for (let n = 0; n < lines.length; n++) {
    const line = lines[n]!;
    if (line.length < 2 || line[1] !== '=' || !/^[a-z]$/.test(line[0]!)) {
      invalid(`line ${n + 1} is not <type>=<value>: ${JSON.stringify(line.slice(0, 40))}`);
    }
    const t = line[0]!;
    const v = line.slice(2);
    if (n === 0 && t !== 'v') invalid('SDP must begin with v=');
    if (m === undefined) {
      if (!SESSION_TYPES.includes(t)) invalid(`unknown SDP line type ${t}= (line ${n + 1})`);
      if (SESSION_ONCE.includes(t)) {
        if (seen.has(t)) invalid(`duplicate ${t}= line (line ${n + 1})`);
        seen.add(t);
      }
      switch (t) {
        case 'v':
          if (v !== '0') invalid(`unsupported SDP version ${v}`);
          sd.version = 0;
          break;
        case 'o': {
          const p = v.split(' ');
          if (p.length !== 6 || p.some((x) => x === '')) invalid(`bad o= line: ${v}`);
          const [username, sessionId, sessionVersion, netType, addrType, address] = p as [string, string, string, string, string, string];
          if (!/^\d+$/.test(sessionId) || !/^\d+$/.test(sessionVersion)) invalid(`o= session id/version must be numeric: ${v}`);
          sd.origin = { username, sessionId, sessionVersion, netType, addrType, address };
          break;
        }
        case 's':
          sd.sessionName = v;
          break;
        case 'i':
          sd.information = v;
          break;
        case 'u':
          sd.uri = v;
          break;
        case 'e':
          sd.emails.push(v);
          break;
        case 'p':
          sd.phones.push(v);
          break;
        case 'c':
          sd.connection = parseConnection(v);
          break;
        case 'b':
          sd.bandwidths.push(parseBandwidth(v));
          break;
        case 't': {
          const p = v.split(' ');
          if (p.length !== 2 || !p.every((x) => /^\d+$/.test(x))) invalid(`bad t= line: ${v}`);
          sd.timing.push({ start: p[0]!, stop: p[1]!, repeats: [] });
          break;
        }
        case 'r': {
          const last = sd.timing[sd.timing.length - 1];
          if (!last) invalid('r= without t=');
          last.repeats.push(v);
          break;
        }
        case 'z':
          sd.timeZones = v;
          break;
        case 'k':
          sd.key = v;
          break;
        case 'a':
          sd.attributes.push(parseAttribute(v));
          break;
        case 'm':
          m = parseMedia(v);
          sd.media.push(m);
          break;
      }
    } else {
      if (t === 'm') {
        m = parseMedia(v);
        sd.media.push(m);
        continue;
      }
      if (!MEDIA_TYPES.includes(t)) invalid(`SDP line ${t}= not allowed in a media section (line ${n + 1})`);
      switch (t) {
        case 'i':
          m.information = v;
          break;
        case 'c':
          m.connections.push(parseConnection(v));
          break;
        case 'b':
          m.bandwidths.push(parseBandwidth(v));
          break;
        case 'k':
          m.key = v;
          break;
        case 'a':
          m.attributes.push(parseAttribute(v));
          break;
      }
    }
  }
  if (sd.version === undefined) invalid('missing v=');
  if (!sd.origin) invalid('missing o=');
  if (sd.sessionName === undefined) invalid('missing s=');
  // NOTE: RFC 4566 requires t=, but some gateways omit it; accept and keep none.
  const out: SessionDescription = { ...sd, version: sd.version, origin: sd.origin, sessionName: sd.sessionName };
  return out;
}

// ---------------------------------------------------------------------------------------
// Marshal

function connectionText(c: Connection): string {
  let s = `${c.netType} ${c.addrType} ${c.address}`;
  if (c.ttl !== undefined) s += `/${c.ttl}`;
  if (c.numAddresses !== undefined) s += `/${c.numAddresses}`;
  return s;
}

function attributeText(a: Attribute): string {
  return a.value === undefined ? a.name : `${a.name}:${a.value}`;
}

/** SDP text with CRLF line ends, fields in RFC 4566 order. */
export function marshalSdp(sd: SessionDescription): string {
  const out: string[] = [];
  const o = sd.origin;
  out.push(`v=${sd.version}`);
  out.push(`o=${o.username} ${o.sessionId} ${o.sessionVersion} ${o.netType} ${o.addrType} ${o.address}`);
  out.push(`s=${sd.sessionName}`);
  if (sd.information !== undefined) out.push(`i=${sd.information}`);
  if (sd.uri !== undefined) out.push(`u=${sd.uri}`);
  for (const e of sd.emails) out.push(`e=${e}`);
  for (const p of sd.phones) out.push(`p=${p}`);
  if (sd.connection) out.push(`c=${connectionText(sd.connection)}`);
  for (const b of sd.bandwidths) out.push(`b=${b.type}:${b.value}`);
  for (const t of sd.timing) {
    out.push(`t=${t.start} ${t.stop}`);
    for (const r of t.repeats) out.push(`r=${r}`);
  }
  if (sd.timeZones !== undefined) out.push(`z=${sd.timeZones}`);
  if (sd.key !== undefined) out.push(`k=${sd.key}`);
  for (const a of sd.attributes) out.push(`a=${attributeText(a)}`);
  for (const m of sd.media) {
    out.push(`m=${m.type} ${m.port}${m.numPorts !== undefined ? `/${m.numPorts}` : ''} ${m.protocol} ${m.formats.join(' ')}`);
    if (m.information !== undefined) out.push(`i=${m.information}`);
    for (const c of m.connections) out.push(`c=${connectionText(c)}`);
    for (const b of m.bandwidths) out.push(`b=${b.type}:${b.value}`);
    if (m.key !== undefined) out.push(`k=${m.key}`);
    for (const a of m.attributes) out.push(`a=${attributeText(a)}`);
  }
  return out.join('\r\n') + '\r\n';
}

// ---------------------------------------------------------------------------------------
// Offer/answer (RFC 3264) for G.711 audio

export type Direction = 'sendrecv' | 'sendonly' | 'recvonly' | 'inactive';
export type AudioCodecName = 'PCMU' | 'PCMA';

export interface LocalAudio {
  address: string;
  port: number;
  /** Codecs we accept; for offers, also our order of preference. */
  codecs: AudioCodecName[];
  telephoneEvent: boolean;
  sessionId?: string;
  sessionVersion?: number;
  /** Our direction in an offer (hold: 'sendonly'); default sendrecv. */
  direction?: Direction;
  /** Packetisation time we send, default 20 ms. */
  ptime?: number;
  /**
   * Our previous SDP in this dialog, for re-INVITEs: RFC 3264 §8 requires the same o=
   * line with the version incremented by one. Overrides sessionId/sessionVersion.
   */
  previous?: SessionDescription;
}

export interface NegotiatedAudio {
  codec: { name: AudioCodecName; payloadType: number };
  /** Payload type for RFC 4733 events at 8000 Hz, if both sides use them. */
  telephoneEventPt?: number;
  /** Where to send RTP. Address 0.0.0.0 means "do not send" (RFC 3264 §8.4). */
  remote: { address: string; port: number };
  /** Where to send RTCP when the peer said so with a=rtcp (RFC 3605); else port + 1. */
  remoteRtcp?: { address: string; port: number };
  /** What we may do: send, receive, both or neither. */
  direction: Direction;
  /** The peer's a=ptime (ms), if given. */
  ptime?: number;
}

export interface AnswerResult extends NegotiatedAudio {
  answer: SessionDescription;
}

/** RFC 3551 §6 static payload types that we speak. */
const STATIC_PT: Record<number, AudioCodecName> = { 0: 'PCMU', 8: 'PCMA' };
const DEFAULT_PT: Record<AudioCodecName, number> = { PCMU: 0, PCMA: 8 };
const TELEPHONE_EVENT_PT = 101;
const DTMF_EVENTS = '0-15';

function attr(attrs: readonly Attribute[], name: string): Attribute | undefined {
  const n = name.toLowerCase();
  return attrs.find((a) => a.name.toLowerCase() === n);
}

interface Rtpmap {
  encoding: string;
  clockRate: number;
  channels: number;
}

function rtpmaps(m: MediaDescription): Map<string, Rtpmap> {
  const out = new Map<string, Rtpmap>();
  for (const a of m.attributes) {
    if (a.name.toLowerCase() !== 'rtpmap' || a.value === undefined) continue;
    // RFC 4566 §6: a=rtpmap:<payload type> <encoding name>/<clock rate>[/<encoding parameters>]
    const match = /^(\d+)\s+([^/\s]+)\/(\d+)(?:\/(\d+))?\s*$/.exec(a.value);
    if (!match) continue;
    out.set(match[1]!, { encoding: match[2]!, clockRate: Number(match[3]), channels: match[4] ? Number(match[4]) : 1 });
  }
  return out;
}

function fmtp(m: MediaDescription, pt: string): string | undefined {
  for (const a of m.attributes) {
    if (a.name.toLowerCase() !== 'fmtp' || a.value === undefined) continue;
    const sp = a.value.indexOf(' ');
    if (sp > 0 && a.value.slice(0, sp) === pt) return a.value.slice(sp + 1).trim();
  }
  return undefined;
}

/** The codec a format stands for, by rtpmap or the static table (RFC 3551). */
function codecOf(m: MediaDescription, maps: Map<string, Rtpmap>, pt: string): AudioCodecName | 'telephone-event' | undefined {
  const r = maps.get(pt);
  if (r) {
    if (r.clockRate !== 8000 || r.channels !== 1) return undefined;
    const name = r.encoding.toUpperCase();
    if (name === 'PCMU' || name === 'PCMA') return name;
    if (name === 'TELEPHONE-EVENT') return 'telephone-event';
    return undefined;
  }
  const n = Number(pt);
  return /^\d+$/.test(pt) ? STATIC_PT[n] : undefined;
}

function mediaDirection(sd: SessionDescription, m: MediaDescription): Direction {
  // RFC 4566 §6 / RFC 3264 §5.1: media-level overrides session-level; default sendrecv.
  for (const attrs of [m.attributes, sd.attributes]) {
    for (const a of attrs) {
      const n = a.name.toLowerCase();
      if (n === 'sendrecv' || n === 'sendonly' || n === 'recvonly' || n === 'inactive') return n;
    }
  }
  return 'sendrecv';
}

function connectionOf(sd: SessionDescription, m: MediaDescription): Connection | undefined {
  return m.connections[0] ?? sd.connection;
}

/** Our direction given the peer's (RFC 3264 §6.1 table). */
function mirror(d: Direction): Direction {
  return d === 'sendonly' ? 'recvonly' : d === 'recvonly' ? 'sendonly' : d;
}

function combine(ours: Direction, allowed: Direction): Direction {
  const send = (ours === 'sendrecv' || ours === 'sendonly') && (allowed === 'sendrecv' || allowed === 'sendonly');
  const recv = (ours === 'sendrecv' || ours === 'recvonly') && (allowed === 'sendrecv' || allowed === 'recvonly');
  return send && recv ? 'sendrecv' : send ? 'sendonly' : recv ? 'recvonly' : 'inactive';
}

function isNullAddress(address: string): boolean {
  return address === '0.0.0.0' || address === '::';
}

/** The peer's stance: its direction, with RFC 2543 hold (c=0.0.0.0) meaning "do not send to me". */
function peerDirection(sd: SessionDescription, m: MediaDescription, c: Connection): Direction {
  const d = mediaDirection(sd, m);
  if (!isNullAddress(c.address)) return d;
  // RFC 3264 §8.4: an offer with c=0.0.0.0 asks that no media be sent to it.
  return d === 'sendrecv' || d === 'sendonly' ? 'sendonly' : 'inactive';
}

function parseEventList(list: string | undefined): Set<number> {
  const out = new Set<number>();
  if (list === undefined) {
    // RFC 4733 §2.4.1: without "events", 0-15 are assumed.
    for (let i = 0; i <= 15; i++) out.add(i);
    return out;
  }
  for (const part of list.split(',')) {
    const m = /^\s*(\d+)(?:-(\d+))?\s*$/.exec(part);
    if (!m) continue;
    const a = Number(m[1]);
    const b = m[2] === undefined ? a : Number(m[2]);
    for (let i = a; i <= Math.min(b, 255); i++) out.add(i);
  }
  return out;
}

function formatEventList(events: Set<number>): string {
  const sorted = [...events].sort((x, y) => x - y);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j]! + 1) j++;
    parts.push(i === j ? `${sorted[i]}` : `${sorted[i]}-${sorted[j]}`);
    i = j + 1;
  }
  return parts.join(',');
}

function ptimeOf(sd: SessionDescription, m: MediaDescription): number | undefined {
  const a = attr(m.attributes, 'ptime') ?? attr(sd.attributes, 'ptime');
  const v = a?.value === undefined ? NaN : Number(a.value);
  return Number.isFinite(v) && v > 0 ? v : undefined;
}

/** RFC 3605 a=rtcp:<port> [<nettype> <addrtype> <address>] */
function rtcpOf(m: MediaDescription, c: Connection): { address: string; port: number } | undefined {
  const a = attr(m.attributes, 'rtcp');
  if (!a?.value) return undefined;
  const p = a.value.trim().split(/\s+/);
  const port = Number(p[0]);
  if (!Number.isInteger(port) || port <= 0 || port > 65535) return undefined;
  return { address: p.length >= 4 ? p[3]! : c.address, port };
}

function addrType(address: string): 'IP4' | 'IP6' {
  return address.includes(':') ? 'IP6' : 'IP4';
}

function randomSessionId(): string {
  // RFC 4566 §5.2 suggests an NTP-format timestamp; any unique number will do.
  return String(Math.floor(Math.random() * 0x7fffffff) + 1);
}

function audioMedia(local: LocalAudio, codecs: Array<{ name: AudioCodecName; pt: number }>, te: { pt: number; events: string } | undefined, direction: Direction): MediaDescription {
  const formats = codecs.map((c) => String(c.pt));
  const attributes: Attribute[] = codecs.map((c) => ({ name: 'rtpmap', value: `${c.pt} ${c.name}/8000` }));
  if (te) {
    formats.push(String(te.pt));
    attributes.push({ name: 'rtpmap', value: `${te.pt} telephone-event/8000` }, { name: 'fmtp', value: `${te.pt} ${te.events}` });
  }
  attributes.push({ name: 'ptime', value: String(local.ptime ?? 20) }, { name: direction });
  return { type: 'audio', port: local.port, protocol: 'RTP/AVP', formats, connections: [], bandwidths: [], attributes };
}

function session(local: LocalAudio, media: MediaDescription[]): SessionDescription {
  const at = addrType(local.address);
  const prev = local.previous?.origin;
  const sessionId = prev?.sessionId ?? local.sessionId ?? randomSessionId();
  // o= numbers may exceed 2^53 (NTP-based), hence BigInt for the increment.
  const sessionVersion = prev ? (BigInt(prev.sessionVersion) + 1n).toString() : String(local.sessionVersion ?? sessionId);
  return {
    version: 0,
    origin: {
      username: prev?.username ?? 'surgeline',
      sessionId,
      sessionVersion,
      netType: 'IN',
      addrType: at,
      address: local.address,
    },
    sessionName: '-',
    emails: [],
    phones: [],
    connection: { netType: 'IN', addrType: at, address: local.address },
    bandwidths: [],
    timing: [{ start: '0', stop: '0', repeats: [] }],
    attributes: [],
    media,
  };
}

/** RTP/AVP and its feedback variant carry plain RTP; secure profiles we cannot answer. */
function plainRtp(protocol: string): boolean {
  const p = protocol.toUpperCase();
  return p === 'RTP/AVP' || p === 'RTP/AVPF';
}

/**
 * Answer an offer (RFC 3264 §6): accept the first usable audio stream with the first
 * offered codec we support (the offerer's preference order, §5.1), add telephone-event
 * with the offerer's payload type if both sides want it, and reject every other stream
 * by port 0 with the same media type, protocol and formats (§6). Throws SdpError
 * 'incompatible' (→ 488) when no audio stream can be accepted.
 */
export function answerOffer(offer: SessionDescription, local: LocalAudio): AnswerResult {
  let chosen: { index: number; negotiated: NegotiatedAudio; media: MediaDescription } | undefined;
  const reasons: string[] = [];
  offer.media.forEach((m, index) => {
    if (chosen || m.type !== 'audio' || m.port === 0) return;
    if (!plainRtp(m.protocol)) return void reasons.push(`audio over ${m.protocol}`);
    const c = connectionOf(offer, m);
    if (!c) throw new SdpError('invalid', `audio stream ${index} has no c= line`);
    const maps = rtpmaps(m);
    let codec: { name: AudioCodecName; payloadType: number } | undefined;
    let tePt: number | undefined;
    for (const f of m.formats) {
      const k = codecOf(m, maps, f);
      if (k === 'telephone-event') {
        if (tePt === undefined) tePt = Number(f);
      } else if (k !== undefined && !codec && local.codecs.includes(k)) {
        codec = { name: k, payloadType: Number(f) };
      }
    }
    if (!codec) return void reasons.push(`no common codec in [${m.formats.join(' ')}]`);
    const peer = peerDirection(offer, m, c);
    const direction = combine(local.direction ?? 'sendrecv', mirror(peer));
    const negotiated: NegotiatedAudio = { codec, remote: { address: c.address, port: m.port }, direction };
    let te: { pt: number; events: string } | undefined;
    if (local.telephoneEvent && tePt !== undefined) {
      const offered = parseEventList(fmtp(m, String(tePt)));
      const ours = new Set([...offered].filter((e) => e <= 15));
      if (ours.size > 0) {
        negotiated.telephoneEventPt = tePt;
        te = { pt: tePt, events: formatEventList(ours) };
      }
    }
    const ptime = ptimeOf(offer, m);
    if (ptime !== undefined) negotiated.ptime = ptime;
    const rtcp = rtcpOf(m, c);
    if (rtcp) negotiated.remoteRtcp = rtcp;
    chosen = { index, negotiated, media: audioMedia(local, [{ name: codec.name, pt: codec.payloadType }], te, direction) };
  });
  if (!chosen) {
    throw new SdpError('incompatible', `no acceptable audio stream${reasons.length ? ': ' + reasons.join('; ') : ''}`);
  }
  const picked = chosen;
  const media = offer.media.map((m, i): MediaDescription => {
    if (i === picked.index) return picked.media;
    // §6: a rejected stream keeps its m= line with port 0 and at least one format.
    return { type: m.type, port: 0, protocol: m.protocol, formats: [...m.formats], connections: [], bandwidths: [], attributes: [] };
  });
  return { ...picked.negotiated, answer: session(local, media) };
}

/** An offer with one audio stream: our codecs in preference order, then telephone-event 101. */
export function createOffer(local: LocalAudio): SessionDescription {
  if (local.codecs.length === 0) throw new RangeError('createOffer needs at least one codec');
  const codecs = local.codecs.map((name) => ({ name, pt: DEFAULT_PT[name] }));
  const te = local.telephoneEvent ? { pt: TELEPHONE_EVENT_PT, events: DTMF_EVENTS } : undefined;
  return session(local, [audioMedia(local, codecs, te, local.direction ?? 'sendrecv')]);
}

/**
 * Read the answer to one of our offers (RFC 3264 §7): same number of m= lines, our audio
 * stream accepted (port ≠ 0) with a codec we offered. Throws SdpError 'incompatible' if
 * it was rejected, 'invalid' if the answer does not fit the offer.
 */
export function parseAnswer(offer: SessionDescription, answer: SessionDescription): NegotiatedAudio {
  if (answer.media.length !== offer.media.length) {
    throw new SdpError('invalid', `answer has ${answer.media.length} m= lines, offer had ${offer.media.length}`);
  }
  const index = offer.media.findIndex((m) => m.type === 'audio' && m.port !== 0);
  if (index < 0) throw new SdpError('invalid', 'the offer has no audio stream');
  const om = offer.media[index]!;
  const am = answer.media[index]!;
  if (am.type !== 'audio') throw new SdpError('invalid', `answer m= line ${index} is ${am.type}, not audio`);
  if (am.port === 0) throw new SdpError('incompatible', 'the audio stream was rejected (port 0)');
  const c = connectionOf(answer, am);
  if (!c) throw new SdpError('invalid', 'the answer has no c= line for audio');
  const offeredMaps = rtpmaps(om);
  const answerMaps = rtpmaps(am);
  let codec: { name: AudioCodecName; payloadType: number } | undefined;
  let tePt: number | undefined;
  for (const f of am.formats) {
    // §6.1: the answerer uses our payload type numbers; read its rtpmap if it gave one.
    const k = codecOf(am, answerMaps, f) ?? (om.formats.includes(f) ? codecOf(om, offeredMaps, f) : undefined);
    if (k === 'telephone-event') {
      if (tePt === undefined && om.formats.includes(f)) tePt = Number(f);
    } else if (k !== undefined && !codec && om.formats.includes(f)) {
      codec = { name: k, payloadType: Number(f) };
    }
  }
  if (!codec) throw new SdpError('incompatible', `no offered codec in the answer [${am.formats.join(' ')}]`);
  const ours = mediaDirection(offer, om);
  const direction = combine(ours, mirror(peerDirection(answer, am, c)));
  const out: NegotiatedAudio = { codec, remote: { address: c.address, port: am.port }, direction };
  if (tePt !== undefined) out.telephoneEventPt = tePt;
  const ptime = ptimeOf(answer, am);
  if (ptime !== undefined) out.ptime = ptime;
  const rtcp = rtcpOf(am, c);
  if (rtcp) out.remoteRtcp = rtcp;
  return out;
}
