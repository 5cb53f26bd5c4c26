/**
 * SIP, SIPS and tel URIs as values (RFC 3261 §19.1, §25.1; RFC 3966; RFC 5118 for IPv6
 * references).
 *
 * Representation choices (so that callers compare and build without re-escaping):
 * - user, password, parameter names and values and header values are stored %-decoded
 *   (RFC 3261 §19.1.4: an escaped character is equivalent to the character itself);
 *   formatUri escapes again whatever the grammar does not allow raw. Decoding is done
 *   exactly once (RFC 3986 §2.4): "v%61lue%25%34%31" is "value%41", never "valueA".
 * - parameter names are lower-cased (they compare case-insensitively, §19.1.4); URI header
 *   names keep their spelling (they name header fields, e.g. Replaces).
 * - the host is lower-cased; an IPv6 reference keeps its brackets, so "host:port" can be
 *   written back without ambiguity (RFC 5118 §4.3, §4.4).
 */
import { isIPv6 } from 'node:net';
import { SipParseError } from './parser.ts';
import type { Params, SipUri, TelUri, Uri } from './message.ts';

const ALPHANUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
// RFC 3261 §25.1: unreserved = alphanum / mark
const UNRESERVED = ALPHANUM + "-_.!~*'()";

function charTable(chars: string): Uint8Array {
  const t = new Uint8Array(128);
  for (let i = 0; i < chars.length; i++) t[chars.charCodeAt(i)] = 1;
  return t;
}

// RFC 3261 §25.1 character classes; '%' is admitted here and checked as an escape later.
const USER = charTable(UNRESERVED + '%&=+$,;?/');
const PASSWORD = charTable(UNRESERVED + '%&=+$,');
const PARAM = charTable(UNRESERVED + '%[]/:&+$');
const HNV = charTable(UNRESERVED + '%[]/?:+$');
const HOST = charTable(ALPHANUM + '-._');
const SCHEME = charTable(ALPHANUM + '+-.');
// RFC 3986 §2: characters that may appear raw anywhere in an absolute URI.
const URIC = charTable(UNRESERVED + "%;/?:@&=+$,[]#");
// RFC 3966 §3 phonedigit-hex / visual-separator and tel parameter characters.
const TEL_GLOBAL = charTable('0123456789-.()');
const TEL_LOCAL = charTable('0123456789ABCDEFabcdef*#-.()');
const TEL_PNAME = charTable(ALPHANUM + '-');

const fail = (reason: string): never => {
  throw new SipParseError(reason);
};

function allIn(table: Uint8Array, s: string, from: number, to: number): boolean {
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i);
    if (c >= 128 || table[c] !== 1) return false;
  }
  return true;
}

const isHex = (c: number): boolean => (c >= 48 && c <= 57) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102);

/**
 * Decodes %HH escapes once. Escapes that spell UTF-8 become those characters; octets that
 * are not UTF-8 (e.g. a lone %E9) become the Latin-1 character of the same value so that
 * nothing is lost. A '%' not followed by two hex digits is a syntax error.
 */
export function unescapeUriPart(s: string): string {
  if (s.indexOf('%') < 0) return s;
  try {
    return decodeURIComponent(s);
  } catch {
    // Decode each run of escapes on its own: UTF-8 where it is, Latin-1 where it is not.
    let out = '';
    let i = 0;
    while (i < s.length) {
      if (s.charCodeAt(i) !== 37) {
        out += s[i++];
        continue;
      }
      const bytes: number[] = [];
      while (s.charCodeAt(i) === 37) {
        if (!isHex(s.charCodeAt(i + 1)) || !isHex(s.charCodeAt(i + 2))) fail('bad %-escape in URI');
        bytes.push(parseInt(s.slice(i + 1, i + 3), 16));
        i += 3;
      }
      try {
        out += STRICT_UTF8.decode(Uint8Array.from(bytes));
      } catch {
        for (const b of bytes) out += String.fromCharCode(b);
      }
    }
    return out;
  }
}

const STRICT_UTF8 = new TextDecoder('utf-8', { fatal: true });

