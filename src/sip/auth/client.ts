/**
 * Answering Digest challenges as a UAC (RFC 3261 §22.2, §22.3, §8.1.3.5; RFC 8760 for
 * SHA-256; RFC 7616 / 2617 for the mechanism): outbound trunks and our own UAC.
 *
 * Usage: when a request gets a 401 or 407,
 *
 *   const r = authorizeRequest(request, response, creds, state);
 *   if (r.ok) send r.request as a NEW client transaction; else report r.reason.
 *
 * What authorizeRequest does to the request (and what the caller must still do):
 * - adds (or replaces, for the same realm) Authorization (after a 401) or
 *   Proxy-Authorization (after a 407) — one per challenged realm (§22.3);
 * - increments the CSeq number (§8.1.3.5: "the CSeq header field value MUST be
 *   incremented"); Call-ID, From (with its tag), To, Route and body are kept, as §8.1.3.5
 *   and §22.2 require;
 * - gives the top Via a fresh branch (§8.1.1.7: a new transaction needs a new branch), so
 *   the result can be sent as is; a transaction layer that stamps its own branch simply
 *   overwrites it.
 * The caller must: send it in a new client transaction (the ACK for a 401/407 to an INVITE
 * belongs to the old transaction, §17.1.1.3); for an INVITE, remember that a later CANCEL
 * must copy the retried request's CSeq number and branch (§9.1); keep using `state` for the
 * same peer so nonce counts increase; never feed a CANCEL (§22.1: it cannot be challenged).
 *
 * Credentials from HA1 (RFC 7616 §3.4.2: "the HA1 ... stands in for the password"):
 * a trunk whose password we do not keep is answered from its stored HA1 — H(user:realm:pw)
 * in MD5, optionally also SHA-256. Such credentials are usable only for their own realm
 * (the realm is hashed into HA1) and only for the algorithms whose HA1 we hold; other
 * challenges are ignored as unusable, exactly like an unknown algorithm.
 *
 * Retry policy: answering a challenge whose credentials were already rejected is futile,
 * so authorizeRequest gives up when the request it is asked to retry already carried
 * credentials for that realm computed on a first use of a nonce (nc=00000001) and the
 * new challenge is not stale=true, or when the server sent back the very nonce the
 * request already used. With stale=true (RFC 7616 §3.3: "the client may wish to simply
 * retry the request with a new encrypted response, without re-prompting") it retries, at
 * most MAX_STALE_RETRIES times in a row.
 */
import { randomBytes } from 'node:crypto';
import type { Header, SipRequest, SipResponse } from '../message.ts';
import { canonicalHeaderName, formatCSeq, formatVia, getHeaders, parseCSeq, parseVia } from '../headers.ts';
import { DigestParseError, formatCredentials, parseChallenge, parseCredentials, parseDigest } from './challenge.ts';
import type { DigestChallenge, DigestCredentials } from './challenge.ts';
import { baseAlgorithm, computeHa1, computeResponse, parseAlgorithm } from './digest.ts';
import type { DigestAlgorithm, DigestQop } from './digest.ts';

/** A user name and password: answers any algorithm (and any realm unless `realm` is set). */
export interface PasswordCredentials {
  readonly username: string;
  readonly password: string;
  /** Answer only challenges for this realm; undefined: answer any realm with these credentials. */
  readonly realm?: string;
}

/**
 * Stored HA1s instead of the password (RFC 7616 §3.4.2): `ha1` = MD5(username:realm:password),
 * `ha1Sha256` = SHA-256(username:realm:password) when known. Only challenges for `realm` are
 * answered, and only with the algorithms whose HA1 is given (MD5/MD5-sess, SHA-256/SHA-256-sess).
 */
export interface Ha1Credentials {
  readonly username: string;
  readonly realm: string;
  readonly ha1: string;
  readonly ha1Sha256?: string;
}

export type ClientCredentials = PasswordCredentials | Ha1Credentials;

/** The HA1 these credentials give for an algorithm in a realm; undefined when they cannot answer it. */
function ha1Of(creds: ClientCredentials, algorithm: DigestAlgorithm, realm: string): string | undefined {
  if ('password' in creds) return computeHa1(algorithm, creds.username, realm, creds.password);
  if (realm !== creds.realm) return undefined;
  const base = baseAlgorithm(algorithm);
  const ha1 = base === 'MD5' ? creds.ha1 : creds.ha1Sha256;
  return ha1 === undefined ? undefined : ha1.toLowerCase();
}

export type AuthorizeResult = { readonly ok: true; readonly request: SipRequest } | { readonly ok: false; readonly reason: string };

/** Consecutive stale=true retries before giving up (a server whose clock is broken would otherwise loop). */
export const MAX_STALE_RETRIES = 3;

// Strongest first (RFC 8760 §2.4 lets the client pick among offers; SHA-256 is the
// stronger hash). The -sess variants add nothing for SIP, so they rank after their base.
const STRENGTH: readonly DigestAlgorithm[] = ['SHA-256', 'SHA-256-sess', 'MD5', 'MD5-sess'];

