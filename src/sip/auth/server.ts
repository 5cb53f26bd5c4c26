/**
 * Digest authentication of incoming requests (RFC 3261 §22.2 user-to-user with 401 /
 * WWW-Authenticate, §22.3 proxy-to-user with 407 / Proxy-Authenticate; RFC 8760 for
 * SHA-256; RFC 7616 / 2617 for the mechanism).
 *
 * Decisions, each a deliberate reading of the RFCs:
 * - One 401/407 carries one challenge per offered algorithm, strongest first (RFC 8760
 *   §2.4: "the UAS ... MUST add [challenges] in order of preference, with the most
 *   preferred first"). All share one nonce; nonce-count tracking is per nonce.
 * - Nonces are stateless HMACs (nonce.ts), shared by every node with the same secret.
 *   The digest is checked before the nonce, so a correct digest on a nonce we no longer
 *   accept (expired, replayed nc, minted under an old secret) is answered stale=true.
 * - A correct response on an expired nonce gets a fresh challenge with stale=true (RFC
 *   7616 §3.3, RFC 2617 §3.2.1: stale only when the digest itself was valid), so the
 *   client retries without asking its user for a password.
 * - nc must increase per nonce (replay.ts). A replayed or forgotten nc is answered like
 *   an expired nonce (stale=true): the legitimate client recovers in one round trip, a
 *   replayer learns nothing.
 * - A response without qop (the RFC 2069 form) is accepted when `allowNoQop` (default
 *   true): RFC 2617 §3.2.2 only says the client "SHOULD" use qop when offered. Without a
 *   nonce-count, such a nonce is single-use.
 * - Wrong password and unknown user get the same fresh 401/407, so user names cannot be
 *   probed. After `maxFailures` failures for one user name from one source address within
 *   `failureWindowMs`, requests for that pair get 403 without their digest being checked
 *   (brute-force brake; keyed by source so a scanner cannot lock out an agent's phone).
 * - Malformed credentials, or a digest-uri that is not the Request-URI, get 400 (RFC 2617
 *   §3.2.2.5: "If they do not match, the server SHOULD return a 400 Bad Request error").
 * - Credentials for another realm are ignored (§22.3: a request may carry credentials
 *   for several proxies); if none are for our realm, the request is challenged.
 */
import { randomBytes } from 'node:crypto';
import type { Header, SipRequest, SipResponse, Endpoint } from '../message.ts';
import type { Clock } from '../../clock.ts';
import { createResponse } from '../build.ts';
import { getHeaders } from '../headers.ts';
import { parseUri, uriEquals } from '../uri.ts';
import { DigestParseError, formatChallenge, parseCredentials, parseDigest } from './challenge.ts';
import type { DigestCredentials } from './challenge.ts';
import { computeResponse, digestEquals, parseAlgorithm, storedHa1 } from './digest.ts';
import type { DigestAlgorithm, DigestQop, HashedCredentials } from './digest.ts';
import { issueNonce, nonceTimestamp } from './nonce.ts';
import { NonceCountTracker, SPENT } from './replay.ts';

export { hashCredentials } from './digest.ts';
export type { HashedCredentials } from './digest.ts';

/** Look up the stored HA1s of a user in a realm; undefined when there is no such user. */
export type CredentialLookup = (username: string, realm: string) => Promise<HashedCredentials | undefined>;

export type AuthHeaderName = 'Authorization' | 'Proxy-Authorization';

