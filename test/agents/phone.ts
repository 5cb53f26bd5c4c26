/**
 * Test helper: an agent's SIP phone played by a second in-process UserAgent over real UDP.
 * It REGISTERs with digest auth (answering the 401 with authorizeRequest), unregisters,
 * and answers INVITEs the way a test tells it to: answer (with its own RTP port), reject
 * with a status, or ring forever. Every INVITE it sees is kept for header assertions.
 */
import { randomBytes } from 'node:crypto';
import assert from 'node:assert/strict';
import { createRequest } from '../../src/sip/build.ts';
import type { SipRequest, SipResponse } from '../../src/sip/message.ts';
import { authorizeRequest, DigestClientState } from '../../src/sip/auth/client.ts';
import { UserAgent } from '../../src/sip/ua/user-agent.ts';
import type { InboundInvite } from '../../src/sip/ua/inbound-invite.ts';
import type { SipSession } from '../../src/sip/ua/session.ts';

export type PhoneBehaviour = { kind: 'answer'; afterMs?: number } | { kind: 'reject'; status: number } | { kind: 'ring' };

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function until(pred: () => boolean, what: string, ms = 10_000): Promise<void> {
  for (let waited = 0; !pred(); waited += 10) {
    if (waited > ms) assert.fail(`waited ${ms} ms for ${what}`);
    await sleep(10);
  }
}

export class TestPhone {
  behaviour: PhoneBehaviour = { kind: 'answer' };
  readonly invites: InboundInvite[] = [];
  readonly sessions: SipSession[] = [];
  private readonly callId = `${randomBytes(8).toString('hex')}@phone`;
  private cseq = 1;
  private readonly auth = new DigestClientState();

  private constructor(
    readonly ua: UserAgent,
    readonly extension: string,
    readonly port: number,
    /** The RTP port its SDP answers with. */
    readonly rtpPort: number,
  ) {
    ua.onInvite((invite) => this.onInvite(invite));
  }

  static async start(opts: { extension: string; port: number; rtpPort: number }): Promise<TestPhone> {
    const ua = await UserAgent.start({ listen: { host: '127.0.0.1', port: opts.port }, contactUser: opts.extension });
    return new TestPhone(ua, opts.extension, opts.port, opts.rtpPort);
  }

  get contact(): string {
    return `sip:${this.extension}@127.0.0.1:${this.port}`;
  }

  /** REGISTER (expires seconds; 0 unregisters) at the registrar, answering one 401. Resolves with the final status. */
  async register(opts: { registrar: number; password: string; domain?: string; expires?: number }): Promise<number> {
    const domain = opts.domain ?? 'demo';
    let request: SipRequest = createRequest({
      method: 'REGISTER',
      uri: `sip:${domain}`,
      headers: [
        ['Max-Forwards', '70'],
        ['From', `<sip:${this.extension}@${domain}>;tag=${randomBytes(4).toString('hex')}`],
        ['To', `<sip:${this.extension}@${domain}>`],
        ['Call-ID', this.callId],
        ['CSeq', `${this.cseq++} REGISTER`],
        ['Contact', `<${this.contact}>`],
        ['Expires', String(opts.expires ?? 600)],
      ],
    });
    const dest = { transport: 'udp' as const, host: '127.0.0.1', port: opts.registrar };
    let res = await this.send(request, dest);
    if (res.status === 401) {
      const retry = authorizeRequest(request, res, { username: this.extension, password: opts.password }, this.auth);
      if (!retry.ok) return res.status;
      request = retry.request;
      this.cseq++;
      res = await this.send(request, dest);
    }
    return res.status;
  }

  close(): Promise<void> {
    return this.ua.close();
  }

  private send(request: SipRequest, dest: { transport: 'udp'; host: string; port: number }): Promise<SipResponse> {
    return new Promise((resolve, reject) => {
      this.ua.transactions.createClientTransaction(request, dest, {
        response: (r) => {
          if (r.status >= 200) resolve(r);
        },
        terminated: (t) => {
          if (t.reason !== 'completed') reject(new Error(`REGISTER ${t.reason}`));
        },
      });
    });
  }

  private onInvite(invite: InboundInvite): void {
    this.invites.push(invite);
    const b = this.behaviour;
    if (b.kind === 'reject') {
      invite.reject(b.status);
      return;
    }
    invite.progress(180);
    if (b.kind === 'ring') return;
    const sdp = `v=0\r\no=phone 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio ${this.rtpPort} RTP/AVP 0 8 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\na=rtpmap:101 telephone-event/8000\r\n`;
    setTimeout(() => {
      if (invite.signal.aborted) return;
      invite.accept(Buffer.from(sdp)).then(
        (s) => this.sessions.push(s),
        () => undefined,
      );
    }, b.afterMs ?? 0);
  }
}