interface RealmState {
  readonly header: 'Authorization' | 'Proxy-Authorization';
  readonly challenge: DigestChallenge;
  readonly algorithm: DigestAlgorithm;
  readonly qop: DigestQop | undefined;
  nc: number;
}

/**
 * What a UAC remembers between requests to one peer: the last challenge per realm and how
 * many times its nonce was used. One per trunk / registration; not shared between peers.
 */
export class DigestClientState {
  /** @internal */ readonly realms = new Map<string, RealmState>();
  /** @internal */ staleStreak = 0;
  /** For tests: where cnonces come from. */
  constructor(readonly newCnonce: () => string = () => randomBytes(12).toString('hex')) {}
}

interface Offer {
  readonly challenge: DigestChallenge;
  readonly algorithm: DigestAlgorithm;
  readonly qop: DigestQop | undefined;
}

function usableOffer(challenge: DigestChallenge): Offer | undefined {
  const algorithm = parseAlgorithm(challenge.algorithm);
  if (!algorithm) return undefined;
  let qop: DigestQop | undefined;
  if (challenge.qop !== undefined) {
    const offered = challenge.qop.map((q) => q.toLowerCase());
    // RFC 7616 §3.4: the client picks one of the offered qop values; auth is the one SIP uses.
    if (offered.includes('auth')) qop = 'auth';
    else if (offered.includes('auth-int')) qop = 'auth-int';
    else return undefined;
  }
  return { challenge, algorithm, qop };
}

/** The strongest usable offer per realm, realms in the order the server listed them. */
function offersByRealm(response: SipResponse, headerName: string, creds: ClientCredentials): Map<string, Offer> {
  const onlyRealm = creds.realm;
  const best = new Map<string, Offer>();
  for (const value of getHeaders(response, headerName)) {
    let challenge: DigestChallenge;
    try {
      if (parseDigest(value).scheme.toLowerCase() !== 'digest') continue;
      challenge = parseChallenge(value);
    } catch (e) {
      if (e instanceof DigestParseError) continue; // one broken challenge must not hide a good one
      throw e;
    }
    if (onlyRealm !== undefined && challenge.realm !== onlyRealm) continue;
    const offer = usableOffer(challenge);
    if (!offer || ha1Of(creds, offer.algorithm, challenge.realm) === undefined) continue;
    const current = best.get(challenge.realm);
    if (!current || STRENGTH.indexOf(offer.algorithm) < STRENGTH.indexOf(current.algorithm)) best.set(challenge.realm, offer);
  }
  return best;
}

function previousCredentials(request: SipRequest, headerName: string, realm: string): DigestCredentials | undefined {
  for (const value of getHeaders(request, headerName)) {
    try {
      const c = parseCredentials(value);
      if (c.realm === realm) return c;
    } catch {
      // Not ours to judge: a foreign or broken header is simply not a previous answer.
    }
  }
  return undefined;
}

function credentialsFor(request: SipRequest, st: RealmState, creds: ClientCredentials, cnonce: string): string {
  const { challenge, algorithm, qop } = st;
  const nc = st.nc.toString(16).padStart(8, '0');
  const needsCnonce = qop !== undefined || algorithm === 'MD5-sess' || algorithm === 'SHA-256-sess';
  const response = computeResponse({
    algorithm,
    ha1: ha1Of(creds, algorithm, challenge.realm) ?? '',
    nonce: challenge.nonce,
    method: request.method,
    uri: request.uri,
    ...(qop !== undefined ? { qop, nc } : {}),
    ...(needsCnonce ? { cnonce } : {}),
    body: request.body,
  });
  return formatCredentials({
    username: creds.username,
    realm: challenge.realm,
    nonce: challenge.nonce,
    uri: request.uri,
    response,
    // Echo the algorithm token as the server wrote it; an absent one meant MD5 (RFC 2617 §3.2.1).
    ...(challenge.algorithm !== undefined ? { algorithm: challenge.algorithm } : {}),
    ...(needsCnonce ? { cnonce } : {}),
    ...(challenge.opaque !== undefined ? { opaque: challenge.opaque } : {}),
    ...(qop !== undefined ? { qop, nc } : {}),
  });
}

/** Replace this realm's credentials in `headers` (in place of the old ones, else appended). */
function withCredentials(headers: readonly Header[], name: string, realm: string, value: string): Header[] {
  const out: Header[] = [];
  let placed = false;
  for (const h of headers) {
    if (canonicalHeaderName(h.name) === name) {
      let sameRealm = false;
      try {
        sameRealm = parseDigest(h.value).params.get('realm') === realm;
      } catch {
        sameRealm = false;
      }
      if (sameRealm) {
        if (!placed) out.push({ name, value });
        placed = true;
        continue;
      }
    }
    out.push(h);
  }
  if (!placed) out.push({ name, value });
  return out;
}

