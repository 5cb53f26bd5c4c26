/**
 * Header access and the structured header codecs (RFC 3261 §7.3, §20, §25.1): Via,
 * name-addr (From, To, Contact, Route, Record-Route, ...), CSeq and generic parameters.
 *
 * Messages are values: the helpers that "change" a header return a new message and never
 * touch the one they are given.
 *
 * Parameters (Params) keep insertion order, lower-case names (they compare
 * case-insensitively, §7.3.1) and values exactly as written, quotes included, because a
 * quoted value and a token value can mean different things (RFC 3840 feature tags).
 */
import { isIPv6 } from 'node:net';
import type { CSeq, Header, NameAddr, Params, SipMessage, Via } from './message.ts';
import { SipParseError, canonicalHeaderName, isToken, trimWs } from './parser.ts';
import { uriScheme } from './uri.ts';

export { canonicalHeaderName } from './parser.ts';

const fail = (reason: string): never => {
  throw new SipParseError(reason);
};

const TOKEN_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-.!%*_+`'~";
const TOKEN = new Uint8Array(128);
for (const ch of TOKEN_CHARS) TOKEN[ch.charCodeAt(0)] = 1;
const HOST = new Uint8Array(128);
for (const ch of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._') HOST[ch.charCodeAt(0)] = 1;

const isTokenChar = (c: number): boolean => c < 128 && TOKEN[c] === 1;
const isWs = (c: number): boolean => c === 32 || c === 9;

function skipWs(s: string, i: number): number {
  while (i < s.length && isWs(s.charCodeAt(i))) i++;
  return i;
}

function readToken(s: string, i: number): number {
  while (i < s.length && isTokenChar(s.charCodeAt(i))) i++;
  return i;
}

/** Index just past the closing quote of the quoted-string opening at `i` (§25.1 quoted-pair aware). */
function scanQuoted(s: string, i: number): number {
  for (let j = i + 1; j < s.length; j++) {
    const c = s.charCodeAt(j);
    if (c === 92 /* \ */) j++;
    else if (c === 34 /* " */) return j + 1;
  }
  return fail('unterminated quoted string');
}

/** The content of a quoted-string with its quoted-pairs resolved; other text is returned as is. */
export function unquote(s: string): string {
  if (s.length < 2 || s.charCodeAt(0) !== 34 || s.charCodeAt(s.length - 1) !== 34) return s;
  return s.slice(1, -1).replace(/\\([\s\S])/g, '$1');
}

/** A quoted-string for `s` (CR and LF, which no quoted-pair can carry, become spaces). */
export function quote(s: string): string {
  return '"' + s.replace(/[\r\n]/g, ' ').replace(/["\\]/g, '\\$&') + '"';
}

// gen-value = token / host / quoted-string: unquoted values are printable ASCII without
// separators; an IPv6 reference (with or without brackets, RFC 5118 §4.5) fits in that.
function isValueChar(c: number): boolean {
  return c > 32 && c < 127 && c !== 59 && c !== 44 && c !== 34 && c !== 60 && c !== 62 && c !== 92;
}

/** Reads `*( SEMI generic-param )` from `i` to the end of `s` into `out`. */
function readParams(s: string, i: number, out: Params): void {
  const n = s.length;
  for (;;) {
    i = skipWs(s, i);
    if (i >= n) return;
    if (s.charCodeAt(i) !== 59 /* ; */) fail('malformed parameters');
    i = skipWs(s, i + 1);
    const nameStart = i;
    i = readToken(s, i);
    if (i === nameStart) fail('empty parameter');
    const name = s.slice(nameStart, i).toLowerCase();
    i = skipWs(s, i);
    let value: string | null = null;
    if (s.charCodeAt(i) === 61 /* = */) {
      i = skipWs(s, i + 1);
      const valueStart = i;
      if (s.charCodeAt(i) === 34) i = scanQuoted(s, i);
      else while (i < n && isValueChar(s.charCodeAt(i))) i++;
      if (i === valueStart) fail('empty parameter value');
      value = s.slice(valueStart, i);
    }
    if (!out.has(name)) out.set(name, value);
  }
}

/** Parses `;a=b;c;d="e f"` (the leading ';' is optional). */
export function parseParams(text: string): Params {
  const out: Params = new Map();
  const i = skipWs(text, 0);
  if (i >= text.length) return out;
  if (text.charCodeAt(i) === 59) readParams(text, i, out);
  else readParams(';' + text, 0, out);
  return out;
}

/** `;name=value;flag` for every parameter, in order; values are written as stored. */
export function formatParams(params: Params): string {
  let out = '';
  for (const [k, v] of params) out += v === null ? ';' + k : ';' + k + '=' + v;
  return out;
}

/**
 * Via (RFC 3261 §20.42): sent-protocol LWS sent-by *( SEMI via-params ), with LWS allowed
 * around "/" and ":" (RFC 4475 §3.1.1.1 wsinv). Transport is upper-cased, host lower-cased.
 */
export function parseVia(value: string): Via {
  const v = value;
  const n = v.length;
  let i = skipWs(v, 0);
  const parts: string[] = [];
  for (let k = 0; k < 3; k++) {
    if (k > 0) {
      i = skipWs(v, i);
      if (v.charCodeAt(i) !== 47 /* / */) fail('bad Via sent-protocol');
      i = skipWs(v, i + 1);
    }
    const start = i;
    i = readToken(v, i);
    if (i === start) fail('bad Via sent-protocol');
    parts.push(v.slice(start, i));
  }
  const afterProtocol = i;
  i = skipWs(v, i);
  if (i === afterProtocol) fail('bad Via');
  let host: string;
  if (v.charCodeAt(i) === 91 /* [ */) {
    const close = v.indexOf(']', i);
    if (close < 0 || !isIPv6(v.slice(i + 1, close))) fail('bad Via host');
    host = v.slice(i, close + 1).toLowerCase();
    i = close + 1;
  } else {
    const start = i;
    while (i < n && v.charCodeAt(i) < 128 && HOST[v.charCodeAt(i)] === 1) i++;
    if (i === start) fail('bad Via host');
    host = v.slice(start, i).toLowerCase();
  }
  let port: number | undefined;
  const j = skipWs(v, i);
  if (v.charCodeAt(j) === 58 /* : */) {
    let k = skipWs(v, j + 1);
    const start = k;
    while (k < n && v.charCodeAt(k) >= 48 && v.charCodeAt(k) <= 57) k++;
    if (k === start || k - start > 5) fail('bad Via port');
    port = Number(v.slice(start, k));
    if (port > 65535) fail('bad Via port');
    i = k;
  }
  const params: Params = new Map();
  readParams(v, i, params);
  const [name, version, transport] = parts as [string, string, string];
  const via: { -readonly [K in keyof Via]: Via[K] } = {
    protocol: name.toUpperCase() + '/' + version,
    transport: transport.toUpperCase(),
    host,
    params,
  };
  if (port !== undefined) via.port = port;
  return via;
}

export function formatVia(via: Via): string {
  return `${via.protocol}/${via.transport} ${via.host}${via.port !== undefined ? ':' + via.port : ''}${formatParams(via.params)}`;
}

/** A URI in name-addr or addr-spec position: an absolute URI without whitespace or brackets. */
function checkAddrUri(uri: string, bracketed: boolean): void {
  if (uri.length === 0) fail('empty URI');
  if (/[\s<>"]/.test(uri)) fail('bad character in URI');
  if (uriScheme(uri) === undefined) fail('URI without scheme');
  // RFC 3261 §20.10: a URI holding a comma, question mark or semicolon must be in <>;
  // otherwise they belong to the header (RFC 4475 §3.1.2.13 regbadct).
  if (!bracketed && (uri.includes(',') || uri.includes('?'))) fail('URI with , or ? must be enclosed in <>');
}

/**
 * name-addr / addr-spec with header parameters (RFC 3261 §20.10, §25.1), and "*" (Contact).
 * The display name is returned unquoted (quoted-pairs resolved) or, for the token form, as
 * written. Liberal in two places RFC 4475 allows: no LWS before "<" (§3.1.1.6 lwsdisp) and
 * LWS inside "<" ">" (§3.1.2.14 badaspec).
 */
export function parseNameAddr(value: string): NameAddr {
  const v = trimWs(value);
  if (v === '*') return { uri: '*', params: new Map() };
  let displayName: string | undefined;
  let i: number;
  if (v.charCodeAt(0) === 34 /* " */) {
    const end = scanQuoted(v, 0);
    displayName = unquote(v.slice(0, end));
    i = skipWs(v, end);
    if (v.charCodeAt(i) !== 60) fail('display name without <URI>');
  } else {
    i = v.indexOf('<');
    if (i < 0) {
      // addr-spec: parameters after the URI are header parameters (RFC 4475 §3.3.12 cparam01).
      const semi = v.indexOf(';');
      const uriEnd = semi < 0 ? v.length : semi;
      const uri = trimWs(v.slice(0, uriEnd));
      checkAddrUri(uri, false);
      const params: Params = new Map();
      readParams(v, uriEnd, params);
      return { uri, params };
    }
    // display-name = *(token LWS): RFC 4475 §3.1.2.15 (baddn) has a comma here.
    // NOTE: non-ASCII is let through unquoted (phones send "José <sip:...>"); it cannot
    // be mistaken for a separator.
    for (let k = 0; k < i; k++) {
      const c = v.charCodeAt(k);
      if (!isTokenChar(c) && !isWs(c) && c < 128) fail('bad display name');
    }
    const dn = trimWs(v.slice(0, i));
    if (dn.length > 0) displayName = dn;
  }
  const close = v.indexOf('>', i);
  if (close < 0) fail('missing > in name-addr');
  const uri = trimWs(v.slice(i + 1, close));
  checkAddrUri(uri, true);
  const params: Params = new Map();
  readParams(v, close + 1, params);
  return displayName === undefined ? { uri, params } : { displayName, uri, params };
}

/** Always the name-addr form, which is unambiguous for any URI. */
export function formatNameAddr(na: NameAddr): string {
  if (na.uri === '*') return '*';
  const name = na.displayName !== undefined && na.displayName.length > 0 ? quote(na.displayName) + ' ' : '';
  return `${name}<${na.uri}>${formatParams(na.params)}`;
}

const MAX_CSEQ = 4294967295;

/** CSeq (RFC 3261 §20.16): the number must fit 32 bits (§8.1.1.5; RFC 4475 §3.1.2.4 scalar02). */
export function parseCSeq(value: string): CSeq {
  const v = trimWs(value);
  let i = 0;
  while (i < v.length && v.charCodeAt(i) >= 48 && v.charCodeAt(i) <= 57) i++;
  if (i === 0) fail('bad CSeq number');
  let z = 0;
  while (z < i - 1 && v.charCodeAt(z) === 48) z++; // leading zeros are legal (wsinv: 0009)
  if (i - z > 10 || Number(v.slice(z, i)) > MAX_CSEQ) fail('CSeq number out of range');
  const j = skipWs(v, i);
  if (j === i) fail('bad CSeq');
  const method = v.slice(j);
  if (!isToken(method)) fail('bad CSeq method');
  return { seq: Number(v.slice(z, i)), method };
}

export function formatCSeq(cseq: CSeq): string {
  return `${cseq.seq} ${cseq.method}`;
}

/** Same header field? `wanted` is canonical; compact forms and any letter case match. */
function sameName(name: string, wanted: string): boolean {
  if (name === wanted) return true;
  if (name.length !== wanted.length) return name.length === 1 && canonicalHeaderName(name) === wanted;
  return name.toLowerCase() === wanted.toLowerCase();
}

/** First value of a header (case-insensitive name, compact forms accepted). */
export function getHeader(msg: SipMessage, name: string): string | undefined {
  const wanted = canonicalHeaderName(name);
  for (const h of msg.headers) if (sameName(h.name, wanted)) return h.value;
  return undefined;
}

/** All values of a header, in order. */
export function getHeaders(msg: SipMessage, name: string): string[] {
  const wanted = canonicalHeaderName(name);
  const out: string[] = [];
  for (const h of msg.headers) if (sameName(h.name, wanted)) out.push(h.value);
  return out;
}

export function hasHeader(msg: SipMessage, name: string): boolean {
  return getHeader(msg, name) !== undefined;
}

/** The topmost Via, parsed. Throws SipParseError when absent or malformed. */
export function topVia(msg: SipMessage): Via {
  const v = getHeader(msg, 'Via');
  if (v === undefined) throw new SipParseError('missing Via');
  return parseVia(v);
}

/** The CSeq, parsed. Throws SipParseError when absent or malformed. */
export function getCSeq(msg: SipMessage): CSeq {
  const v = getHeader(msg, 'CSeq');
  if (v === undefined) throw new SipParseError('missing CSeq');
  return parseCSeq(v);
}

export type HeaderValues = string | readonly string[];

function toHeaders(name: string, value: HeaderValues): Header[] {
  const canonical = canonicalHeaderName(name);
  return (typeof value === 'string' ? [value] : value).map((v) => ({ name: canonical, value: v }));
}

/** A copy of `msg` with `headers` as its header list. */
export function withHeaders<M extends SipMessage>(msg: M, headers: readonly Header[]): M {
  return { ...msg, headers };
}

/** Replaces every value of `name` by `value`, where the first one was (else at the end). */
export function setHeader<M extends SipMessage>(msg: M, name: string, value: HeaderValues): M {
  const wanted = canonicalHeaderName(name);
  const out: Header[] = [];
  let placed = false;
  for (const h of msg.headers) {
    if (!sameName(h.name, wanted)) out.push(h);
    else if (!placed) {
      out.push(...toHeaders(wanted, value));
      placed = true;
    }
  }
  if (!placed) out.push(...toHeaders(wanted, value));
  return withHeaders(msg, out);
}

/** Adds values above the existing ones of that header (a proxy's Via, a Record-Route), else at the top. */
export function prependHeader<M extends SipMessage>(msg: M, name: string, value: HeaderValues): M {
  const wanted = canonicalHeaderName(name);
  const at = msg.headers.findIndex((h) => sameName(h.name, wanted));
  const out = msg.headers.slice();
  out.splice(at < 0 ? 0 : at, 0, ...toHeaders(wanted, value));
  return withHeaders(msg, out);
}

/** Adds values below the existing ones of that header, else at the end. */
export function appendHeader<M extends SipMessage>(msg: M, name: string, value: HeaderValues): M {
  const wanted = canonicalHeaderName(name);
  let at = -1;
  msg.headers.forEach((h, i) => {
    if (sameName(h.name, wanted)) at = i;
  });
  const out = msg.headers.slice();
  out.splice(at < 0 ? out.length : at + 1, 0, ...toHeaders(wanted, value));
  return withHeaders(msg, out);
}

/** Removes every value of `name`. */
export function removeHeader<M extends SipMessage>(msg: M, name: string): M {
  const wanted = canonicalHeaderName(name);
  return withHeaders(
    msg,
    msg.headers.filter((h) => !sameName(h.name, wanted)),
  );
}

/** Removes the first value of `name` (the top Via of a response at a proxy, §16.7 step 3). */
export function removeFirstHeader<M extends SipMessage>(msg: M, name: string): M {
  const wanted = canonicalHeaderName(name);
  const at = msg.headers.findIndex((h) => sameName(h.name, wanted));
  if (at < 0) return msg;
  const out = msg.headers.slice();
  out.splice(at, 1);
  return withHeaders(msg, out);
}

/**
 * A copy with a new body; Content-Type is set when given (removed when the body is empty
 * and no type is given) and Content-Length always matches.
 */
export function withBody<M extends SipMessage>(msg: M, body: Buffer | string, contentType?: string): M {
  const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  let out: M = { ...msg, body: bytes };
  if (contentType !== undefined) out = setHeader(out, 'Content-Type', contentType);
  else if (bytes.length === 0) out = removeHeader(out, 'Content-Type');
  return setHeader(out, 'Content-Length', String(bytes.length));
}
