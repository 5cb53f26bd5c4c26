/**
 * Registrar logic (RFC 3261 §10.3): turn an authenticated REGISTER into binding changes
 * and the response, over an injectable BindingStore. No transport, no transactions: the
 * UA layer authenticates the request (auth/server.ts), calls register(), sends the
 * response, and uses lookup() to reach a registered phone.
 *
 * Decisions:
 * - AOR = "user@host" from the To URI, canonicalised per §10.3 step 5 (scheme, port and
 *   all parameters dropped, escapes undone by the URI parser, host lower-case).
 * - Binding identity is the Contact URI (§19.1.4 comparison), or, when the Contact carries
 *   +sip.instance, the instance id with its reg-id. NOTE: RFC 5626 §6 / RFC 5627 key
 *   bindings on the instance; we do so even without "Supported: outbound", so a phone that
 *   reboots behind NAT and comes back on a new port replaces its old binding instead of
 *   leaving a dead one (which would ring nowhere until it expired).
 * - The §10.3 step 7 ordering violation ("the update MUST be aborted and the request
 *   fails"; no status is named) is answered 400 "Out-of-order REGISTER".
 * - expires: the Contact's expires parameter, else the Expires header, else
 *   `defaultExpires`; above 2^32-1 it is 2^32-1 (§20.19), then clamped to `maxExpires`.
 *   A non-numeric value is a 400 (it is no delta-seconds, §25.1).
 * - All changes of one REGISTER are written with one put() (§10.3 step 7: committed "if
 *   and only if all binding updates and additions succeed"). Requests for one AOR are
 *   serialised within this process; a store shared between nodes must make put()
 *   conditional if two nodes may register the same AOR at once.
 * - At most `maxBindingsPerAor` bindings: beyond that the least recently refreshed
 *   bindings not named in this request are dropped (a UA changing its Contact on every
 *   boot would otherwise fill the AOR with dead bindings).
 * - Expiry times are wall-clock epoch ms (clock.wallNow()), so bindings written by one
 *   node mean the same on another. Each node keeps a timer per AOR it wrote and removes
 *   expired bindings when it fires; bindings left in a persistent store by a node that
 *   died are only dropped when their AOR is next touched (lookup filters them out anyway).
 */
import { randomBytes } from 'node:crypto';
import type { Clock, TimerHandle } from '../clock.ts';
import type { Endpoint, Header, NameAddr, SipRequest, SipResponse, SipUri } from './message.ts';
import { createResponse } from './build.ts';
import { formatNameAddr, getHeader, getHeaders, parseCSeq, parseNameAddr } from './headers.ts';
import { parseUri, uriEquals } from './uri.ts';

/** One registered contact of an address-of-record. Plain JSON-serialisable data. */
export interface Binding {
  /** Canonical AOR, "user@domain". */
  readonly aor: string;
  /** The Contact URI as the UA wrote it (inside the angle brackets). */
  readonly contact: string;
  readonly displayName?: string;
  /** Contact header parameters other than expires and q, in order (null: no value). */
  readonly params: readonly (readonly [string, string | null])[];
  /** Preference 0..1 (§20.10); 1 when absent. */
  readonly q: number;
  /** Wall-clock epoch ms at which the binding lapses. */
  readonly expiresAt: number;
  /** Wall-clock epoch ms of the REGISTER that last created or refreshed it. */
  readonly registeredAt: number;
  readonly callId: string;
  readonly cseq: number;
  /** Where that REGISTER came from: for a phone behind NAT, the only address that reaches it (RFC 5626 "flow"). */
  readonly source?: Endpoint;
  /** +sip.instance (RFC 5626 §4.1), without the angle brackets and quotes. */
  readonly instanceId?: string;
  readonly regId?: number;
  readonly userAgent?: string;
  /** The user name that authenticated the REGISTER, if any. */
  readonly authenticatedUser?: string;
}

export interface BindingStore {
  /** All stored bindings of an AOR (possibly including expired ones). */
  get(aor: string): Promise<Binding[]>;
  /** Replace all bindings of an AOR; an empty list removes it. */
  put(aor: string, bindings: readonly Binding[]): Promise<void>;
}

export interface RegistrarEvents {
  /** The AOR went from no live binding to at least one: the agent layer logs the agent in. */
  online: { readonly aor: string; readonly binding: Binding };
  /** The AOR lost its last live binding: the agent layer logs the agent out. */
  offline: { readonly aor: string; readonly cause: 'unregistered' | 'expired' };
}

