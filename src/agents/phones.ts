/**
 * Agent phones: digest-authenticated REGISTER (RFC 3261 §10.3, §22) into the registrar.
 * Passwords are never known here: credentials come from a lookup (the agents repository's
 * HA1s, MD5 and SHA-256, for realm = tenant slug), cached briefly so a burst of REGISTERs
 * or caller INVITEs does not become a burst of queries. A phone that registers brings its
 * agent online; losing the last binding of the extension takes the agent offline — typed
 * events carrying the extension, which the agent state machine of the queues listens to.
 * The registered contacts of an extension are what the agent dialer rings.
 */
import { EventEmitter } from 'node:events';
import { randomBytes } from 'node:crypto';
import type { Clock } from '../clock.ts';
import type { Logger } from '../log.ts';
import type { Endpoint, SipRequest, SipResponse } from '../sip/message.ts';
import { DigestAuthenticator, type HashedCredentials } from '../sip/auth/server.ts';
import { Registrar, type Binding } from '../sip/registrar.ts';
import { MemoryBindingStore } from '../sip/registrar-memory-store.ts';
import { createResponse } from '../sip/build.ts';
import { getHeader, parseNameAddr } from '../sip/headers.ts';
import { parseUri } from '../sip/uri.ts';

/** The stored HA1s of an agent's extension in a realm (tenant slug); undefined: no such agent (or no SIP password set). */
export type AgentCredentialLookup = (extension: string, realm: string) => Promise<HashedCredentials | undefined>;

export interface AgentPhonesOptions {
  readonly realm: string;
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
  /** The agent's extension (the SIP user name it registered as). */
  readonly extension: string;
  /** The address-of-record that came online, "1001@demo". */
  readonly aor: string;
  readonly contact: string;
}

export interface AgentOfflineEvent {
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
  readonly realm: string;
  private readonly auth: DigestAuthenticator;
  private readonly lookupCredentials: AgentCredentialLookup;
  private readonly cache = new Map<string, { at: number; value: Promise<HashedCredentials | undefined> }>();
  private readonly cacheMs: number;
  private readonly clock: Clock;
  private readonly log: Logger;
  /** Extension → its AORs with at least one live binding. */
  private readonly online = new Map<string, Set<string>>();

  constructor(opts: AgentPhonesOptions) {
    super();
    this.realm = opts.realm;
    this.log = opts.logger;
    this.clock = opts.clock;
    this.lookupCredentials = opts.credentials;
    this.cacheMs = opts.cacheMs ?? 30_000;
    this.auth = new DigestAuthenticator({
      realm: opts.realm,
      secret: opts.secret ?? randomBytes(32),
      clock: opts.clock,
      algorithms: opts.algorithms ?? ['MD5'],
      lookup: (user, realm) => this.credentialsOf(user, realm),
    });
    this.registrar = new Registrar({
      store: new MemoryBindingStore(),
      clock: opts.clock,
      // Agents register in the tenant's SIP domain ("demo"), or at any host when the user name is unique.
      authorize: (user, aor) => user === aor.user,
      onError: (err) => this.log.error({ err: String(err) }, 'agent registrar error'),
    });
    this.registrar.on('online', ({ aor, binding }) => {
      const extension = userOf(aor);
      const aors = this.online.get(extension) ?? new Set<string>();
      const first = aors.size === 0;
      aors.add(aor);
      this.online.set(extension, aors);
      if (!first) return;
      this.log.info({ agent: aor, extension }, 'agent phone registered: agent online');
      this.emit('online', { extension, aor, contact: binding.contact });
    });
    this.registrar.on('offline', ({ aor, cause }) => {
      const extension = userOf(aor);
      const aors = this.online.get(extension);
      if (!aors?.delete(aor)) return;
      if (aors.size > 0) return; // still registered under another domain
      this.online.delete(extension);
      this.log.info({ agent: aor, extension, cause }, 'agent phone gone: agent offline');
      this.emit('offline', { extension, aor, cause });
    });
  }

  async register(request: SipRequest, source: Endpoint): Promise<SipResponse> {
    const result = await this.auth.authenticate(request, 'Authorization', source);
    if (!result.ok) {
      if (result.code !== 'no-credentials') this.log.info({ code: result.code, reason: result.reason }, 'REGISTER not authenticated');
      return result.response;
    }
    return this.registrar.register(request, { source, authenticatedUser: result.username });
  }

  /**
   * INVITEs that claim to come from one of our agents (From user is an agent's) must
   * prove it (RFC 3261 §22.3, 407 + Proxy-Authenticate): nobody places calls as an agent
   * without the agent's password. Calls from anyone else (carriers, customers) pass.
   */
  async screenInvite(request: SipRequest, source: Endpoint): Promise<SipResponse | undefined> {
    let user: string | undefined;
    try {
      const from = parseUri(parseNameAddr(getHeader(request, 'From') ?? '').uri);
      user = from.scheme === 'tel' ? from.number : from.user;
    } catch {
      return undefined; // the transport already vetted From; an odd one is simply not an agent
    }
    if (user === undefined || (await this.credentialsOf(user, this.realm)) === undefined) return undefined;
    const result = await this.auth.authenticate(request, 'Proxy-Authorization', source);
    if (result.ok && result.username === user) return undefined;
    if (result.ok) return createResponse(request, 403, 'Forbidden: credentials of another agent');
    return result.response;
  }

  /** Forget cached credentials (of one extension, or all): after a password change or removal. */
  invalidate(extension?: string): void {
    if (extension === undefined) this.cache.clear();
    else this.cache.delete(`${this.realm}\0${extension}`);
  }

  /** Where an AOR's phone can be reached now, best first. */
  lookup(aor: string): Promise<Binding[]> {
    return this.registrar.lookup(aor);
  }

  /** Where an extension's phones can be reached now (every domain it registered under), best first. */
  async contacts(extension: string): Promise<Binding[]> {
    const aors = [...(this.online.get(extension) ?? [])];
    const all = (await Promise.all(aors.map((aor) => this.registrar.lookup(aor)))).flat();
    return all.sort((a, b) => b.q - a.q || b.registeredAt - a.registeredAt);
  }

  /** Whether the extension has a registered phone. */
  isOnline(extension: string): boolean {
    return this.online.has(extension);
  }

  /** Extensions with a registered phone now. */
  onlineExtensions(): string[] {
    return [...this.online.keys()];
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
