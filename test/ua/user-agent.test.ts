/**
 * Two user agents over real UDP/TCP sockets on 127.0.0.1: calls set up, refused,
 * cancelled and torn down, with the SIP that crosses the wire checked as messages.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { UserAgent } from '../../src/sip/ua/user-agent.ts';
import { InviteFailedError } from '../../src/sip/ua/outbound-invite.ts';
import type { InboundInvite } from '../../src/sip/ua/inbound-invite.ts';
import { parseMessage } from '../../src/sip/parser.ts';
import { getHeader, getHeaders } from '../../src/sip/headers.ts';
import type { SipResponse } from '../../src/sip/message.ts';

const agents: UserAgent[] = [];
after(async () => {
  await Promise.all(agents.map((a) => a.close()));
});

async function ua(opts: Partial<Parameters<typeof UserAgent.start>[0]> = {}): Promise<UserAgent> {
  const a = await UserAgent.start({ listen: { host: '127.0.0.1', port: 0 }, ...opts });
  agents.push(a);
  return a;
}

function port(a: UserAgent, t: 'udp' | 'tcp' = 'udp'): number {
  return a.transport.sentBy(t).port;
}

const OFFER = Buffer.from('v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n');
const ANSWER = Buffer.from('v=0\r\no=- 2 2 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 5000 RTP/AVP 0\r\n');

function nextInvite(a: UserAgent): Promise<InboundInvite> {
  return new Promise((resolve) => a.onInvite(resolve));
}

for (const transport of ['udp', 'tcp'] as const) {
  test(`${transport}: call answered, INFO digit, re-INVITE, BYE from the callee`, async () => {
    const callee = await ua();
    const caller = await ua();
    const incoming = nextInvite(callee);
    const progress: number[] = [];
    const placed = caller.invite({
      uri: `sip:4008001111@127.0.0.1:${port(callee, transport)}${transport === 'tcp' ? ';transport=tcp' : ''}`,
      from: 'sip:13800138000@127.0.0.1',
      sdp: OFFER,
      onProgress: (r) => progress.push(r.status),
    });
    const invite = await incoming;
    assert.equal(invite.request.method, 'INVITE');
    assert.deepEqual(invite.offer, OFFER);
    invite.progress(180);
    const calleeSession = await invite.accept(ANSWER);
    const callerSession = await placed;
    assert.deepEqual(progress, [100, 180]);
    assert.deepEqual(callerSession.remoteSdp, ANSWER);
    assert.equal(callerSession.callId, calleeSession.callId);
    assert.equal(calleeSession.dialog.remoteTag, callerSession.dialog.localTag);

    // INFO with application/dtmf-relay reaches the callee as a digit.
    const digit = new Promise<string>((resolve) => (calleeSession.handlers.digit = resolve));
    const { createInDialogRequest } = await import('../../src/sip/dialog.ts');
    const built = createInDialogRequest(callerSession.dialog, 'INFO', {
      headers: [{ name: 'Content-Type', value: 'application/dtmf-relay' }],
      body: Buffer.from('Signal=5\r\nDuration=160\r\n'),
    });
    const infoRes = await callerSession.send(built.request);
    assert.equal(infoRes.status, 200);
    assert.equal(await digit, '5');

    // re-INVITE (hold) is answered by the reoffer handler.
    calleeSession.handlers.reoffer = (offer) => Buffer.from(offer.toString().replace('m=audio 4000', 'm=audio 5000') + 'a=recvonly\r\n');
    const held = Buffer.from(OFFER.toString() + 'a=sendonly\r\n');
    // Build the re-INVITE after the INFO so the CSeq moves on.
    const reinv = createInDialogRequest(built.dialog, 'INVITE', {
      headers: [
        { name: 'Contact', value: `<sip:caller@127.0.0.1:${port(caller, transport)}${transport === 'tcp' ? ';transport=tcp' : ''}>` },
        { name: 'Content-Type', value: 'application/sdp' },
      ],
      body: held,
    });
    const reinvRes = await callerSession.send(reinv.request);
    assert.equal(reinvRes.status, 200);
    assert.match(reinvRes.body.toString(), /a=recvonly/);

    // BYE from the callee ends both sides.
    const callerEnded = callerSession.ended;
    // The caller's session never sent the ACK for the re-INVITE through the session; ack it by hand.
    const ack = createInDialogRequest(reinv.dialog, 'ACK', { ackSeq: Number(getHeader(reinv.request, 'CSeq')!.split(' ')[0]) });
    await caller.transactions.sendAck(ack.request, { transport, host: '127.0.0.1', port: port(callee, transport) });
    await new Promise((r) => setTimeout(r, 50));
    await calleeSession.bye();
    assert.equal((await callerEnded).reason, 'remote-bye');
    assert.equal((await calleeSession.ended).reason, 'local-bye');
    assert.equal(callee.activeCalls, 0);
    assert.equal(caller.activeCalls, 0);
  });
}

test('a rejected call reports the status to the caller', async () => {
  const callee = await ua();
  const caller = await ua();
  callee.onInvite((inv) => inv.reject(486, 'Busy Here'));
  await assert.rejects(
    caller.invite({ uri: `sip:1001@127.0.0.1:${port(callee)}`, from: 'sip:x@127.0.0.1', sdp: OFFER }),
    (err: unknown) => err instanceof InviteFailedError && err.status === 486,
  );
});

test('the caller gives up: CANCEL after the 180 gives 487, the callee sees its signal abort', async () => {
  const callee = await ua();
  const caller = await ua();
  const incoming = nextInvite(callee);
  const ac = new AbortController();
  const placed = caller.invite({
    uri: `sip:1001@127.0.0.1:${port(callee)}`,
    from: 'sip:x@127.0.0.1',
    sdp: OFFER,
    signal: ac.signal,
    onProgress: () => ac.abort(),
  });
  const invite = await incoming;
  const aborted = new Promise<void>((resolve) => invite.signal.addEventListener('abort', () => resolve()));
  invite.progress(180);
  await aborted;
  await assert.rejects(placed, (err: unknown) => err instanceof InviteFailedError && err.status === 487);
  assert.equal(invite.state, 'cancelled');
  await assert.rejects(invite.accept(ANSWER));
  assert.equal(callee.stats.cancelled, 1);
});

test('above the call limit a new INVITE gets 503 with Retry-After', async () => {
  const callee = await ua({ maxCalls: 1, retryAfter: 7 });
  const caller = await ua();
  callee.onInvite(() => {}); // leave the first one ringing
  const first = caller.invite({ uri: `sip:1@127.0.0.1:${port(callee)}`, from: 'sip:x@127.0.0.1', sdp: OFFER, timeoutMs: 3000 });
  first.catch(() => undefined);
  await new Promise((r) => setTimeout(r, 100));
  const second = await caller
    .invite({ uri: `sip:2@127.0.0.1:${port(callee)}`, from: 'sip:x@127.0.0.1', sdp: OFFER })
    .then(() => undefined, (e: unknown) => e);
  assert.ok(second instanceof InviteFailedError, 'the second INVITE fails');
  assert.equal(second.status, 503);
  assert.equal(getHeader(second.response!, 'Retry-After'), '7');
  assert.equal(callee.stats.rejectedOverload, 1);
});

test('too many INVITEs still being set up: the excess gets 503 with Retry-After', async () => {
  const callee = await ua({ maxPendingInvites: 2, retryAfter: 3 });
  const caller = await ua();
  callee.onInvite(() => {}); // never answered: all stay pending
  const dest = `127.0.0.1:${port(callee)}`;
  const pending = [1, 2].map((n) => caller.invite({ uri: `sip:${n}@${dest}`, from: 'sip:x@127.0.0.1', sdp: OFFER, timeoutMs: 2000 }).catch(() => undefined));
  await new Promise((r) => setTimeout(r, 100));
  const third = await caller.invite({ uri: `sip:3@${dest}`, from: 'sip:x@127.0.0.1', sdp: OFFER }).then(() => undefined, (e: unknown) => e);
  assert.ok(third instanceof InviteFailedError, 'the third INVITE fails');
  assert.equal(third.status, 503);
  assert.equal(getHeader(third.response!, 'Retry-After'), '3');
  await Promise.all(pending);
});

test('digest on INVITE: the callee challenges with 407, our UAC answers with credentials (outbound trunk)', async () => {
  const { DigestAuthenticator, hashCredentials } = await import('../../src/sip/auth/server.ts');
  const { realClock } = await import('../../src/clock.ts');
  const creds = hashCredentials('trunkuser', 'carrier', 's3cret');
  const auth = new DigestAuthenticator({
    realm: 'carrier',
    secret: Buffer.alloc(32, 7),
    clock: realClock(),
    algorithms: ['SHA-256', 'MD5'],
    lookup: async (user) => (user === 'trunkuser' ? creds : undefined),
  });
  const screenInvite = async (request: Parameters<NonNullable<Parameters<typeof UserAgent.start>[0]['screenInvite']>>[0]) => {
    const r = await auth.authenticate(request, 'Proxy-Authorization');
    return r.ok ? undefined : r.response;
  };
  const callee = await ua({ screenInvite });
  const caller = await ua();
  let authorized = '';
  callee.onInvite((inv) => {
    authorized = getHeader(inv.request, 'Proxy-Authorization') ?? '';
    inv.accept(ANSWER).catch(() => undefined);
  });
  const uri = `sip:13800138000@127.0.0.1:${port(callee)}`;
  const session = await caller.invite({ uri, from: 'sip:4008001111@127.0.0.1', sdp: OFFER, credentials: { username: 'trunkuser', password: 's3cret' } });
  assert.match(authorized, /algorithm=SHA-256/);
  assert.match(authorized, /username="trunkuser"/);
  await session.bye();
  // Wrong password: the retry is challenged again and the call fails with 407.
  await assert.rejects(
    caller.invite({ uri, from: 'sip:4008001111@127.0.0.1', sdp: OFFER, credentials: { username: 'trunkuser', password: 'nope' } }),
    (e: unknown) => e instanceof InviteFailedError && e.status === 407,
  );
});

/** Raw UDP: send bytes, collect what comes back. */
async function rawExchange(to: number, text: string, wait = 300): Promise<SipResponse[]> {
  const sock = dgram.createSocket('udp4');
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', r));
  const got: SipResponse[] = [];
  sock.on('message', (buf) => {
    const m = parseMessage(buf);
    if (m.kind === 'response') got.push(m);
  });
  const local = sock.address().port;
  sock.send(Buffer.from(text.replaceAll('PORT', String(local)).replaceAll('\n', '\r\n')), to, '127.0.0.1');
  await new Promise((r) => setTimeout(r, wait));
  sock.close();
  return got;
}