export interface RegistrarContext {
  /** Where the REGISTER came from (transport source address and port). */
  readonly source?: Endpoint;
  /** The user name auth/server.ts authenticated, if the REGISTER was authenticated. */
  readonly authenticatedUser?: string;
}

export interface RegistrarOptions {
  readonly store: BindingStore;
  readonly clock: Clock;
  /** Seconds when the UA names none (§10.3 step 7). Default 3600. */
  readonly defaultExpires?: number;
  /** Below this (and below an hour) a non-zero expiry gets 423 (§10.3 step 7). Default 60. */
  readonly minExpires?: number;
  /** Longer requests are shortened to this. Default 7200. */
  readonly maxExpires?: number;
  /** Default 10. */
  readonly maxBindingsPerAor?: number;
  /** §10.3 steps 1 and 4: domains this registrar holds bindings for (e.g. the tenants' SIP domains). Default: any. */
  readonly isLocalDomain?: (host: string) => boolean;
  /**
   * §10.3 step 3: may this authenticated user change this AOR's bindings? Default: the
   * user name equals the AOR's user part.
   */
  readonly authorize?: (authenticatedUser: string, aor: { readonly user: string; readonly domain: string }) => boolean;
  /** Option tags we support (for Require, §8.2.2.3). Default none. */
  readonly supported?: readonly string[];
  /**
   * Errors with no caller to return to: a throwing event listener, or a store failure
   * while expiring bindings on a timer. Default: rethrown on a microtask (loudly).
   */
  readonly onError?: (err: unknown) => void;
}

const MAX_DELTA = 4294967295; // §20.19: 2^32-1

class RegisterRejection extends Error {
  constructor(
    readonly status: number,
    readonly reasonPhrase: string,
    readonly extra: Header[] = [],
  ) {
    super(`${status} ${reasonPhrase}`);
  }
}

interface ContactRequest {
  readonly nameAddr: NameAddr;
  readonly uri: SipUri;
  /** The interval the UA asked for, in seconds. */
  readonly asked: number;
  /** What it gets: `asked` clamped to maxExpires. */
  readonly expires: number;
  readonly q: number;
  readonly instanceId?: string;
  readonly regId?: number;
}

type Listener<K extends keyof RegistrarEvents> = (event: RegistrarEvents[K]) => void;

/** Canonical AOR for a SIP URI (§10.3 step 5): "user@host". */
export function aorOf(uri: SipUri): string {
  return `${uri.user ?? ''}@${uri.host}`;
}

/** Canonical AOR from "user@domain" or a sip:/sips: URI. */
export function normaliseAor(aor: string): string {
  if (/^sips?:/i.test(aor)) {
    const u = parseUri(aor);
    if (u.scheme === 'tel') throw new RangeError(`not a SIP AOR: ${aor}`);
    return aorOf(u);
  }
  const at = aor.lastIndexOf('@');
  if (at < 0) throw new RangeError(`not an AOR: ${aor}`);
  return `${aor.slice(0, at)}@${aor.slice(at + 1).toLowerCase()}`;
}

/** RFC 3261 §8.2.6.2: a final response gets a To tag; §19.3: at least 32 bits of randomness. */
function newTag(): string {
  return randomBytes(6).toString('hex');
}

function parseDelta(value: string, what: string): number {
  if (!/^\d+$/.test(value.trim())) throw new RegisterRejection(400, `Invalid ${what}`);
  return Math.min(Number(value.trim()), MAX_DELTA);
}

// §25.1: qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] )
function parseQ(value: string | null): number {
  if (value === null || !/^(0(\.\d{0,3})?|1(\.0{0,3})?)$/.test(value)) throw new RegisterRejection(400, 'Invalid q');
  return Number(value);
}

function unquote(s: string): string {
  return s.length >= 2 && s.startsWith('"') && s.endsWith('"') ? s.slice(1, -1) : s;
}

export class Registrar {
  private readonly store: BindingStore;
  private readonly clock: Clock;
  private readonly defaultExpires: number;
  private readonly minExpires: number;
  private readonly maxExpires: number;
  private readonly maxBindings: number;
  private readonly isLocalDomain: (host: string) => boolean;
  private readonly authorizeUser: (user: string, aor: { user: string; domain: string }) => boolean;
  private readonly supported: ReadonlySet<string>;
  private readonly onError: (err: unknown) => void;
  private readonly locks = new Map<string, Promise<void>>();
  private readonly timers = new Map<string, TimerHandle>();
  private readonly listeners: { [K in keyof RegistrarEvents]: Set<Listener<K>> } = {
    online: new Set(),
    offline: new Set(),
  };
  private closed = false;

