/**
 * Agent phones: digest-authenticated REGISTER (RFC 3261 §10.3, §22) into the registrar.
 * Passwords are never kept: only their HA1 hashes (MD5 and SHA-256). A phone that
 * registers brings its agent online; losing the last binding takes the agent offline
 * (the agent state machine of the queues issue listens to these events).
 */
import { randomBytes } from 'node:crypto';
import type { Clock } from '../clock.ts';
import type { Logger } from '../log.ts';
import type { Endpoint, SipRequest, SipResponse } from '../sip/message.ts';
import { DigestAuthenticator, hashCredentials, type HashedCredentials } from '../sip/auth/server.ts';
import { Registrar, type Binding } from '../sip/registrar.ts';
import { MemoryBindingStore } from '../sip/registrar-memory-store.ts';
import { createResponse } from '../sip/build.ts';
import { getHeader, parseNameAddr } from '../sip/headers.ts';
import { parseUri } from '../sip/uri.ts';

export interface AgentPhonesOptions {
  readonly realm: string;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly agents: readonly { readonly user: string; readonly password: string }[];
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

export class AgentPhones {
  readonly registrar: Registrar;
  private readonly auth: DigestAuthenticator;
  private readonly credentials = new Map<string, HashedCredentials>();
  private readonly log: Logger;
  private readonly online = new Set<string>();

  constructor(opts: AgentPhonesOptions) {
    this.log = opts.logger;
    for (const a of opts.agents) this.credentials.set(a.user, hashCredentials(a.user, opts.realm, a.password));
    this.auth = new DigestAuthenticator({
      realm: opts.realm,
      secret: opts.secret ?? randomBytes(32),
      clock: opts.clock,
      algorithms: opts.algorithms ?? ['MD5'],
      lookup: async (user, realm) => (realm === opts.realm ? this.credentials.get(user) : undefined),
    });
    this.registrar = new Registrar({
      store: new MemoryBindingStore(),
      clock: opts.clock,
      // Agents register in the tenant's SIP domain ("demo"), or at any host when the user name is unique.
      authorize: (user, aor) => user === aor.user,
    });
    this.registrar.on('online', ({ aor }) => {
      this.online.add(aor);
      this.log.info({ agent: aor }, 'agent phone registered: agent online');
    });
    this.registrar.on('offline', ({ aor, cause }) => {
      this.online.delete(aor);
      this.log.info({ agent: aor, cause }, 'agent phone gone: agent offline');
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
    if (user === undefined || !this.credentials.has(user)) return undefined;
    const result = await this.auth.authenticate(request, 'Proxy-Authorization', source);
    if (result.ok && result.username === user) return undefined;
    if (result.ok) return createResponse(request, 403, 'Forbidden: credentials of another agent');
    return result.response;
  }

  /** Where an agent's phone can be reached now, best first. */
  lookup(aor: string): Promise<Binding[]> {
    return this.registrar.lookup(aor);
  }

  isOnline(aor: string): boolean {
    return this.online.has(aor);
  }

  close(): void {
    this.registrar.close();
  }
}