test('out-of-dialog requests: OPTIONS 200, BYE for no dialog 481, Require 420, unknown method 501, MESSAGE 405', async () => {
  const a = await ua();
  const head = (method: string, extra = '') =>
    `${method} sip:a@127.0.0.1 SIP/2.0\nVia: SIP/2.0/UDP 127.0.0.1:PORT;branch=z9hG4bK-${method}-${Math.random()}\nMax-Forwards: 70\nFrom: <sip:b@127.0.0.1>;tag=1\nTo: <sip:a@127.0.0.1>${method === 'BYE' ? ';tag=nope' : ''}\nCall-ID: ${method}@t\nCSeq: 1 ${method}\n${extra}Content-Length: 0\n\n`;
  const [opt] = await rawExchange(port(a), head('OPTIONS'));
  assert.equal(opt?.status, 200);
  assert.match(getHeader(opt!, 'Allow') ?? '', /INVITE/);
  const [bye] = await rawExchange(port(a), head('BYE'));
  assert.equal(bye?.status, 481);
  const [req] = await rawExchange(port(a), head('OPTIONS', 'Require: foo, bar\n'));
  assert.equal(req?.status, 420);
  assert.deepEqual(getHeaders(req!, 'Unsupported'), ['foo', 'bar']);
  const [unk] = await rawExchange(port(a), head('FROBNICATE'));
  assert.equal(unk?.status, 501);
  const [msg] = await rawExchange(port(a), head('MESSAGE'));
  assert.equal(msg?.status, 405);
});