export interface DigestAuthenticatorOptions {
  readonly realm: string;
  /** Shared by every node that must accept each other's nonces. At least 16 bytes. */
  readonly secret: Buffer | string;
  readonly lookup: CredentialLookup;
  readonly clock: Clock;
  /**
   * Offered in this order. Default ['SHA-256', 'MD5'] (RFC 8760 §2.4: SHA-256 first).
   * NOTE: RFC 8760 §2.4 says a UAC ignores challenges it cannot answer, but some do not:
   * baresip 1.0.0 (libre 1.1.0) fails registration with "Function not implemented" when
   * any SHA-256 challenge is present, whatever the order, and SIPp 3.6.1 answers only the
   * first challenge ("authentication must use MD5"). Offer ['MD5'] to such UAs.
   */
  readonly algorithms?: readonly DigestAlgorithm[];
  /** How long a nonce stays usable. Default 300 000 ms. */
  readonly nonceLifetimeMs?: number;
  /** Tolerated clock skew between nodes for nonces stamped in the future. Default 30 000 ms. */
  readonly maxClockSkewMs?: number;
  /** Accept RFC 2069 responses without qop (single-use nonce). Default true. */
  readonly allowNoQop?: boolean;
  /** Nonces whose nonce-count is remembered. Default 50 000. */
  readonly maxTrackedNonces?: number;
  /**
   * Failures per (user name, source host) before 403. Default 10; 0 disables. Besides
   * scanners, this is what stops a misconfigured phone: baresip 1.0.0 with a wrong
   * password answers every fresh 401 again, forever; the 403 ends that loop.
   */
  readonly maxFailures?: number;
  /** Window for `maxFailures`, and how long the 403 lasts. Default 300 000 ms. */
  readonly failureWindowMs?: number;
  /**
   * Require the digest-uri to be the Request-URI (RFC 2617 §3.2.2.5). Default true.
   * NOTE: SIPp 3.6.1 computes INVITE credentials over "sip:<remote host>:<port>", not the
   * Request-URI; switch this off to benchmark authenticated calls with it.
   */
  readonly verifyDigestUri?: boolean;
}

/** Why a request was not authenticated; for logs and metrics, never sent to the client. */
export type AuthFailureCode =
  | 'no-credentials'
  | 'malformed'
  | 'uri-mismatch'
  | 'unsupported-algorithm'
  | 'unsupported-qop'
  | 'unknown-nonce'
  | 'unknown-user'
  | 'bad-response'
  | 'stale-nonce'
  | 'replay'
  | 'locked';

export type AuthResult =
  | { readonly ok: true; readonly username: string }
  | {
      readonly ok: false;
      /** 401 + WWW-Authenticate, 407 + Proxy-Authenticate, 400, or 403. Send it as is. */
      readonly response: SipResponse;
      readonly code: AuthFailureCode;
      readonly reason: string;
    };

/** RFC 3261 §8.2.6.2: a final response gets a To tag; §19.3: at least 32 bits of randomness. */
function newTag(): string {
  return randomBytes(6).toString('hex');
}

interface FailureEntry {
  count: number;
  since: number;
}

const MAX_FAILURE_KEYS = 10_000;

export class DigestAuthenticator {
  readonly realm: string;
  private readonly secret: Buffer;
  private readonly lookup: CredentialLookup;
  private readonly clock: Clock;
  private readonly algorithms: readonly DigestAlgorithm[];
  private readonly lifetime: number;
  private readonly skew: number;
  private readonly allowNoQop: boolean;
  private readonly verifyDigestUri: boolean;
  private readonly maxFailures: number;
  private readonly failureWindow: number;
  private readonly counts: NonceCountTracker;
  private readonly failures = new Map<string, FailureEntry>();

  constructor(options: DigestAuthenticatorOptions) {
    this.realm = options.realm;
    this.secret = Buffer.isBuffer(options.secret) ? options.secret : Buffer.from(options.secret, 'utf8');
    if (this.secret.length < 16) throw new RangeError('the nonce secret must be at least 16 bytes');
    this.lookup = options.lookup;
    this.clock = options.clock;
    this.algorithms = options.algorithms ?? ['SHA-256', 'MD5'];
    if (this.algorithms.length === 0) throw new RangeError('offer at least one algorithm');
    this.lifetime = options.nonceLifetimeMs ?? 300_000;
    this.skew = options.maxClockSkewMs ?? 30_000;
    this.allowNoQop = options.allowNoQop ?? true;
    this.verifyDigestUri = options.verifyDigestUri ?? true;
    this.maxFailures = options.maxFailures ?? 10;
    this.failureWindow = options.failureWindowMs ?? 300_000;
    this.counts = new NonceCountTracker(options.maxTrackedNonces ?? 50_000);
  }

