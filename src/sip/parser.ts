/**
 * SIP message parser (RFC 3261 §7, §18.3, §20, §25; validated against RFC 4475).
 *
 * One pass over the bytes: find the end of the header section, decode it once as UTF-8,
 * walk its lines with indexOf, unfold continuation lines, expand compact names and split
 * list headers into one Header per value. Structured parsing (Via, name-addr, URIs) is
 * lazy and lives in headers.ts / uri.ts; the parser runs it only on what every element
 * needs to trust before acting on a message: the Request-URI, the top Via, To, From,
 * CSeq and Call-ID.
 *
 * NOTE: the body is a view (subarray) of the input buffer, not a copy.
 */
import type { Header, SipMessage, SipRequest, SipResponse } from './message.ts';
import { parseCSeq, parseNameAddr, parseVia } from './headers.ts';
import { isAbsoluteUri, parseUri, uriScheme } from './uri.ts';

export interface SipParseErrorOptions {
  /** Response status the error calls for: 400 by default, 505 for a SIP version we do not speak. */
  readonly status?: number;
  readonly partial?: SipRequest;
}

export class SipParseError extends Error {
  /** Short human reason, fit for a 400 reason phrase. */
  readonly reason: string;
  /**
   * Status a server answers with when `partial` is set: 400, or 505 for a SIP version
   * other than 2.0 (RFC 4475 §3.1.2.16). parseUri uses 416 for a well-formed URI of a
   * scheme it does not implement (RFC 3261 §8.2.2.1).
   */
  readonly status: number;
  /**
   * The request as far as it could be read, when it is a request whose start line is a
   * request line and which carries at least one Via, so that a server can send the error
   * response (RFC 4475 §3.1.2 asks for a 400 to most malformed requests). Headers that
   * were present are there as written, even those that failed validation (the top Via
   * may be unparseable: answer to the source address then). Undefined for garbage and
   * for responses (a malformed response is dropped, RFC 3261 §18.1.2).
   */
  readonly partial?: SipRequest;

  constructor(reason: string, options: SipParseErrorOptions = {}) {
    super(reason);
    this.name = 'SipParseError';
    this.reason = reason;
    this.status = options.status ?? 400;
    if (options.partial !== undefined) this.partial = options.partial;
  }
}

/**
 * Canonical names by lower-case name. RFC 3261 §7.3.3 compact forms and the compact forms
 * registered since (a, b, d, j, n, o, r, u, x, y).
 */
const COMPACT: Record<string, string> = {
  a: 'Accept-Contact',
  b: 'Referred-By',
  c: 'Content-Type',
  d: 'Request-Disposition',
  e: 'Content-Encoding',
  f: 'From',
  i: 'Call-ID',
  j: 'Reject-Contact',
  k: 'Supported',
  l: 'Content-Length',
  m: 'Contact',
  n: 'Identity-Info',
  o: 'Event',
  r: 'Refer-To',
  s: 'Subject',
  t: 'To',
  u: 'Allow-Events',
  v: 'Via',
  x: 'Session-Expires',
  y: 'Identity',
};