test('a 200 OK that is never ACKed is retransmitted and then the dialog is ended with BYE', async () => {
  const callee = await ua({ timers: { T1: 20, T2: 80 } });
  const invites: string[] = [];
  callee.onInvite((inv) => {
    invites.push(inv.request.method);
    inv.accept(ANSWER).catch(() => undefined);
  });
  // A caller that never ACKs: raw socket that records what arrives.
  const sock = dgram.createSocket('udp4');
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', r));
  const seen: string[] = [];
  sock.on('message', (buf) => {
    const m = parseMessage(buf);
    seen.push(m.kind === 'response' ? String(m.status) : m.method);
  });
  const local = sock.address().port;
  const text = `INVITE sip:a@127.0.0.1:${port(callee)} SIP/2.0\nVia: SIP/2.0/UDP 127.0.0.1:${local};branch=z9hG4bK-noack\nMax-Forwards: 70\nFrom: <sip:b@127.0.0.1:${local}>;tag=1\nTo: <sip:a@127.0.0.1>\nCall-ID: noack@t\nCSeq: 1 INVITE\nContact: <sip:b@127.0.0.1:${local}>\nContent-Type: application/sdp\nContent-Length: ${OFFER.length}\n\n`;
  sock.send(Buffer.concat([Buffer.from(text.replaceAll('\n', '\r\n')), OFFER]), port(callee), '127.0.0.1');
  await new Promise((r) => setTimeout(r, 64 * 20 + 400));
  sock.close();
  const oks = seen.filter((s) => s === '200').length;
  assert.ok(oks >= 4, `200 retransmitted (saw ${seen.join(',')})`);
  assert.ok(seen.includes('BYE'), `BYE after the ACK timeout (saw ${seen.join(',')})`);
  assert.equal(callee.activeCalls, 0);
});