  /**
   * Check the request's credentials in `header`. On success the caller proceeds with the
   * request; on failure it sends `response` (built with createResponse, so it carries
   * the request's Via, From, To (with a tag), Call-ID and CSeq).
   *
   * `source`: where the request came from, used only to key the failure counter.
   */
  async authenticate(request: SipRequest, header: AuthHeaderName, source?: Endpoint): Promise<AuthResult> {
    let creds: DigestCredentials | undefined;
    for (const value of getHeaders(request, header)) {
      let scheme: string;
      let realm: string | undefined;
      try {
        const parsed = parseDigest(value);
        scheme = parsed.scheme;
        realm = parsed.params.get('realm');
      } catch (e) {
        if (e instanceof DigestParseError) return this.badRequest(request, `malformed ${header}: ${e.message}`);
        throw e;
      }
      if (scheme.toLowerCase() !== 'digest' || realm !== this.realm) continue;
      try {
        creds = parseCredentials(value);
      } catch (e) {
        if (e instanceof DigestParseError) return this.badRequest(request, `malformed ${header}: ${e.message}`);
        throw e;
      }
      break;
    }
    if (!creds) return this.fail(request, header, 'no-credentials', `no Digest credentials for realm "${this.realm}"`);

    const failureKey = `${creds.username}\0${source?.host ?? ''}`;
    if (this.isLocked(failureKey)) {
      return {
        ok: false,
        code: 'locked',
        reason: `too many failures for "${creds.username}"`,
        response: createResponse(request, 403, 'Forbidden', { toTag: newTag() }),
      };
    }

    const algorithm = parseAlgorithm(creds.algorithm);
    if (!algorithm || !this.algorithms.includes(algorithm)) {
      return this.fail(request, header, 'unsupported-algorithm', `algorithm ${creds.algorithm ?? 'MD5'} not offered`);
    }

    let qop: DigestQop | undefined;
    let nc = SPENT;
    if (creds.qop === undefined) {
      if (!this.allowNoQop) return this.fail(request, header, 'unsupported-qop', 'credentials without qop');
    } else {
      const q = creds.qop.toLowerCase();
      // We offer only auth; auth-int is strictly stronger, so a client choosing it is not refused.
      if (q !== 'auth' && q !== 'auth-int') return this.fail(request, header, 'unsupported-qop', `qop=${creds.qop}`);
      qop = q;
      // RFC 2617 §3.2.2: with qop, cnonce and nc MUST be present; nc-value = 8LHEX.
      if (creds.cnonce === undefined || creds.nc === undefined || !/^[0-9a-fA-F]{8}$/.test(creds.nc)) {
        return this.badRequest(request, 'qop without a valid nc and cnonce');
      }
      nc = parseInt(creds.nc, 16);
      if (nc === 0) return this.badRequest(request, 'nc=00000000');
    }
    if ((algorithm === 'MD5-sess' || algorithm === 'SHA-256-sess') && creds.cnonce === undefined) {
      return this.badRequest(request, `${algorithm} without cnonce`);
    }

    if (this.verifyDigestUri && !this.uriMatches(creds.uri, request.uri)) {
      return this.badRequest(request, `digest uri "${creds.uri}" is not the Request-URI "${request.uri}"`, 'uri-mismatch');
    }

    const stored = await this.lookup(creds.username, this.realm);
    if (!stored) {
      this.recordFailure(failureKey);
      return this.fail(request, header, 'unknown-user', `unknown user "${creds.username}"`);
    }
    const expected = computeResponse({
      algorithm,
      ha1: storedHa1(stored, algorithm),
      nonce: creds.nonce,
      method: request.method,
      uri: creds.uri,
      ...(qop !== undefined ? { qop } : {}),
      ...(creds.nc !== undefined ? { nc: creds.nc } : {}),
      ...(creds.cnonce !== undefined ? { cnonce: creds.cnonce } : {}),
      body: request.body,
    });
    if (!digestEquals(expected, creds.response)) {
      this.recordFailure(failureKey);
      return this.fail(request, header, 'bad-response', `wrong response for "${creds.username}"`);
    }

    // Only now, with a digest proven right, is the nonce looked at: a correct digest on a
    // nonce we did not mint (another secret, a restart) or no longer accept is "stale"
    // (RFC 7616 §3.3), and the client retries with the fresh one without re-asking.
    const issuedAt = nonceTimestamp(this.secret, this.realm, creds.nonce);
    if (issuedAt === undefined) return this.fail(request, header, 'unknown-nonce', 'nonce not issued by us', true);
    const now = this.clock.wallNow();
    if (issuedAt + this.lifetime < now || issuedAt > now + this.skew) {
      return this.fail(request, header, 'stale-nonce', 'nonce expired', true);
    }
    if (!this.counts.accept(creds.nonce, issuedAt, nc, now - this.lifetime)) {
      return this.fail(
        request,
        header,
        'replay',
        qop === undefined ? 'nonce reused without qop' : `nc=${creds.nc} not greater than before`,
        true,
      );
    }
    this.failures.delete(failureKey);
    return { ok: true, username: creds.username };
  }