const KNOWN = [
  'Accept', 'Accept-Contact', 'Accept-Encoding', 'Accept-Language', 'Accept-Resource-Priority',
  'Alert-Info', 'Allow', 'Allow-Events', 'Answer-Mode', 'Authentication-Info', 'Authorization',
  'Call-ID', 'Call-Info', 'Contact', 'Content-Disposition', 'Content-Encoding', 'Content-ID',
  'Content-Language', 'Content-Length', 'Content-Transfer-Encoding', 'Content-Type', 'CSeq', 'Date',
  'Diversion', 'Error-Info', 'Event', 'Expires', 'Flow-Timer', 'From', 'History-Info', 'Identity',
  'Identity-Info', 'In-Reply-To', 'Join', 'Max-Breadth', 'Max-Forwards', 'MIME-Version',
  'Min-Expires', 'Min-SE', 'Organization', 'P-Access-Network-Info', 'P-Asserted-Identity',
  'P-Associated-URI', 'P-Called-Party-ID', 'P-Charging-Vector', 'P-Early-Media',
  'P-Preferred-Identity', 'P-Visited-Network-ID', 'Path', 'Priority', 'Privacy',
  'Proxy-Authenticate', 'Proxy-Authorization', 'Proxy-Require', 'RAck', 'Reason', 'Record-Route',
  'Refer-Sub', 'Refer-To', 'Referred-By', 'Reject-Contact', 'Remote-Party-ID', 'Replaces', 'Reply-To',
  'Request-Disposition', 'Require', 'Resource-Priority', 'Retry-After', 'Route', 'RSeq',
  'Security-Client', 'Security-Server', 'Security-Verify', 'Server', 'Service-Route',
  'Session-Expires', 'SIP-ETag', 'SIP-If-Match', 'Subject', 'Subscription-State', 'Supported',
  'Target-Dialog', 'Timestamp', 'To', 'Unsupported', 'User-Agent', 'User-to-User', 'Via', 'Warning',
  'WWW-Authenticate',
];

/**
 * Headers whose grammar is a comma-separated list (RFC 3261 §7.3.1, §25.1 and the
 * extensions that define them so). Deliberately absent: the authentication headers,
 * whose commas separate parameters, and single values that may hold commas (Date,
 * Retry-After comments, Subject, User-Agent, ...).
 */
const LIST = new Set([
  'Accept', 'Accept-Contact', 'Accept-Encoding', 'Accept-Language', 'Accept-Resource-Priority',
  'Alert-Info', 'Allow', 'Allow-Events', 'Call-Info', 'Contact', 'Content-Encoding',
  'Content-Language', 'Diversion', 'Error-Info', 'History-Info', 'In-Reply-To',
  'P-Asserted-Identity', 'P-Associated-URI', 'P-Preferred-Identity', 'P-Visited-Network-ID', 'Path',
  'Proxy-Require', 'Reason', 'Record-Route', 'Reject-Contact', 'Remote-Party-ID',
  'Request-Disposition', 'Require', 'Resource-Priority', 'Route', 'Security-Client',
  'Security-Server', 'Security-Verify', 'Service-Route', 'Supported', 'Unsupported', 'Via', 'Warning',
]);

/** List headers whose every element is an address or a hop: an empty element is an error. */
const NO_EMPTY_ELEMENTS = new Set(['Via', 'Contact', 'Route', 'Record-Route', 'Path', 'Service-Route']);

const BY_LOWER = new Map<string, string>();
for (const name of KNOWN) BY_LOWER.set(name.toLowerCase(), name);
for (const [short, long] of Object.entries(COMPACT)) BY_LOWER.set(short, long);
const EXACT = new Map<string, string>();
for (const name of KNOWN) EXACT.set(name, name);

/** Canonical spelling of a header name: long form for compact forms, RFC spelling for known names. */
export function canonicalHeaderName(name: string): string {
  return EXACT.get(name) ?? BY_LOWER.get(name.toLowerCase()) ?? name;
}

/** True when the header is a comma-separated list that the parser splits. */
export function isListHeader(canonicalName: string): boolean {
  return LIST.has(canonicalName);
}

// RFC 3261 §25.1: token = 1*(alphanum / "-" / "." / "!" / "%" / "*" / "_" / "+" / "`" / "'" / "~")
const TOKEN = new Uint8Array(128);
for (const ch of "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-.!%*_+`'~") TOKEN[ch.charCodeAt(0)] = 1;

export function isToken(s: string): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 128 || TOKEN[c] !== 1) return false;
  }
  return true;
}

const isWs = (c: number): boolean => c === 32 || c === 9;

