/**
 * SDP (RFC 4566) as values: parse and marshal. The offer/answer rules live in
 * sdp-negotiate.ts.
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

export function invalid(msg: string): never {
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
