/**
 * The digest computation itself (RFC 2617 §3.2.2, RFC 7616 §3.4, used by SIP per
 * RFC 3261 §22.4 and RFC 8760 for SHA-256). Pure functions over strings; no I/O, no state.
 *
 *   HA1      = H(username ":" realm ":" password)                  (stored, never the password)
 *   HA1-sess = H(HA1 ":" nonce ":" cnonce)                          (the "-sess" algorithms)
 *   HA2      = H(method ":" digest-uri)                             qop=auth or no qop
 *            = H(method ":" digest-uri ":" H(entity-body))          qop=auth-int
 *   response = H(HA1 ":" nonce ":" nc ":" cnonce ":" qop ":" HA2)   with qop
 *            = H(HA1 ":" nonce ":" HA2)                             without qop (RFC 2069)
 *
 * Decision on the qop-less (RFC 2069) form: RFC 2617 §3.2.2 says a client "SHOULD" send
 * qop when the challenge offered it, so a response without qop is still valid and RFC
 * 3261 §22.4 keeps it for backward compatibility. This module computes both forms; the
 * server (server.ts) accepts the qop-less form but treats its nonce as single-use, because
 * without a nonce-count nothing else distinguishes a replay.
 */
import { createHash, timingSafeEqual } from 'node:crypto';

/** The algorithms we compute. RFC 7616 §6.1 also registers SHA-512-256, which SIP (RFC 8760) does too; we do not offer it. */
export type DigestAlgorithm = 'MD5' | 'MD5-sess' | 'SHA-256' | 'SHA-256-sess';

export const DIGEST_ALGORITHMS: readonly DigestAlgorithm[] = ['MD5', 'MD5-sess', 'SHA-256', 'SHA-256-sess'];

/** Quality of protection (RFC 2617 §3.2.1); undefined = the RFC 2069 form. */
export type DigestQop = 'auth' | 'auth-int';

/**
 * The algorithm token as written on the wire, matched case-insensitively (RFC 7616 §3.3:
 * algorithm is a token, and tokens compare case-insensitively); undefined for an
 * algorithm we do not support. An absent algorithm means MD5 (RFC 2617 §3.2.1).
 */
export function parseAlgorithm(token: string | undefined): DigestAlgorithm | undefined {
  if (token === undefined) return 'MD5';
  switch (token.toUpperCase()) {
    case 'MD5':
      return 'MD5';
    case 'MD5-SESS':
      return 'MD5-sess';
    case 'SHA-256':
      return 'SHA-256';
    case 'SHA-256-SESS':
      return 'SHA-256-sess';
    default:
      return undefined;
  }
}

/** The base hash of an algorithm: the "-sess" variants hash with the same function. */
export function baseAlgorithm(algorithm: DigestAlgorithm): 'MD5' | 'SHA-256' {
  return algorithm === 'MD5' || algorithm === 'MD5-sess' ? 'MD5' : 'SHA-256';
}

function isSess(algorithm: DigestAlgorithm): boolean {
  return algorithm === 'MD5-sess' || algorithm === 'SHA-256-sess';
}

/** Lower-case hex H(data) (RFC 7616 §3.4.1: "H(data)" is the hex of the hash). Strings are hashed as UTF-8 (RFC 7616 §4). */
export function hashHex(algorithm: DigestAlgorithm, data: string | Buffer): string {
  return createHash(baseAlgorithm(algorithm) === 'MD5' ? 'md5' : 'sha256')
    .update(data)
    .digest('hex');
}

/** HA1 = H(username:realm:password) for the algorithm's base hash. This is what a credential store keeps. */
export function computeHa1(algorithm: DigestAlgorithm, username: string, realm: string, password: string): string {
  return hashHex(algorithm, `${username}:${realm}:${password}`);
}

/**
 * The HA1 that enters the response: the stored HA1 itself, or for "-sess" algorithms
 * H(HA1:nonce:cnonce) (RFC 2617 §3.2.2.2, RFC 7616 §3.4.2).
 */
export function sessionHa1(algorithm: DigestAlgorithm, ha1: string, nonce: string, cnonce: string | undefined): string {
  if (!isSess(algorithm)) return ha1;
  if (cnonce === undefined) throw new RangeError(`${algorithm} needs a cnonce`);
  return hashHex(algorithm, `${ha1}:${nonce}:${cnonce}`);
}

/** HA2 (RFC 2617 §3.2.2.3, RFC 7616 §3.4.3). `body` is only used for qop=auth-int. */
export function computeHa2(
  algorithm: DigestAlgorithm,
  method: string,
  uri: string,
  qop: DigestQop | undefined,
  body?: Buffer,
): string {
  if (qop === 'auth-int') return hashHex(algorithm, `${method}:${uri}:${hashHex(algorithm, body ?? Buffer.alloc(0))}`);
  return hashHex(algorithm, `${method}:${uri}`);
}

export interface DigestResponseInput {
  readonly algorithm: DigestAlgorithm;
  /** The stored HA1 for the algorithm's base hash (not the "-sess" one: that is derived here). */
  readonly ha1: string;
  readonly nonce: string;
  readonly method: string;
  /** The digest-uri exactly as it appears in the credentials. */
  readonly uri: string;
  /** undefined: RFC 2069 form (no nc, no cnonce unless the algorithm is "-sess"). */
  readonly qop?: DigestQop;
  /** Nonce count as the 8 hex digits sent on the wire (RFC 2617 §3.2.2: "nc=00000001"). */
  readonly nc?: string;
  readonly cnonce?: string;
  /** The message body, for qop=auth-int. */
  readonly body?: Buffer;
}

/** The request-digest (RFC 2617 §3.2.2.1, RFC 7616 §3.4.1), lower-case hex. */
export function computeResponse(input: DigestResponseInput): string {
  const { algorithm, nonce, qop } = input;
  const ha1 = sessionHa1(algorithm, input.ha1, nonce, input.cnonce);
  const ha2 = computeHa2(algorithm, input.method, input.uri, qop, input.body);
  if (qop === undefined) return hashHex(algorithm, `${ha1}:${nonce}:${ha2}`);
  if (input.nc === undefined || input.cnonce === undefined) throw new RangeError(`qop=${qop} needs nc and cnonce`);
  return hashHex(algorithm, `${ha1}:${nonce}:${input.nc}:${input.cnonce}:${qop}:${ha2}`);
}

/**
 * Compare two hex digests without leaking, through timing, how many leading characters
 * matched. Case-insensitive because RFC 2617 §3.2.2 calls the response LHEX but some
 * clients send upper case.
 */
export function digestEquals(expected: string, received: string): boolean {
  const a = Buffer.from(expected.toLowerCase(), 'utf8');
  const b = Buffer.from(received.toLowerCase(), 'utf8');
  if (a.length !== b.length) return false;
  return timingSafeEqual(a, b);
}

/** Stored credentials: both HA1s, so either algorithm can be verified without the password. */
export interface HashedCredentials {
  readonly ha1Md5: string;
  readonly ha1Sha256: string;
}

/** Hash a password for storage (RFC 7616 §5.2 recommends storing HA1 rather than the password). */
export function hashCredentials(username: string, realm: string, password: string): HashedCredentials {
  return {
    ha1Md5: computeHa1('MD5', username, realm, password),
    ha1Sha256: computeHa1('SHA-256', username, realm, password),
  };
}

/** Pick the stored HA1 that an algorithm's response is computed from. */
export function storedHa1(credentials: HashedCredentials, algorithm: DigestAlgorithm): string {
  return baseAlgorithm(algorithm) === 'MD5' ? credentials.ha1Md5 : credentials.ha1Sha256;
}