/** Trims SP and HTAB only: String.prototype.trim would also eat U+FEFF and NBSP, which are data. */
export function trimWs(s: string): string {
  let a = 0;
  let b = s.length;
  while (a < b && isWs(s.charCodeAt(a))) a++;
  while (b > a && isWs(s.charCodeAt(b - 1))) b--;
  return a === 0 && b === s.length ? s : s.slice(a, b);
}

/**
 * Splits a list header value at commas that are outside quoted strings and <...>
 * (RFC 3261 §7.3.1). Elements are trimmed; empty elements are kept (as '').
 */
export function splitList(value: string): string[] {
  if (value.indexOf(',') < 0) return [value];
  const out: string[] = [];
  let start = 0;
  let quoted = false;
  let angle = false;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (quoted) {
      if (c === 92 /* \ */) i++;
      else if (c === 34) quoted = false;
    } else if (c === 34 /* " */) quoted = true;
    else if (c === 60 /* < */) angle = true;
    else if (c === 62 /* > */) angle = false;
    else if (c === 44 /* , */ && !angle) {
      out.push(trimWs(value.slice(start, i)));
      start = i + 1;
    }
  }
  out.push(trimWs(value.slice(start)));
  return out;
}

const CR = 0x0d;
const LF = 0x0a;
const EMPTY = Buffer.alloc(0);

export type StartLine =
  | { readonly kind: 'request'; readonly method: string; readonly uri: string; readonly version: string }
  | { readonly kind: 'response'; readonly status: number; readonly reason: string };

/** Reads a start line (without its line end). Throws for anything that is neither. */
export function parseStartLine(line: string): StartLine {
  // RFC 3261 §7.1: "SIP-Version" is case-insensitive; a method cannot contain '/', so a
  // line opening with SIP/ is a Status-Line.
  if (line.length >= 4 && line.slice(0, 4).toUpperCase() === 'SIP/') {
    const sp = line.indexOf(' ');
    if (sp < 0 || line.slice(0, sp).toUpperCase() !== 'SIP/2.0') throw new SipParseError('bad SIP version in status line');
    let end = sp + 1;
    while (end < line.length && line.charCodeAt(end) !== 32) end++;
    const code = line.slice(sp + 1, end);
    // Status-Code = 3DIGIT; RFC 4475 §3.1.2.19 (bigcode) must not break us.
    if (code.length !== 3 || !/^[1-6][0-9][0-9]$/.test(code)) throw new SipParseError('bad status code');
    // RFC 4475 §3.1.1.13 (noreason): the reason phrase may be empty; a missing SP is tolerated.
    return { kind: 'response', status: Number(code), reason: end < line.length ? line.slice(end + 1) : '' };
  }
  // NOTE: liberal in extra SP between and after the elements (RFC 4475 §3.1.2.9 lwsstart,
  // §3.1.2.10 trws allow it); the start line is rebuilt on output, so nothing propagates.
  const trimmed = trimWs(line);
  const sp = trimmed.indexOf(' ');
  const last = trimmed.lastIndexOf(' ');
  // Three elements are needed; with a single SP there are only two.
  if (sp <= 0 || last === sp) throw new SipParseError('malformed start line');
  const method = trimmed.slice(0, sp);
  if (!isToken(method)) throw new SipParseError('bad method');
  const version = trimmed.slice(last + 1);
  if (!/^SIP\/[0-9]+\.[0-9]+$/i.test(version)) throw new SipParseError('malformed request line');
  return { kind: 'request', method, uri: trimWs(trimmed.slice(sp + 1, last)), version: version.toUpperCase() };
}

const noCr = (s: string): string => s.replace(/\r/g, ' ');