  constructor(options: RegistrarOptions) {
    this.store = options.store;
    this.clock = options.clock;
    this.defaultExpires = options.defaultExpires ?? 3600;
    this.minExpires = options.minExpires ?? 60;
    this.maxExpires = options.maxExpires ?? 7200;
    this.maxBindings = options.maxBindingsPerAor ?? 10;
    this.isLocalDomain = options.isLocalDomain ?? (() => true);
    this.authorizeUser = options.authorize ?? ((user, aor) => user === aor.user);
    this.supported = new Set((options.supported ?? []).map((t) => t.toLowerCase()));
    this.onError =
      options.onError ??
      ((err) =>
        queueMicrotask(() => {
          throw err;
        }));
  }

  on<K extends keyof RegistrarEvents>(event: K, listener: Listener<K>): () => void {
    const set = this.listeners[event] as Set<Listener<K>>;
    set.add(listener);
    return () => set.delete(listener);
  }

  /** Process a REGISTER that has passed authentication; returns the response to send. */
  async register(request: SipRequest, context: RegistrarContext = {}): Promise<SipResponse> {
    if (request.method !== 'REGISTER') throw new RangeError(`register() got a ${request.method}`);
    try {
      return await this.process(request, context);
    } catch (e) {
      if (e instanceof RegisterRejection) {
        return createResponse(request, e.status, e.reasonPhrase, { toTag: newTag(), headers: e.extra });
      }
      throw e;
    }
  }

  /** Live bindings of an AOR ("user@domain" or a SIP URI), most preferred first (q, then most recently refreshed). */
  async lookup(aor: string): Promise<Binding[]> {
    const now = this.clock.wallNow();
    const live = (await this.store.get(normaliseAor(aor))).filter((b) => b.expiresAt > now);
    return live.sort((a, b) => b.q - a.q || b.registeredAt - a.registeredAt);
  }

  /** Stop the expiry timers (bindings stay in the store). */
  close(): void {
    this.closed = true;
    for (const t of this.timers.values()) this.clock.clearTimeout(t);
    this.timers.clear();
  }