  /** A fresh 401 (Authorization) or 407 (Proxy-Authorization) challenge for `request`. */
  challenge(request: SipRequest, header: AuthHeaderName, stale = false): SipResponse {
    const nonce = issueNonce(this.secret, this.realm, this.clock.wallNow());
    const name = header === 'Authorization' ? 'WWW-Authenticate' : 'Proxy-Authenticate';
    const headers: Header[] = this.algorithms.map((algorithm) => ({
      name,
      value: formatChallenge({
        realm: this.realm,
        nonce,
        ...(stale ? { stale: true } : {}),
        algorithm,
        qop: ['auth'],
      }),
    }));
    return header === 'Authorization'
      ? createResponse(request, 401, 'Unauthorized', { toTag: newTag(), headers })
      : createResponse(request, 407, 'Proxy Authentication Required', { toTag: newTag(), headers });
  }

  private fail(
    request: SipRequest,
    header: AuthHeaderName,
    code: AuthFailureCode,
    reason: string,
    stale = false,
  ): AuthResult {
    return { ok: false, code, reason, response: this.challenge(request, header, stale) };
  }

  private badRequest(request: SipRequest, reason: string, code: AuthFailureCode = 'malformed'): AuthResult {
    return { ok: false, code, reason, response: createResponse(request, 400, 'Bad Request', { toTag: newTag() }) };
  }

  /**
   * RFC 2617 §3.2.2.5: the digest-uri must be the Request-URI. Compared as text first,
   * then as URIs (RFC 3261 §19.1.4), since UAs differ in escaping and parameter order.
   */
  private uriMatches(digestUri: string, requestUri: string): boolean {
    if (digestUri === requestUri) return true;
    try {
      return uriEquals(parseUri(digestUri), parseUri(requestUri));
    } catch {
      return false;
    }
  }

  private isLocked(key: string): boolean {
    if (this.maxFailures <= 0) return false;
    const e = this.failures.get(key);
    if (!e) return false;
    if (this.clock.now() - e.since > this.failureWindow) {
      this.failures.delete(key);
      return false;
    }
    return e.count >= this.maxFailures;
  }

  private recordFailure(key: string): void {
    if (this.maxFailures <= 0) return;
    const now = this.clock.now();
    const e = this.failures.get(key);
    if (e && now - e.since <= this.failureWindow) {
      e.count++;
      return;
    }
    this.failures.delete(key);
    if (this.failures.size >= MAX_FAILURE_KEYS) {
      const first = this.failures.keys().next();
      if (!first.done) this.failures.delete(first.value);
    }
    this.failures.set(key, { count: 1, since: now });
  }
}