/** %-encodes every character that `table` does not admit raw (always including '%'). */
function escapeWith(table: Uint8Array, s: string): string {
  let plain = true;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 128 || table[c] !== 1 || c === 37) {
      plain = false;
      break;
    }
  }
  if (plain) return s;
  let out = '';
  for (const ch of s) {
    const c = ch.charCodeAt(0);
    if (c < 128 && table[c] === 1 && c !== 37) out += ch;
    else if (c < 128) out += '%' + (c < 16 ? '0' : '') + c.toString(16).toUpperCase();
    else {
      // Latin-1 stand-ins produced by unescapeUriPart for non-UTF-8 octets cannot be told
      // apart from real characters here; encoding as UTF-8 is the interoperable choice.
      try {
        out += encodeURIComponent(ch);
      } catch {
        out += '%EF%BF%BD';
      }
    }
  }
  return out;
}

export const escapeUser = (s: string): string => escapeWith(USER, s);
export const escapePassword = (s: string): string => escapeWith(PASSWORD, s);
export const escapeParam = (s: string): string => escapeWith(PARAM, s);
export const escapeHeaderPart = (s: string): string => escapeWith(HNV, s);

/** The scheme of an absolute URI, lower-cased, or undefined when `text` is not one. */
export function uriScheme(text: string): string | undefined {
  const colon = text.indexOf(':');
  if (colon <= 0) return undefined;
  const first = text.charCodeAt(0);
  if (!((first >= 65 && first <= 90) || (first >= 97 && first <= 122))) return undefined;
  if (!allIn(SCHEME, text, 1, colon)) return undefined;
  return text.slice(0, colon).toLowerCase();
}

/**
 * True when `text` is syntactically an absoluteURI (RFC 3261 §25.1): scheme ":" followed
 * by URI characters. Used for Request-URIs of schemes this stack does not implement, which
 * are well formed (RFC 4475 §3.3.1 unkscm, §3.3.2 novelsc) and get 416, not 400.
 */
export function isAbsoluteUri(text: string): boolean {
  const scheme = uriScheme(text);
  if (scheme === undefined) return false;
  const start = scheme.length + 1;
  return text.length > start && allIn(URIC, text, start, text.length);
}

/** Parses a sip:, sips: or tel: URI. Other schemes throw SipParseError with status 416. */
export function parseUri(text: string): Uri {
  const scheme = uriScheme(text);
  if (scheme === 'sip' || scheme === 'sips') return parseSipUri(text, scheme, scheme.length + 1);
  if (scheme === 'tel') return parseTelUri(text, 4);
  if (scheme !== undefined && isAbsoluteUri(text)) {
    // RFC 3261 §8.2.2.1: a well-formed URI of a scheme we do not serve is a 416.
    throw new SipParseError('unsupported URI scheme', { status: 416 });
  }
  return fail('malformed URI');
}

