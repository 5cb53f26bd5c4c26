/**
 * Digest challenge and credentials header values: WWW-Authenticate / Proxy-Authenticate
 * and Authorization / Proxy-Authorization (RFC 3261 §20.27, §20.28, §20.44, §25.1;
 * RFC 7616 §3.3–3.4; RFC 2617 §3.2).
 *
 *   challenge    = "Digest" LWS digest-cln *(COMMA digest-cln)
 *   credentials  = "Digest" LWS dig-resp *(COMMA dig-resp)
 *   auth-param   = auth-param-name EQUAL ( token / quoted-string )
 *   quoted-string = SWS DQUOTE *(qdtext / quoted-pair ) DQUOTE
 *   quoted-pair  = "\" (%x00-09 / %x0B-0C / %x0E-7F)
 *
 * One header value holds one challenge or one set of credentials (RFC 3261 §20.44:
 * "WWW-Authenticate" HCOLON challenge), and the parser must not split these headers at
 * their commas (§7.3.1 names them as the exception to list splitting).
 */

export class DigestParseError extends Error {
  override readonly name = 'DigestParseError';
  constructor(
    message: string,
    /** The offset in the header value where parsing failed. */
    readonly offset: number,
  ) {
    super(message);
  }
}

export interface ParsedAuthValue {
  /** The auth scheme as written ("Digest"); compare it case-insensitively (RFC 7235 §2.1). */
  readonly scheme: string;
  /** Parameters by lower-cased name, values unquoted and unescaped. */
  readonly params: Map<string, string>;
}

// RFC 3261 §25.1: token = 1*(alphanum / "-" / "." / "!" / "%" / "*" / "_" / "+" / "`" / "'" / "~")
const TOKEN_CHAR = new Uint8Array(128);
for (const c of 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-.!%*_+`\'~') TOKEN_CHAR[c.charCodeAt(0)] = 1;

function isTokenChar(code: number): boolean {
  return code < 128 && TOKEN_CHAR[code] === 1;
}

function isWs(code: number): boolean {
  return code === 0x20 || code === 0x09;
}

/** True if `s` is a non-empty token (RFC 3261 §25.1). */
export function isToken(s: string): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) if (!isTokenChar(s.charCodeAt(i))) return false;
  return true;
}

/**
 * Split a Digest (or any auth-param based) header value into scheme and parameters.
 * Lenient where deployed clients differ from the grammar and it costs nothing: an
 * unquoted value may hold any visible character except `,` and `"` (some UAs write base64
 * nonces or URIs unquoted), whitespace is allowed around `=` and `,`, and empty list
 * elements are skipped (RFC 7230 §7). Strict where it matters: a parameter appearing twice
 * (RFC 7235 §2.1: "each parameter name MUST only occur once"), an unterminated quoted
 * string, or anything left over after a value throws DigestParseError.
 */