/** Adds one logical header field, split if it is a list; returns the first error so far. */
function pushField(headers: Header[], name: string, raw: string, error: string | undefined): string | undefined {
  const v = trimWs(raw);
  if (!LIST.has(name) || v.indexOf(',') < 0) {
    headers.push({ name, value: v });
    return error;
  }
  for (const element of splitList(v)) {
    if (element.length === 0) {
      // §7.3.1 lists are "1#element": a stray comma is an error where an element is an
      // address or hop; elsewhere (Supported: a,,b) it is skipped.
      if (NO_EMPTY_ELEMENTS.has(name)) error ??= `empty ${name} element`;
      continue;
    }
    headers.push({ name, value: element });
  }
  return error;
}

/** The result of splitting a header section into logical header fields. */
export interface HeaderSection {
  readonly headers: Header[];
  /** The first problem met; the section is read to the end regardless. */
  readonly error?: string;
}

/**
 * Parses header lines (the text after the start line, line ends CRLF or bare LF, no
 * terminating empty line): unfolds continuation lines (RFC 3261 §7.3.1), canonicalises
 * names, and splits list headers into one Header per element.
 */
export function parseHeaderSection(text: string, from = 0): HeaderSection {
  const headers: Header[] = [];
  let error: string | undefined;
  let name: string | undefined;
  let value = '';
  let pos = from;
  const n = text.length;
  let nextCr = text.indexOf('\r', from);
  while (pos < n) {
    let end = text.indexOf('\n', pos);
    if (end < 0) end = n;
    const lineEnd = end > pos && text.charCodeAt(end - 1) === CR ? end - 1 : end;
    const first = text.charCodeAt(pos);
    // A CR anywhere but before LF is no line end and no data (RFC 3261 §7.3.1: fields end
    // at CRLF); kept, it would smuggle a line break into whatever re-sends the value.
    while (nextCr >= 0 && nextCr < pos) nextCr = text.indexOf('\r', nextCr + 1);
    const strayCr = nextCr >= 0 && nextCr < lineEnd;
    if (strayCr) error ??= 'stray CR in header';
    if (isWs(first)) {
      // RFC 3261 §7.3.1: a line starting with whitespace continues the previous field;
      // the fold is one SP.
      if (name === undefined) error ??= 'continuation line without a header';
      else {
        const cont = trimWs(strayCr ? noCr(text.slice(pos, lineEnd)) : text.slice(pos, lineEnd));
        if (cont.length > 0) value = value.length > 0 ? trimWs(value) + ' ' + cont : cont;
      }
    } else if (lineEnd > pos) {
      if (name !== undefined) error = pushField(headers, name, value, error);
      name = undefined;
      const colon = text.indexOf(':', pos);
      if (colon < 0 || colon >= lineEnd) {
        error ??= 'malformed header line';
      } else {
        // HCOLON = *( SP / HTAB ) ":" SWS
        const raw = trimWs(text.slice(pos, colon));
        if (!isToken(raw)) error ??= 'bad header name';
        else {
          name = canonicalHeaderName(raw);
          // The message is rejected, but its partial must still be safe to answer from.
          value = strayCr ? noCr(text.slice(colon + 1, lineEnd)) : text.slice(colon + 1, lineEnd);
        }
      }
    }
    pos = end + 1;
  }
  if (name !== undefined) error = pushField(headers, name, value, error);
  return error === undefined ? { headers } : { headers, error };
}

/** Finds the empty line ending the header section: returns [end of last header line, body start]. */
function findHeaderEnd(buf: Buffer, from: number): [number, number] {
  let i = from;
  for (;;) {
    const lf = buf.indexOf(LF, i);
    if (lf < 0) return [buf.length, buf.length];
    const next = buf[lf + 1];
    if (next === LF) return [lf, lf + 2];
    if (next === CR && buf[lf + 2] === LF) return [lf, lf + 3];
    if (lf + 1 >= buf.length) return [lf, lf + 1];
    i = lf + 1;
  }
}

/** True for a datagram made only of CR/LF: a keep-alive (RFC 5626 §3.5.1, §4.4.1), not a message. */
export function isKeepAlive(buf: Buffer): boolean {
  for (let i = 0; i < buf.length; i++) if (buf[i] !== CR && buf[i] !== LF) return false;
  return true;
}