function parseSipUri(text: string, scheme: 'sip' | 'sips', from: number): SipUri {
  const n = text.length;
  let i = from;
  let user: string | undefined;
  let password: string | undefined;
  // RFC 3261 §25.1: neither user, password, parameters nor headers admit a raw '@', so
  // the first '@' ends the userinfo (the user part may hold ';' and '?', RFC 4475 §3.1.1.2).
  const at = text.indexOf('@', i);
  if (at >= 0) {
    const colon = text.indexOf(':', i);
    const userEnd = colon >= 0 && colon < at ? colon : at;
    if (userEnd === i) fail('empty user in URI');
    if (!allIn(USER, text, i, userEnd)) fail('bad character in URI user part');
    user = unescapeUriPart(text.slice(i, userEnd));
    if (userEnd < at) {
      if (!allIn(PASSWORD, text, userEnd + 1, at)) fail('bad character in URI password');
      password = unescapeUriPart(text.slice(userEnd + 1, at));
    }
    i = at + 1;
  }

  let host: string;
  if (text.charCodeAt(i) === 91 /* [ */) {
    const close = text.indexOf(']', i);
    if (close < 0) fail('unterminated IPv6 reference');
    const addr = text.slice(i + 1, close);
    // RFC 5118 §4.10: the RFC 3261 ABNF admitted a third colon; isIPv6 follows the
    // corrected grammar, so [2001:db8:::192.0.2.1] is rejected here.
    if (!isIPv6(addr)) fail('bad IPv6 reference');
    host = '[' + addr.toLowerCase() + ']';
    i = close + 1;
  } else {
    const start = i;
    while (i < n) {
      const c = text.charCodeAt(i);
      if (c >= 128 || HOST[c] !== 1) break;
      i++;
    }
    if (i === start) fail('missing host in URI');
    host = text.slice(start, i).toLowerCase();
    if (!validHostname(host)) fail('bad host in URI');
  }

  let port: number | undefined;
  if (text.charCodeAt(i) === 58 /* : */) {
    const start = ++i;
    while (i < n && text.charCodeAt(i) >= 48 && text.charCodeAt(i) <= 57) i++;
    if (i === start || i - start > 5) fail('bad port in URI');
    port = Number(text.slice(start, i));
    if (port > 65535) fail('bad port in URI');
  }

  const params: Params = new Map();
  while (text.charCodeAt(i) === 59 /* ; */) {
    const start = ++i;
    while (i < n && text.charCodeAt(i) !== 59 && text.charCodeAt(i) !== 63) i++;
    const eq = text.indexOf('=', start);
    const nameEnd = eq >= 0 && eq < i ? eq : i;
    if (nameEnd === start) fail('empty URI parameter');
    if (!allIn(PARAM, text, start, nameEnd)) fail('bad character in URI parameter');
    const name = unescapeUriPart(text.slice(start, nameEnd)).toLowerCase();
    let value: string | null = null;
    if (nameEnd < i) {
      if (!allIn(PARAM, text, nameEnd + 1, i)) fail('bad character in URI parameter');
      value = unescapeUriPart(text.slice(nameEnd + 1, i));
    }
    if (!params.has(name)) params.set(name, value);
  }

  const headers: Params = new Map();
  if (text.charCodeAt(i) === 63 /* ? */) {
    for (;;) {
      const start = ++i;
      while (i < n && text.charCodeAt(i) !== 38 /* & */) i++;
      const eq = text.indexOf('=', start);
      if (eq < 0 || eq >= i || eq === start) fail('malformed URI header');
      if (!allIn(HNV, text, start, eq) || !allIn(HNV, text, eq + 1, i)) fail('bad character in URI header');
      headers.set(unescapeUriPart(text.slice(start, eq)), unescapeUriPart(text.slice(eq + 1, i)));
      if (i >= n) break;
    }
  }
  if (i !== n) fail('malformed URI');

  const uri: { -readonly [K in keyof SipUri]: SipUri[K] } = { scheme, host, params, headers };
  if (user !== undefined) uri.user = user;
  if (password !== undefined) uri.password = password;
  if (port !== undefined) uri.port = port;
  return uri;
}

/** hostname / IPv4address (RFC 3261 §25.1), liberal about '_' which real DNS names carry. */
function validHostname(host: string): boolean {
  let digitsAndDots = true;
  for (let i = 0; i < host.length; i++) {
    const c = host.charCodeAt(i);
    if (!(c === 46 || (c >= 48 && c <= 57))) {
      digitsAndDots = false;
      break;
    }
  }
  if (!digitsAndDots) return host.charCodeAt(0) !== 46 && host.charCodeAt(0) !== 45 && !host.includes('..');
  const parts = host.split('.');
  return parts.length === 4 && parts.every((p) => p.length > 0 && p.length <= 3 && Number(p) <= 255);
}