export function parseDigest(value: string): ParsedAuthValue {
  const n = value.length;
  let i = 0;
  while (i < n && isWs(value.charCodeAt(i))) i++;
  const schemeStart = i;
  while (i < n && isTokenChar(value.charCodeAt(i))) i++;
  if (i === schemeStart) throw new DigestParseError('expected an auth scheme', i);
  const scheme = value.slice(schemeStart, i);
  const params = new Map<string, string>();
  if (i < n && !isWs(value.charCodeAt(i))) throw new DigestParseError('expected whitespace after the auth scheme', i);

  for (;;) {
    // Skip whitespace and empty list elements.
    while (i < n && (isWs(value.charCodeAt(i)) || value.charCodeAt(i) === 0x2c)) i++;
    if (i >= n) break;

    const nameStart = i;
    while (i < n && isTokenChar(value.charCodeAt(i))) i++;
    if (i === nameStart) throw new DigestParseError('expected a parameter name', i);
    const name = value.slice(nameStart, i).toLowerCase();
    while (i < n && isWs(value.charCodeAt(i))) i++;
    if (value.charCodeAt(i) !== 0x3d) throw new DigestParseError(`expected "=" after parameter "${name}"`, i);
    i++;
    while (i < n && isWs(value.charCodeAt(i))) i++;

    let v: string;
    if (value.charCodeAt(i) === 0x22) {
      i++;
      let out = '';
      let runStart = i;
      for (;;) {
        if (i >= n) throw new DigestParseError(`unterminated quoted string in parameter "${name}"`, i);
        const c = value.charCodeAt(i);
        if (c === 0x22) break;
        if (c === 0x5c) {
          // RFC 3261 §25.1: quoted-pair excludes CR and LF.
          if (i + 1 >= n) throw new DigestParseError(`dangling backslash in parameter "${name}"`, i);
          const next = value.charCodeAt(i + 1);
          if (next === 0x0d || next === 0x0a) throw new DigestParseError('escaped CR/LF in a quoted string', i);
          out += value.slice(runStart, i) + value[i + 1];
          i += 2;
          runStart = i;
          continue;
        }
        if (c === 0x0d || c === 0x0a || c === 0) throw new DigestParseError('control character in a quoted string', i);
        i++;
      }
      v = out + value.slice(runStart, i);
      i++; // closing quote
    } else {
      const valueStart = i;
      for (; i < n; i++) {
        const c = value.charCodeAt(i);
        if (c === 0x2c || isWs(c)) break;
        if (c === 0x22 || c < 0x21 || c === 0x7f) throw new DigestParseError(`invalid character in the value of "${name}"`, i);
      }
      if (i === valueStart) throw new DigestParseError(`empty value for parameter "${name}"`, i);
      v = value.slice(valueStart, i);
    }

    if (params.has(name)) throw new DigestParseError(`parameter "${name}" appears twice`, nameStart);
    params.set(name, v);

    while (i < n && isWs(value.charCodeAt(i))) i++;
    if (i >= n) break;
    if (value.charCodeAt(i) !== 0x2c) throw new DigestParseError(`expected "," after parameter "${name}"`, i);
  }
  return { scheme, params };
}

/** A Digest challenge (RFC 3261 §25.1 digest-cln, RFC 7616 §3.3). */
export interface DigestChallenge {
  readonly realm: string;
  readonly nonce: string;
  /** The algorithm token as offered, e.g. "SHA-256"; absent means MD5 (RFC 2617 §3.2.1). */
  readonly algorithm?: string;
  /** qop-options, e.g. ["auth"]; absent: the server wants the RFC 2069 form. */
  readonly qop?: readonly string[];
  readonly opaque?: string;
  readonly stale?: boolean;
  readonly domain?: string;
  /** RFC 7616 §3.3: the server supports hashed user names. */
  readonly userhash?: boolean;
}

/** Digest credentials (RFC 3261 §25.1 digest-response, RFC 7616 §3.4). */
export interface DigestCredentials {
  readonly username: string;
  readonly realm: string;
  readonly nonce: string;
  readonly uri: string;
  readonly response: string;
  readonly algorithm?: string;
  readonly cnonce?: string;
  readonly opaque?: string;
  readonly qop?: string;
  /** The 8-hex-digit nonce count as sent. */
  readonly nc?: string;
  readonly userhash?: boolean;
}

function digestParams(value: string): Map<string, string> {
  const { scheme, params } = parseDigest(value);
  if (scheme.toLowerCase() !== 'digest') throw new DigestParseError(`not a Digest value (scheme "${scheme}")`, 0);
  return params;
}

function required(params: Map<string, string>, name: string): string {
  const v = params.get(name);
  if (v === undefined) throw new DigestParseError(`missing "${name}"`, 0);
  return v;
}

function parseBool(params: Map<string, string>, name: string): boolean | undefined {
  const v = params.get(name);
  if (v === undefined) return undefined;
  // RFC 3261 §25.1: stale = "stale" EQUAL ( "true" / "false" ); ABNF strings are case-insensitive.
  const lower = v.toLowerCase();
  if (lower === 'true') return true;
  if (lower === 'false') return false;
  throw new DigestParseError(`"${name}" must be true or false`, 0);
}

/** Parse a WWW-Authenticate / Proxy-Authenticate value holding a Digest challenge. */
export function parseChallenge(value: string): DigestChallenge {
  const p = digestParams(value);
  const qop = p.get('qop');
  const stale = parseBool(p, 'stale');
  const userhash = parseBool(p, 'userhash');
  return {
    realm: required(p, 'realm'),
    nonce: required(p, 'nonce'),
    ...(p.has('algorithm') ? { algorithm: p.get('algorithm') } : {}),
    // RFC 2617 §3.2.1: qop-options = "qop" "=" <"> 1#qop-value <">
    ...(qop !== undefined
      ? {
          qop: qop
            .split(',')
            .map((s) => s.trim())
            .filter((s) => s.length > 0),
        }
      : {}),
    ...(p.has('opaque') ? { opaque: p.get('opaque') } : {}),
    ...(stale !== undefined ? { stale } : {}),
    ...(p.has('domain') ? { domain: p.get('domain') } : {}),
    ...(userhash !== undefined ? { userhash } : {}),
  };
}

