/**
 * Agent phones: digest-authenticated REGISTER (RFC 3261 §10.3, §22) into the registrar.
 * Passwords are never known here: credentials come from a lookup (the agents repository's
 * HA1s, MD5 and SHA-256, for realm = tenant slug), cached briefly so a burst of REGISTERs
 * or caller INVITEs does not become a burst of queries. A phone that registers brings its
 * agent online; losing the last binding of the extension takes the agent offline — typed
 * events carrying the extension, which the agent state machine of the queues listens to.
 * The registered contacts of an extension are what the agent dialer rings.
 *
 * Several tenants share one registrar: the realm of a request is the tenant whose slug is
 * the host of its AOR (To of a REGISTER, From of an INVITE: "1001@acme"), so each tenant
 * can have its own extension 1001. A host that names no tenant (a phone set up with the
 * server's IP address) falls in the default realm. Everything an extension does — online,
 * contacts, credentials — is per realm.
 */
import { EventEmitter } from 'node:events';
import { randomBytes } from 'node:crypto';
import type { Clock } from '../clock.ts';
import type { Logger } from '../log.ts';
import type { Endpoint, SipRequest, SipResponse } from '../sip/message.ts';
import { DigestAuthenticator, type HashedCredentials } from '../sip/auth/server.ts';
import { Registrar, aorOf, type Binding } from '../sip/registrar.ts';
import { MemoryBindingStore } from '../sip/registrar-memory-store.ts';
import { createResponse } from '../sip/build.ts';
import { getHeader, parseNameAddr } from '../sip/headers.ts';
import { parseUri } from '../sip/uri.ts';

/** The stored HA1s of an agent's extension in a realm (tenant slug); undefined: no such agent (or no SIP password set). */
export type AgentCredentialLookup = (extension: string, realm: string) => Promise<HashedCredentials | undefined>;

/** The realm (tenant slug) a SIP host names, or undefined when it names none. */
export type RealmOfHost = (host: string) => Promise<string | undefined>;

export interface AgentPhonesOptions {
  /** The default realm: requests whose AOR host names no tenant (an IP address, say). */
  readonly realm: string;
  /** Which hosts are realms of their own (tenant slugs); without it every request is in `realm`. */
  readonly realmOf?: RealmOfHost;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Where HA1s come from, e.g. `(ext, realm) => agentsRepository(db, clock).sipCredentials(realm, ext)`. */
  readonly credentials: AgentCredentialLookup;
  /** How long a lookup (found or not) is reused. Default 30 000 ms; invalidate() after a password change. */
  readonly cacheMs?: number;
  /**
   * Challenges offered, in order (RFC 8760 §2.4). MD5 alone by default: deployed phones
   * break on SHA-256 challenges — SIPp 3.6.1 answers only the first challenge and knows
   * only MD5; baresip 1.0 (libre 1.1) fails to register whenever any SHA-256 challenge is
   * present, even after an MD5 one. Offer ['SHA-256', 'MD5'] where every phone copes.
   */
  readonly algorithms?: readonly ('MD5' | 'SHA-256')[];
  /** Shared nonce secret (several nodes must share it); random per process by default. */
  readonly secret?: Buffer;
}

export interface AgentOnlineEvent {
  /** The realm (tenant slug) the phone authenticated in. */
  readonly realm: string;
  /** The agent's extension (the SIP user name it registered as). */
  readonly extension: string;
  /** The address-of-record that came online, "1001@demo". */
  readonly aor: string;
  readonly contact: string;
}

export interface AgentOfflineEvent {
  readonly realm: string;
  readonly extension: string;
  /** The address-of-record whose last binding went; the extension has no binding left. */
  readonly aor: string;
  readonly cause: 'unregistered' | 'expired';
}

export interface AgentPhonesEvents {
  online: [AgentOnlineEvent];
  offline: [AgentOfflineEvent];
}

/** Cache entries kept at most (negative entries for callers' numbers would otherwise grow without bound). */
const MAX_CACHED = 10_000;