function parseTelUri(text: string, from: number): TelUri {
  const n = text.length;
  let i = text.indexOf(';', from);
  if (i < 0) i = n;
  const number = text.slice(from, i);
  const global = number.charCodeAt(0) === 43; /* + */
  // RFC 3966 §3: global-number-digits = "+" *phonedigit DIGIT *phonedigit;
  // local-number-digits = *phonedigit-hex (HEXDIG / "*" / "#") *phonedigit-hex.
  if (global) {
    if (!allIn(TEL_GLOBAL, number, 1, number.length) || !/[0-9]/.test(number)) fail('bad global number in tel URI');
  } else if (number.length === 0 || !allIn(TEL_LOCAL, number, 0, number.length) || !/[0-9A-Fa-f*#]/.test(number)) {
    fail('bad local number in tel URI');
  }
  const params: Params = new Map();
  while (i < n) {
    const start = ++i;
    while (i < n && text.charCodeAt(i) !== 59) i++;
    const eq = text.indexOf('=', start);
    const nameEnd = eq >= 0 && eq < i ? eq : i;
    if (nameEnd === start || !allIn(TEL_PNAME, text, start, nameEnd)) fail('bad tel URI parameter');
    let value: string | null = null;
    if (nameEnd < i) {
      if (nameEnd + 1 === i || !allIn(PARAM, text, nameEnd + 1, i)) fail('bad tel URI parameter');
      value = unescapeUriPart(text.slice(nameEnd + 1, i));
    }
    const name = text.slice(start, nameEnd).toLowerCase();
    if (!params.has(name)) params.set(name, value);
  }
  // RFC 3966 §5.1.5: a local number is meaningless without its phone-context.
  if (!global && !params.has('phone-context')) fail('local tel URI without phone-context');
  return { scheme: 'tel', number, params };
}

/** Writes a URI back as text, escaping what the grammar does not allow raw. */
export function formatUri(uri: Uri): string {
  if (uri.scheme === 'tel') {
    let out = 'tel:' + uri.number;
    for (const [k, v] of uri.params) out += ';' + k + (v === null ? '' : '=' + escapeParam(v));
    return out;
  }
  let out = uri.scheme + ':';
  if (uri.user !== undefined) {
    out += escapeUser(uri.user);
    if (uri.password !== undefined) out += ':' + escapePassword(uri.password);
    out += '@';
  }
  out += uri.host;
  if (uri.port !== undefined) out += ':' + uri.port;
  for (const [k, v] of uri.params) out += ';' + escapeParam(k) + (v === null ? '' : '=' + escapeParam(v));
  let sep = '?';
  for (const [k, v] of uri.headers) {
    out += sep + escapeHeaderPart(k) + '=' + escapeHeaderPart(v ?? '');
    sep = '&';
  }
  return out;
}

// RFC 3261 §19.1.4: these parameters, when present in either URI, must be in both.
const STRICT_PARAMS = ['user', 'ttl', 'method', 'maddr', 'transport'];

/** URI equivalence per RFC 3261 §19.1.4 (sip/sips) and RFC 3966 §4 (tel). */
export function uriEquals(a: Uri, b: Uri): boolean {
  if (a.scheme !== b.scheme) return false;
  if (a.scheme === 'tel' || b.scheme === 'tel') {
    if (a.scheme !== 'tel' || b.scheme !== 'tel') return false;
    return telEquals(a, b);
  }
  // user and password compare case-sensitively, after unescaping (done at parse time).
  if (a.user !== b.user || a.password !== b.password) return false;
  if (a.host !== b.host) return false;
  // A URI omitting a component with a default value does not match one that states it.
  if (a.port !== b.port) return false;
  for (const name of STRICT_PARAMS) {
    const va = a.params.get(name);
    const vb = b.params.get(name);
    if (va === undefined && vb === undefined) continue;
    if (!sameParamValue(va, vb)) return false;
  }
  // Other parameters: compared only when present in both.
  for (const [name, va] of a.params) {
    if (!b.params.has(name)) continue;
    if (!sameParamValue(va, b.params.get(name))) return false;
  }
  // Header components are never ignored: same set, same values.
  if (a.headers.size !== b.headers.size) return false;
  for (const [name, va] of a.headers) {
    let found = false;
    for (const [nb, vb] of b.headers) {
      if (nb.toLowerCase() === name.toLowerCase()) {
        if (vb !== va) return false;
        found = true;
        break;
      }
    }
    if (!found) return false;
  }
  return true;
}

function sameParamValue(a: string | null | undefined, b: string | null | undefined): boolean {
  if (a === undefined || b === undefined) return false;
  if (a === null || b === null) return a === b;
  return a.toLowerCase() === b.toLowerCase();
}

function telEquals(a: TelUri, b: TelUri): boolean {
  // RFC 3966 §4: visual separators are ignored; hex digits compare case-insensitively.
  const strip = (s: string): string => s.replace(/[-.()]/g, '').toLowerCase();
  if (strip(a.number) !== strip(b.number)) return false;
  if (a.params.size !== b.params.size) return false;
  for (const [name, va] of a.params) {
    if (!b.params.has(name) || !sameParamValue(va, b.params.get(name))) return false;
  }
  return true;
}