  private async process(request: SipRequest, context: RegistrarContext): Promise<SipResponse> {
    // §10.3 step 1: the Request-URI names the domain of the registration.
    let requestUri;
    try {
      requestUri = parseUri(request.uri);
    } catch {
      throw new RegisterRejection(400, 'Invalid Request-URI');
    }
    if (requestUri.scheme === 'tel' || !this.isLocalDomain(requestUri.host)) throw new RegisterRejection(404, 'Not Found');

    // §10.3 step 2 / §8.2.2.3: Require names extensions we must support or refuse with 420.
    const unsupported = getHeaders(request, 'Require')
      .flatMap((v) => v.split(','))
      .map((t) => t.trim())
      .filter((t) => t.length > 0 && !this.supported.has(t.toLowerCase()));
    if (unsupported.length > 0) {
      throw new RegisterRejection(420, 'Bad Extension', [{ name: 'Unsupported', value: unsupported.join(', ') }]);
    }

    // §10.3 step 4 (and 5): the AOR comes from To and must belong to a domain we serve.
    const toValue = getHeader(request, 'To');
    if (toValue === undefined) throw new RegisterRejection(400, 'Missing To');
    let toUri;
    try {
      toUri = parseUri(parseNameAddr(toValue).uri);
    } catch {
      throw new RegisterRejection(400, 'Invalid To');
    }
    if (toUri.scheme === 'tel' || !toUri.user || !this.isLocalDomain(toUri.host)) throw new RegisterRejection(404, 'Not Found');
    const aor = aorOf(toUri);

    // §10.3 step 3: authenticated, but is this user allowed to change this AOR?
    if (context.authenticatedUser !== undefined && !this.authorizeUser(context.authenticatedUser, { user: toUri.user, domain: toUri.host })) {
      throw new RegisterRejection(403, 'Forbidden');
    }

    const callId = getHeader(request, 'Call-ID');
    const cseqValue = getHeader(request, 'CSeq');
    let cseq: number;
    try {
      if (callId === undefined || cseqValue === undefined) throw new RangeError('missing');
      const parsed = parseCSeq(cseqValue);
      if (parsed.method !== request.method) throw new RangeError('CSeq method');
      cseq = parsed.seq;
    } catch {
      throw new RegisterRejection(400, 'Invalid Call-ID or CSeq');
    }

    const expiresHeader = getHeader(request, 'Expires');
    const headerExpires = expiresHeader === undefined ? undefined : parseDelta(expiresHeader, 'Expires');

    const contactValues = getHeaders(request, 'Contact');
    let star = false;
    const contacts: ContactRequest[] = [];
    for (const value of contactValues) {
      if (value.trim() === '*') {
        star = true;
        continue;
      }
      let nameAddr: NameAddr;
      let uri;
      try {
        nameAddr = parseNameAddr(value);
        uri = parseUri(nameAddr.uri);
      } catch {
        throw new RegisterRejection(400, 'Invalid Contact');
      }
      if (uri.scheme === 'tel') throw new RegisterRejection(400, 'Invalid Contact');
      const expParam = nameAddr.params.get('expires');
      const asked =
        expParam !== undefined && expParam !== null ? parseDelta(expParam, 'expires') : (headerExpires ?? this.defaultExpires);
      const qParam = nameAddr.params.get('q');
      const instance = nameAddr.params.get('+sip.instance');
      const regIdParam = nameAddr.params.get('reg-id');
      contacts.push({
        nameAddr,
        uri,
        asked,
        expires: Math.min(asked, this.maxExpires),
        q: qParam === undefined ? 1 : parseQ(qParam),
        ...(instance !== undefined && instance !== null ? { instanceId: unquote(instance) } : {}),
        ...(regIdParam !== undefined && regIdParam !== null && /^\d+$/.test(regIdParam) ? { regId: Number(regIdParam) } : {}),
      });
    }

    // §10.3 step 6: "*" is valid only alone and with Expires: 0.
    if (star && (contactValues.length !== 1 || headerExpires !== 0)) throw new RegisterRejection(400, 'Invalid Contact: *');

    // §10.3 step 7: 423 "if and only if the requested expiration interval is greater than
    // zero AND smaller than one hour AND less than a registrar-configured minimum".
    // Judged on the interval the UA asked for, before our maxExpires clamp could shorten it.
    for (const c of contacts) {
      if (c.asked > 0 && c.asked < 3600 && c.asked < this.minExpires) {
        throw new RegisterRejection(423, 'Interval Too Brief', [{ name: 'Min-Expires', value: String(this.minExpires) }]);
      }
    }

    return this.withLock(aor, async () => {
      const now = this.clock.wallNow();
      const stored = await this.store.get(aor);
      const before = stored.filter((b) => b.expiresAt > now);
      // The expiry timer has not run yet (or another node wrote these): the AOR went
      // offline when its last binding lapsed, and listeners hear so before anything new.
      if (stored.length !== before.length) {
        await this.store.put(aor, before);
        if (before.length === 0) this.emit('offline', { aor, cause: 'expired' });
      }
      let after: Binding[];
      if (star) {
        after = this.removeAll(before, callId, cseq);
      } else if (contacts.length === 0) {
        after = before; // a query (§10.3 step 6 → step 8)
      } else {
        after = this.apply(aor, before, contacts, callId, cseq, now, request, context);
      }
      if (after !== before) {
        await this.store.put(aor, after);
        if (before.length === 0 && after.length > 0) {
          const first = after[after.length - 1];
          if (first) this.emit('online', { aor, binding: first });
        } else if (before.length > 0 && after.length === 0) {
          this.emit('offline', { aor, cause: 'unregistered' });
        }
      }
      this.schedule(aor, after, now);
      return this.ok(request, after, now);
    });
  }

  /** §10.3 step 7 for "Contact: *": remove every binding, unless one proves the request stale. */
  private removeAll(before: Binding[], callId: string, cseq: number): Binding[] {
    for (const b of before) {
      if (b.callId === callId && cseq <= b.cseq) throw new RegisterRejection(400, 'Out-of-order REGISTER');
    }
    return before.length === 0 ? before : [];
  }