export class AgentPhones extends EventEmitter<AgentPhonesEvents> {
  readonly registrar: Registrar;
  /** The default realm. */
  readonly realm: string;
  private readonly auths = new Map<string, DigestAuthenticator>();
  private readonly secret: Buffer;
  private readonly algorithms: readonly ('MD5' | 'SHA-256')[];
  private readonly realmOfHost: RealmOfHost | undefined;
  /** AOR → the realm it registered in (AOR hosts map to realms, but a tenant may come or go). */
  private readonly aorRealm = new Map<string, string>();
  /** Realms realmOf found (tenant slugs), for the synchronous fromOf. */
  private readonly knownRealms = new Set<string>();
  private readonly lookupCredentials: AgentCredentialLookup;
  private readonly cache = new Map<string, { at: number; value: Promise<HashedCredentials | undefined> }>();
  private readonly cacheMs: number;
  private readonly clock: Clock;
  private readonly log: Logger;
  /** realm \0 extension → its AORs with at least one live binding. */
  private readonly online = new Map<string, Set<string>>();

  constructor(opts: AgentPhonesOptions) {
    super();
    this.realm = opts.realm;
    this.log = opts.logger;
    this.clock = opts.clock;
    this.lookupCredentials = opts.credentials;
    this.cacheMs = opts.cacheMs ?? 30_000;
    this.secret = opts.secret ?? randomBytes(32);
    this.algorithms = opts.algorithms ?? ['MD5'];
    this.realmOfHost = opts.realmOf;
    this.registrar = new Registrar({
      store: new MemoryBindingStore(),
      clock: opts.clock,
      // Agents register in the tenant's SIP domain ("demo"), or at any host when the user name is unique.
      authorize: (user, aor) => user === aor.user,
      onError: (err) => this.log.error({ err: String(err) }, 'agent registrar error'),
    });
    this.registrar.on('online', ({ aor, binding }) => {
      const extension = userOf(aor);
      const realm = this.aorRealm.get(aor) ?? this.realm;
      const key = `${realm}\0${extension}`;
      const aors = this.online.get(key) ?? new Set<string>();
      const first = aors.size === 0;
      aors.add(aor);
      this.online.set(key, aors);
      if (!first) return;
      this.log.info({ agent: aor, extension, realm }, 'agent phone registered: agent online');
      this.emit('online', { realm, extension, aor, contact: binding.contact });
    });
    this.registrar.on('offline', ({ aor, cause }) => {
      const extension = userOf(aor);
      const realm = this.aorRealm.get(aor) ?? this.realm;
      const key = `${realm}\0${extension}`;
      const aors = this.online.get(key);
      if (!aors?.delete(aor)) return;
      this.aorRealm.delete(aor);
      if (aors.size > 0) return; // still registered under another domain
      this.online.delete(key);
      this.log.info({ agent: aor, extension, realm, cause }, 'agent phone gone: agent offline');
      this.emit('offline', { realm, extension, aor, cause });
    });
  }

  /** The realm of a SIP host: its tenant's slug, or the default realm. */
  async realmOf(host: string | undefined): Promise<string> {
    if (host === undefined || this.realmOfHost === undefined) return this.realm;
    const lower = host.toLowerCase();
    if (lower === this.realm) return this.realm;
    try {
      const realm = await this.realmOfHost(lower);
      if (realm === undefined) return this.realm;
      this.knownRealms.add(realm);
      return realm;
    } catch (err) {
      // The store is down: the request is challenged in the default realm and fails there, not here.
      this.log.warn({ err: String(err), host: lower }, 'realm lookup failed: default realm used');
      return this.realm;
    }
  }

  private authIn(realm: string): DigestAuthenticator {
    let auth = this.auths.get(realm);
    if (!auth) {
      auth = new DigestAuthenticator({ realm, secret: this.secret, clock: this.clock, algorithms: this.algorithms, lookup: (user, r) => this.credentialsOf(user, r) });
      this.auths.set(realm, auth);
    }
    return auth;
  }

  async register(request: SipRequest, source: Endpoint): Promise<SipResponse> {
    let aor: string | undefined;
    let host: string | undefined;
    try {
      const to = parseUri(parseNameAddr(getHeader(request, 'To') ?? '').uri);
      if (to.scheme !== 'tel') {
        aor = aorOf(to);
        host = to.host;
      }
    } catch {
      // The registrar answers a malformed To (400) once the request is authenticated.
    }
    const realm = await this.realmOf(host);
    const result = await this.authIn(realm).authenticate(request, 'Authorization', source);
    if (!result.ok) {
      if (result.code !== 'no-credentials') this.log.info({ code: result.code, reason: result.reason }, 'REGISTER not authenticated');
      return result.response;
    }
    if (aor !== undefined && !this.aorRealm.has(aor)) this.aorRealm.set(aor, realm);
    return this.registrar.register(request, { source, authenticatedUser: result.username });
  }