/**
 * Parses one SIP message from a datagram, or from a message already framed off a stream.
 *
 * Body (RFC 3261 §18.3): exactly Content-Length octets; octets after them are ignored; a
 * body shorter than Content-Length is an error; without Content-Length the body is the
 * rest of the buffer (datagrams only; stream framing requires the header).
 *
 * Throws SipParseError only.
 */
export function parseMessage(buf: Buffer): SipMessage {
  let start = 0;
  // RFC 3261 §7.5: CRLFs before the start line are ignored.
  while (start < buf.length && (buf[start] === CR || buf[start] === LF)) start++;
  if (start >= buf.length) throw new SipParseError('empty message');
  const [headEnd, bodyStart] = findHeaderEnd(buf, start);
  const text = buf.toString('utf8', start, headEnd);
  let lineEnd = text.indexOf('\n');
  if (lineEnd < 0) lineEnd = text.length;
  const startText = text.charCodeAt(lineEnd - 1) === CR ? text.slice(0, lineEnd - 1) : text.slice(0, lineEnd);
  if (startText.indexOf('\r') >= 0) throw new SipParseError('stray CR in start line');
  const startLine = parseStartLine(startText);
  const section = parseHeaderSection(text, lineEnd + 1);
  const headers = section.headers;

  // One pass to find the fields that every element relies on.
  let via = -1;
  let viaCount = 0;
  let to: string | undefined;
  let from: string | undefined;
  let callId: string | undefined;
  let cseq: string | undefined;
  let contentLength: string | undefined;
  let dup: string | undefined;
  let clConflict = false;
  let maxForwards = 0;
  for (let i = 0; i < headers.length; i++) {
    const h = headers[i] as Header;
    switch (h.name) {
      case 'Via':
        if (via < 0) via = i;
        viaCount++;
        break;
      case 'To':
        if (to !== undefined) dup ??= 'To';
        to = h.value;
        break;
      case 'From':
        if (from !== undefined) dup ??= 'From';
        from = h.value;
        break;
      case 'Call-ID':
        if (callId !== undefined) dup ??= 'Call-ID';
        callId = h.value;
        break;
      case 'CSeq':
        if (cseq !== undefined) dup ??= 'CSeq';
        cseq = h.value;
        break;
      case 'Max-Forwards':
        if (++maxForwards > 1) dup ??= 'Max-Forwards';
        break;
      case 'Content-Length':
        // RFC 4475 §3.3.9 (mcl01): differing values leave the framing unknowable.
        if (contentLength !== undefined && contentLength !== h.value) clConflict = true;
        contentLength = h.value;
        break;
    }
  }

  // Body, per §18.3, as far as it can be determined (also used for a partial request).
  let body: Buffer = EMPTY;
  let bodyError: string | undefined;
  const available = buf.length - bodyStart;
  if (clConflict) bodyError = 'conflicting Content-Length';
  else if (contentLength === undefined) body = available > 0 ? buf.subarray(bodyStart) : EMPTY;
  else if (!/^[0-9]{1,10}$/.test(contentLength)) {
    // RFC 4475 §3.1.2.3 (ncl): negative or non-numeric lengths are rejected, never used.
    bodyError = 'bad Content-Length';
  } else {
    const length = Number(contentLength);
    if (length > available) {
      // RFC 4475 §3.1.2.2 (clerr): fewer octets than announced on a datagram is a 400.
      bodyError = 'body shorter than Content-Length';
      body = available > 0 ? buf.subarray(bodyStart) : EMPTY;
    } else if (length > 0) body = buf.subarray(bodyStart, bodyStart + length);
  }

  if (startLine.kind === 'response') {
    const response: SipResponse = { kind: 'response', status: startLine.status, reason: startLine.reason, headers, body };
    // A malformed response is dropped by its receiver (RFC 3261 §18.1.2), so no partial.
    const problem =
      section.error ??
      bodyError ??
      (dup !== undefined ? `duplicate ${dup}` : undefined) ??
      checkCommon(via, viaCount, to, from, callId, cseq, headers, undefined);
    if (problem !== undefined) throw new SipParseError(problem);
    return response;
  }

  const request: SipRequest = { kind: 'request', method: startLine.method, uri: startLine.uri, headers, body };
  const partial = via >= 0 ? request : undefined;
  // RFC 4475 §3.1.2.16 (badvers): a version we do not speak is a 505, not a 400.
  if (startLine.version !== 'SIP/2.0') reject(partial, 'SIP version not supported', 505);
  if (section.error !== undefined) reject(partial, section.error);
  if (bodyError !== undefined) reject(partial, bodyError);
  if (dup !== undefined) reject(partial, `duplicate ${dup}`);
  const problem = checkCommon(via, viaCount, to, from, callId, cseq, headers, startLine.method);
  if (problem !== undefined) reject(partial, problem);
  const uriProblem = checkRequestUri(startLine.uri);
  if (uriProblem !== undefined) reject(partial, uriProblem);
  return request;
}