  private apply(
    aor: string,
    before: Binding[],
    contacts: ContactRequest[],
    callId: string,
    cseq: number,
    now: number,
    request: SipRequest,
    context: RegistrarContext,
  ): Binding[] {
    const after = before.slice();
    const touched = new Set<Binding>();
    const userAgent = getHeader(request, 'User-Agent');
    for (const c of contacts) {
      const idx = after.findIndex((b) => this.sameBinding(b, c));
      const existing = idx >= 0 ? after[idx] : undefined;
      // §10.3 step 7: same Call-ID and a CSeq not higher than the stored one → abort.
      // Compared against what was stored before this request: one REGISTER naming a
      // contact twice is not out of order with itself.
      if (existing && before.includes(existing) && existing.callId === callId && cseq <= existing.cseq) {
        throw new RegisterRejection(400, 'Out-of-order REGISTER');
      }
      if (c.expires === 0) {
        if (idx >= 0) after.splice(idx, 1);
        continue;
      }
      const params: [string, string | null][] = [];
      for (const [k, v] of c.nameAddr.params) {
        const key = k.toLowerCase();
        if (key !== 'expires' && key !== 'q') params.push([k, v]);
      }
      const binding: Binding = {
        aor,
        contact: c.nameAddr.uri,
        ...(c.nameAddr.displayName !== undefined ? { displayName: c.nameAddr.displayName } : {}),
        params,
        q: c.q,
        expiresAt: now + c.expires * 1000,
        registeredAt: now,
        callId,
        cseq,
        ...(context.source ? { source: context.source } : {}),
        ...(c.instanceId !== undefined ? { instanceId: c.instanceId } : {}),
        ...(c.regId !== undefined ? { regId: c.regId } : {}),
        ...(userAgent !== undefined ? { userAgent } : {}),
        ...(context.authenticatedUser !== undefined ? { authenticatedUser: context.authenticatedUser } : {}),
      };
      if (idx >= 0) after.splice(idx, 1);
      after.push(binding);
      touched.add(binding);
    }
    // Over the cap: drop the least recently refreshed bindings this request did not name.
    while (after.length > this.maxBindings) {
      let victim = -1;
      for (let i = 0; i < after.length; i++) {
        const b = after[i];
        if (!b || touched.has(b)) continue;
        const v = victim >= 0 ? after[victim] : undefined;
        if (!v || b.registeredAt < v.registeredAt) victim = i;
      }
      if (victim < 0) throw new RegisterRejection(403, 'Too Many Contacts');
      after.splice(victim, 1);
    }
    return after;
  }

  private sameBinding(b: Binding, c: ContactRequest): boolean {
    if (c.instanceId !== undefined || b.instanceId !== undefined) {
      if (b.instanceId === c.instanceId && b.regId === c.regId) return true;
    }
    if (b.contact === c.nameAddr.uri) return true;
    try {
      return uriEquals(parseUri(b.contact), c.uri);
    } catch {
      return false;
    }
  }

  /** §10.3 step 8: 200 with every current binding and its remaining expiry, plus Date. */
  private ok(request: SipRequest, bindings: readonly Binding[], now: number): SipResponse {
    const headers: Header[] = bindings.map((b) => {
      const params = new Map<string, string | null>(b.params);
      if (b.q !== 1) params.set('q', String(b.q));
      params.set('expires', String(Math.max(0, Math.ceil((b.expiresAt - now) / 1000))));
      return {
        name: 'Contact',
        value: formatNameAddr({ ...(b.displayName !== undefined ? { displayName: b.displayName } : {}), uri: b.contact, params }),
      };
    });
    headers.push({ name: 'Date', value: new Date(now).toUTCString() });
    return createResponse(request, 200, 'OK', { toTag: newTag(), headers });
  }

  private schedule(aor: string, bindings: readonly Binding[], now: number): void {
    const old = this.timers.get(aor);
    if (old) this.clock.clearTimeout(old);
    this.timers.delete(aor);
    if (this.closed || bindings.length === 0) return;
    const next = Math.min(...bindings.map((b) => b.expiresAt));
    this.timers.set(
      aor,
      this.clock.setTimeout(() => {
        this.timers.delete(aor);
        void this.expire(aor).catch((err: unknown) => this.onError(err));
      }, next - now),
    );
  }

  /** Drop the AOR's lapsed bindings; "offline" if none remain. */
  private async expire(aor: string): Promise<void> {
    await this.withLock(aor, async () => {
      const now = this.clock.wallNow();
      const stored = await this.store.get(aor);
      const live = stored.filter((b) => b.expiresAt > now);
      if (live.length !== stored.length) await this.store.put(aor, live);
      this.schedule(aor, live, now);
      if (stored.length > 0 && live.length === 0) this.emit('offline', { aor, cause: 'expired' });
    });
  }

  private async withLock<T>(aor: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.locks.get(aor) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((r) => (release = r));
    const tail = prev.then(() => mine);
    this.locks.set(aor, tail);
    await prev;
    try {
      return await fn();
    } finally {
      release();
      if (this.locks.get(aor) === tail) this.locks.delete(aor);
    }
  }

  private emit<K extends keyof RegistrarEvents>(event: K, payload: RegistrarEvents[K]): void {
    for (const listener of this.listeners[event] as Set<Listener<K>>) {
      try {
        listener(payload);
      } catch (err) {
        this.onError(err);
      }
    }
  }
}