  /**
   * INVITEs that claim to come from one of our agents (From user is an agent's) must
   * prove it (RFC 3261 §22.3, 407 + Proxy-Authenticate): nobody places calls as an agent
   * without the agent's password. Calls from anyone else (carriers, customers) pass.
   */
  async screenInvite(request: SipRequest, source: Endpoint): Promise<SipResponse | undefined> {
    const from = this.fromOf(request);
    if (!from) return undefined; // the transport already vetted From; an odd one is simply not an agent
    const { user, realm } = from;
    if (user === undefined || (await this.credentialsOf(user, realm)) === undefined) return undefined;
    const result = await this.authIn(realm).authenticate(request, 'Proxy-Authorization', source);
    if (result.ok && result.username === user) return undefined;
    if (result.ok) return createResponse(request, 403, 'Forbidden: credentials of another agent');
    return result.response;
  }

  /**
   * Who an INVITE's From claims to be, and in which realm. After screenInvite, an agent's
   * From is authenticated: callers use this to find the agent (feature codes).
   */
  fromOf(request: SipRequest): { user: string | undefined; realm: string } | undefined {
    try {
      const from = parseUri(parseNameAddr(getHeader(request, 'From') ?? '').uri);
      if (from.scheme === 'tel') return { user: from.number, realm: this.realm };
      const host = from.host.toLowerCase();
      // Synchronous: a host seen by realmOf before is known; screenInvite has asked already.
      return { user: from.user, realm: this.knownRealms.has(host) ? host : this.realm };
    } catch {
      return undefined;
    }
  }

  /** Forget cached credentials (of one extension, or all): after a password change or removal. */
  invalidate(extension?: string, realm: string = this.realm): void {
    if (extension === undefined) this.cache.clear();
    else this.cache.delete(`${realm}\0${extension}`);
  }

  /** Where an AOR's phone can be reached now, best first. */
  lookup(aor: string): Promise<Binding[]> {
    return this.registrar.lookup(aor);
  }

  /** Where an extension's phones can be reached now (every domain of the realm it registered under), best first. */
  async contacts(extension: string, realm: string = this.realm): Promise<Binding[]> {
    const aors = [...(this.online.get(`${realm}\0${extension}`) ?? [])];
    const all = (await Promise.all(aors.map((aor) => this.registrar.lookup(aor)))).flat();
    return all.sort((a, b) => b.q - a.q || b.registeredAt - a.registeredAt);
  }

  /** Whether the extension has a registered phone in the realm. */
  isOnline(extension: string, realm: string = this.realm): boolean {
    return this.online.has(`${realm}\0${extension}`);
  }

  /** Extensions of the realm with a registered phone now. */
  onlineExtensions(realm: string = this.realm): string[] {
    const prefix = `${realm}\0`;
    return [...this.online.keys()].filter((k) => k.startsWith(prefix)).map((k) => k.slice(prefix.length));
  }

  /** Realms with a registered phone now. */
  onlineRealms(): string[] {
    return [...new Set([...this.online.keys()].map((k) => k.slice(0, k.indexOf('\0'))))];
  }

  close(): void {
    this.registrar.close();
  }

  private credentialsOf(user: string, realm: string): Promise<HashedCredentials | undefined> {
    const key = `${realm}\0${user}`;
    const now = this.clock.now();
    const hit = this.cache.get(key);
    if (hit && now - hit.at < this.cacheMs) return hit.value;
    const value = this.lookupCredentials(user, realm).then(
      (c) => (c ? { ha1Md5: c.ha1Md5, ha1Sha256: c.ha1Sha256 } : undefined),
      (err: unknown) => {
        // A failed lookup is not cached: the next request asks again.
        this.cache.delete(key);
        throw err;
      },
    );
    this.cache.delete(key);
    if (this.cache.size >= MAX_CACHED) {
      const oldest = this.cache.keys().next();
      if (!oldest.done) this.cache.delete(oldest.value);
    }
    this.cache.set(key, { at: now, value });
    return value;
  }
}

function userOf(aor: string): string {
  const at = aor.lastIndexOf('@');
  return at < 0 ? aor : aor.slice(0, at);
}