function reject(partial: SipRequest | undefined, reason: string, status = 400): never {
  throw new SipParseError(reason, partial === undefined ? { status } : { status, partial });
}

/** Validates the mandatory header fields (RFC 3261 §8.1.1, RFC 4475 §3.1.2, §3.3.1). */
function checkCommon(
  via: number,
  viaCount: number,
  to: string | undefined,
  from: string | undefined,
  callId: string | undefined,
  cseq: string | undefined,
  headers: readonly Header[],
  method: string | undefined,
): string | undefined {
  if (viaCount === 0) return 'missing Via';
  if (to === undefined) return 'missing To';
  if (from === undefined) return 'missing From';
  if (callId === undefined) return 'missing Call-ID';
  if (cseq === undefined) return 'missing CSeq';
  // Call-ID = word [ "@" word ]: anything but whitespace, and not empty.
  if (callId.length === 0 || /[ \t]/.test(callId)) return 'bad Call-ID';
  try {
    const c = parseCSeq(cseq);
    // RFC 4475 §3.1.2.17 (mismatch01), §3.1.2.18 (mismatch02).
    if (method !== undefined && c.method !== method) return 'CSeq method does not match the request method';
  } catch (e) {
    return e instanceof SipParseError ? e.reason : 'bad CSeq';
  }
  try {
    parseNameAddr(to);
  } catch {
    return 'bad To';
  }
  try {
    parseNameAddr(from);
  } catch {
    return 'bad From';
  }
  try {
    parseVia((headers[via] as Header).value);
  } catch {
    return 'bad Via';
  }
  return undefined;
}

/** RFC 3261 §25.1: Request-URI = SIP-URI / SIPS-URI / absoluteURI (plus tel, RFC 3966). */
function checkRequestUri(uri: string): string | undefined {
  if (uri.length === 0 || /[ \t]/.test(uri)) return 'malformed Request-URI';
  const scheme = uriScheme(uri);
  if (scheme === 'sip' || scheme === 'sips' || scheme === 'tel') {
    try {
      const parsed = parseUri(uri);
      // RFC 3261 §19.1.1 table: headers are not allowed in a Request-URI (RFC 4475 §3.1.2.11 escruri).
      if (parsed.scheme !== 'tel' && parsed.headers.size > 0) return 'headers in Request-URI';
    } catch (e) {
      return e instanceof SipParseError ? e.reason : 'malformed Request-URI';
    }
    return undefined;
  }
  // Other schemes are well formed if they are absolute URIs: the UA answers 416.
  return isAbsoluteUri(uri) ? undefined : 'malformed Request-URI';
}