/** Parse an Authorization / Proxy-Authorization value holding Digest credentials. */
export function parseCredentials(value: string): DigestCredentials {
  const p = digestParams(value);
  const userhash = parseBool(p, 'userhash');
  return {
    username: required(p, 'username'),
    realm: required(p, 'realm'),
    nonce: required(p, 'nonce'),
    uri: required(p, 'uri'),
    response: required(p, 'response'),
    ...(p.has('algorithm') ? { algorithm: p.get('algorithm') } : {}),
    ...(p.has('cnonce') ? { cnonce: p.get('cnonce') } : {}),
    ...(p.has('opaque') ? { opaque: p.get('opaque') } : {}),
    ...(p.has('qop') ? { qop: p.get('qop') } : {}),
    ...(p.has('nc') ? { nc: p.get('nc') } : {}),
    ...(userhash !== undefined ? { userhash } : {}),
  };
}

/** A quoted-string with `"` and `\` escaped (RFC 3261 §25.1 quoted-pair). CR, LF and NUL cannot be carried. */
export function quote(s: string): string {
  if (/[\r\n\0]/.test(s)) throw new RangeError('a quoted string cannot hold CR, LF or NUL');
  return `"${s.replace(/["\\]/g, '\\$&')}"`;
}

function tokenValue(name: string, s: string): string {
  if (!isToken(s)) throw new RangeError(`${name} must be a token, got ${JSON.stringify(s)}`);
  return s;
}

/** Format a challenge for WWW-Authenticate / Proxy-Authenticate. */
export function formatChallenge(c: DigestChallenge): string {
  const parts = [`realm=${quote(c.realm)}`];
  if (c.domain !== undefined) parts.push(`domain=${quote(c.domain)}`);
  parts.push(`nonce=${quote(c.nonce)}`);
  if (c.opaque !== undefined) parts.push(`opaque=${quote(c.opaque)}`);
  if (c.stale !== undefined) parts.push(`stale=${c.stale ? 'true' : 'false'}`);
  if (c.algorithm !== undefined) parts.push(`algorithm=${tokenValue('algorithm', c.algorithm)}`);
  if (c.qop !== undefined) parts.push(`qop=${quote(c.qop.map((q) => tokenValue('qop', q)).join(','))}`);
  if (c.userhash !== undefined) parts.push(`userhash=${c.userhash ? 'true' : 'false'}`);
  return `Digest ${parts.join(', ')}`;
}

/**
 * Format credentials for Authorization / Proxy-Authorization. Quoting follows RFC 3261
 * §25.1: username, realm, nonce, uri, response, cnonce and opaque are quoted strings;
 * algorithm, qop (message-qop) and nc are tokens. Some servers reject a quoted qop.
 */
export function formatCredentials(c: DigestCredentials): string {
  const parts = [
    `username=${quote(c.username)}`,
    `realm=${quote(c.realm)}`,
    `nonce=${quote(c.nonce)}`,
    `uri=${quote(c.uri)}`,
    `response=${quote(c.response)}`,
  ];
  if (c.algorithm !== undefined) parts.push(`algorithm=${tokenValue('algorithm', c.algorithm)}`);
  if (c.cnonce !== undefined) parts.push(`cnonce=${quote(c.cnonce)}`);
  if (c.opaque !== undefined) parts.push(`opaque=${quote(c.opaque)}`);
  if (c.qop !== undefined) parts.push(`qop=${tokenValue('qop', c.qop)}`);
  if (c.nc !== undefined) {
    if (!/^[0-9a-fA-F]{8}$/.test(c.nc)) throw new RangeError(`nc must be 8 hex digits, got ${JSON.stringify(c.nc)}`);
    parts.push(`nc=${c.nc}`);
  }
  if (c.userhash !== undefined) parts.push(`userhash=${c.userhash ? 'true' : 'false'}`);
  return `Digest ${parts.join(', ')}`;
}