/** RFC 3261 §8.1.3.5: the retried request's CSeq number is one higher. */
function incrementCSeq(headers: Header[]): Header[] {
  return headers.map((h) => {
    if (canonicalHeaderName(h.name) !== 'CSeq') return h;
    const cseq = parseCSeq(h.value);
    return { name: h.name, value: formatCSeq({ seq: cseq.seq + 1, method: cseq.method }) };
  });
}

/** RFC 3261 §8.1.1.7: a new transaction gets a new branch, starting with the magic cookie. */
function freshTopBranch(headers: Header[]): Header[] {
  const i = headers.findIndex((h) => canonicalHeaderName(h.name) === 'Via');
  const top = headers[i];
  if (!top) return headers;
  const via = parseVia(top.value);
  const branch = `z9hG4bK${randomBytes(10).toString('hex')}`;
  const out = headers.slice();
  out[i] = { name: top.name, value: formatVia({ ...via, params: new Map(via.params).set('branch', branch) }) };
  return out;
}

/**
 * Build the retry of `request` that answers the 401/407 `challengeResponse` (see the file
 * comment for exactly what changes and what the caller must do). Never mutates its inputs.
 */
export function authorizeRequest(
  request: SipRequest,
  challengeResponse: SipResponse,
  creds: ClientCredentials,
  state: DigestClientState,
): AuthorizeResult {
  let challengeName: string;
  let credName: 'Authorization' | 'Proxy-Authorization';
  if (challengeResponse.status === 401) {
    challengeName = 'WWW-Authenticate';
    credName = 'Authorization';
  } else if (challengeResponse.status === 407) {
    challengeName = 'Proxy-Authenticate';
    credName = 'Proxy-Authorization';
  } else {
    return { ok: false, reason: `status ${challengeResponse.status} is not a challenge` };
  }
  if (request.method === 'CANCEL' || request.method === 'ACK') {
    return { ok: false, reason: `${request.method} cannot be challenged (RFC 3261 §22.1)` };
  }

  const offers = offersByRealm(challengeResponse, challengeName, creds);
  if (offers.size === 0) {
    return {
      ok: false,
      reason: creds.realm !== undefined ? `no usable Digest challenge for realm "${creds.realm}"` : 'no usable Digest challenge',
    };
  }

  let anyStale = false;
  for (const [realm, offer] of offers) {
    const prev = previousCredentials(request, credName, realm);
    if (!prev) continue;
    if (prev.nonce === offer.challenge.nonce) return { ok: false, reason: `realm "${realm}" rejected our credentials` };
    if (offer.challenge.stale === true) {
      anyStale = true;
      continue;
    }
    // A rejection of credentials computed on a cached nonce (nc > 1) may just mean the
    // server forgot the nonce without saying stale; one fresh attempt is worth it.
    if (prev.nc === undefined || parseInt(prev.nc, 16) <= 1) {
      return { ok: false, reason: `realm "${realm}" rejected our credentials` };
    }
  }
  if (anyStale) {
    if (state.staleStreak >= MAX_STALE_RETRIES) return { ok: false, reason: 'too many stale=true challenges in a row' };
    state.staleStreak++;
  } else {
    state.staleStreak = 0;
  }

  let headers: Header[] = request.headers.slice();
  for (const [realm, offer] of offers) {
    const known = state.realms.get(realm);
    const st: RealmState =
      known && known.challenge.nonce === offer.challenge.nonce && known.algorithm === offer.algorithm
        ? known
        : { header: credName, challenge: offer.challenge, algorithm: offer.algorithm, qop: offer.qop, nc: 0 };
    st.nc++;
    state.realms.set(realm, st);
    headers = withCredentials(headers, credName, realm, credentialsFor(request, st, creds, state.newCnonce()));
  }
  headers = freshTopBranch(incrementCSeq(headers));
  return { ok: true, request: { ...request, headers } };
}

/**
 * Add credentials for every realm this state has a challenge for, reusing its nonce with
 * the next nonce count (RFC 2617 §3.3: the client may reuse a nonce preemptively), so a
 * re-REGISTER or the next INVITE to the same peer is not challenged again. The request is
 * otherwise untouched (it is already a new request: its CSeq and branch are the caller's).
 * If the server has expired the nonce it answers stale=true and authorizeRequest retries.
 */
export function preauthorizeRequest(request: SipRequest, creds: ClientCredentials, state: DigestClientState): SipRequest {
  if (request.method === 'CANCEL' || request.method === 'ACK') return request;
  let headers: Header[] | undefined;
  for (const [realm, st] of state.realms) {
    if (creds.realm !== undefined && realm !== creds.realm) continue;
    if (ha1Of(creds, st.algorithm, realm) === undefined) continue;
    st.nc++;
    headers = withCredentials(headers ?? request.headers, st.header, realm, credentialsFor(request, st, creds, state.newCnonce()));
  }
  state.staleStreak = 0;
  return headers ? { ...request, headers } : request;
}
