/**
 * RFC 3264 offer/answer for one G.711 audio stream with RFC 4733 telephone-events, over
 * the SDP values of sdp.ts: answer an offer, make an offer, read an answer.
 */
import { invalid, SdpError, type Attribute, type Connection, type MediaDescription, type SessionDescription } from './sdp.ts';

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
