/**
 * Bad input against a running server: garbage, a malformed but answerable request, SDP
 * that is truncated or offers no codec we speak, a BYE for no dialog, an RTP flood from a
 * stranger in the middle of a call. Each gets the response the RFC asks for (or is
 * dropped), and the call in progress goes on: its digits are still heard.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { startServer, type RunningServer } from './server.ts';
import { UserAgent } from '../../src/sip/ua/user-agent.ts';
import { InviteFailedError } from '../../src/sip/ua/outbound-invite.ts';
import { parseSdp } from '../../src/media/sdp.ts';

let server: RunningServer;
let ua: UserAgent;

before(async () => {
  server = await startServer({ sipPort: 26160, rtpPorts: '26200-26299', env: { SURGELINE_DEMO_PASSWORD: 'agent-pw' } });
  ua = await UserAgent.start({ listen: { host: '127.0.0.1', port: 0 } });
});
after(async () => {
  await ua?.close();
  await server?.stop();
});

interface Answer {
  status: number;
  reason: string;
}

async function exchange(text: string | Buffer, wait = 400): Promise<Answer[]> {
  const sock = dgram.createSocket('udp4');
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', r));
  const got: Answer[] = [];
  sock.on('message', (buf) => {
    // The status line only: a 400 copies the very header that was malformed (RFC 4475 §3.1.2),
    // so the whole response need not parse.
    const m = /^SIP\/2\.0 (\d{3}) (.*)$/m.exec(buf.toString('latin1').split('\r\n')[0]!);
    if (m) got.push({ status: Number(m[1]), reason: m[2]! });
  });
  const port = sock.address().port;
  // Only the head is written with bare LF here; bodies are exact.
  const crlf = (t: string): string => {
    const end = t.indexOf('\n\n');
    return end < 0 ? t.replaceAll('\n', '\r\n') : t.slice(0, end + 2).replaceAll('\n', '\r\n') + t.slice(end + 2);
  };
  const bytes = typeof text === 'string' ? Buffer.from(crlf(text.replaceAll('PORT', String(port)))) : text;
  sock.send(bytes, server.sipPort, '127.0.0.1');
  await new Promise((r) => setTimeout(r, wait));
  sock.close();
  return got;
}

const sdp = (m: string) => `v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n${m}\r\n`;

function invite(body: string, extra = ''): string {
  return `INVITE sip:4008001111@127.0.0.1 SIP/2.0\nVia: SIP/2.0/UDP 127.0.0.1:PORT;branch=z9hG4bK${Math.random().toString(36).slice(2)}\nMax-Forwards: 70\nFrom: <sip:13800138000@127.0.0.1>;tag=t1\nTo: <sip:4008001111@127.0.0.1>\nCall-ID: bad-${Math.random()}\nCSeq: 1 INVITE\nContact: <sip:c@127.0.0.1:PORT>\n${extra}Content-Type: application/sdp\nContent-Length: ${Buffer.byteLength(body)}\n\n${body}`;
}

test('garbage is dropped without an answer', async () => {
  const got = await exchange(Buffer.from([0xde, 0xad, 0xbe, 0xef, 0x00, 0x01, 0x02]));
  assert.equal(got.length, 0);
});

test('a request with a bad CSeq is answered 400 with a reason', async () => {
  const got = await exchange(invite(sdp('m=audio 4000 RTP/AVP 0')).replace('CSeq: 1 INVITE', 'CSeq: one INVITE'));
  assert.equal(got[0]?.status, 400, `got ${got.map((r) => r.status).join(',')}`);
  assert.ok(got[0]!.reason.length > 'Bad Request'.length, `reason says why: ${got[0]!.reason}`);
});

test('truncated SDP gets 400; an offer with no codec we speak gets 488', async () => {
  const truncated = await exchange(invite('v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=aud'));
  assert.deepEqual(
    truncated.filter((r) => r.status >= 200).map((r) => r.status),
    [400],
  );
  const g729 = await exchange(invite(sdp('m=audio 4000 RTP/AVP 18\r\na=rtpmap:18 G729/8000')));
  assert.deepEqual(
    g729.filter((r) => r.status >= 200).map((r) => r.status),
    [488],
  );
});

test('a BYE for a dialog that does not exist gets 481', async () => {
  const got = await exchange(
    `BYE sip:4008001111@127.0.0.1 SIP/2.0\nVia: SIP/2.0/UDP 127.0.0.1:PORT;branch=z9hG4bKbye1\nMax-Forwards: 70\nFrom: <sip:a@127.0.0.1>;tag=x\nTo: <sip:b@127.0.0.1>;tag=y\nCall-ID: nobody@here\nCSeq: 2 BYE\nContent-Length: 0\n\n`,
  );
  assert.equal(got[0]?.status, 481);
});

test('an RTP flood from a stranger does not disturb a call: its digits are still heard', async () => {
  const media = dgram.createSocket('udp4');
  await new Promise<void>((r) => media.bind(0, '127.0.0.1', r));
  const mediaPort = media.address().port;
  let received = 0;
  media.on('message', () => received++);
  const session = await ua.invite({
    uri: `sip:4008001111@127.0.0.1:${server.sipPort}`,
    from: 'sip:13800138000@127.0.0.1',
    sdp: Buffer.from(sdp(`m=audio ${mediaPort} RTP/AVP 0 101\r\na=rtpmap:101 telephone-event/8000`)),
  });
  const answer = parseSdp(session.remoteSdp.toString());
  const serverRtp = answer.media[0]!.port;
  // Our own RTP first, so the server latches onto us.
  const pkt = Buffer.alloc(172, 0xff);
  pkt[0] = 0x80;
  pkt[1] = 0;
  for (let i = 0; i < 10; i++) {
    pkt.writeUInt16BE(i, 2);
    pkt.writeUInt32BE(i * 160, 4);
    pkt.writeUInt32BE(0x1234, 8);
    media.send(pkt, serverRtp, '127.0.0.1');
    await new Promise((r) => setTimeout(r, 20));
  }
  // The stranger: 3,000 packets as fast as it can, valid-looking RTP.
  const stranger = dgram.createSocket('udp4');
  await new Promise<void>((r) => stranger.bind(0, '127.0.0.1', r));
  for (let i = 0; i < 3000; i++) stranger.send(pkt, serverRtp, '127.0.0.1');
  await new Promise((r) => setTimeout(r, 300));
  stranger.close();
  const before = received;
  await new Promise((r) => setTimeout(r, 500));
  assert.ok(received - before >= 15, `the server keeps sending us RTP (${received - before} packets in 500 ms)`);
  const info = await session.request('INFO', {
    headers: [{ name: 'Content-Type', value: 'application/dtmf-relay' }],
    body: Buffer.from('Signal=7\r\nDuration=160\r\n'),
  });
  assert.equal(info.status, 200);
  await server.waitFor((l) => l.msg === 'digit' && l.callId === session.callId && l.digit === '7', 5000);
  await session.bye();
  await server.waitFor((l) => l.msg === 'call ended' && l.callId === session.callId, 5000);
  media.close();
});

test('a call claiming to be agent 1001 must authenticate (407), and is answered with the password', async () => {
  const offer = Buffer.from(sdp('m=audio 4020 RTP/AVP 0'));
  const uri = `sip:4008001111@127.0.0.1:${server.sipPort}`;
  const refused = await ua.invite({ uri, from: 'sip:1001@demo', sdp: offer }).then(
    () => undefined,
    (e: unknown) => e,
  );
  assert.ok(refused instanceof InviteFailedError && refused.status === 407, `407 without credentials (${String(refused)})`);
  const wrong = await ua.invite({ uri, from: 'sip:1001@demo', sdp: offer, credentials: { username: '1001', password: 'guess' } }).then(
    () => undefined,
    (e: unknown) => e,
  );
  assert.ok(wrong instanceof InviteFailedError && wrong.status === 407, `407 again with a wrong password (${String(wrong)})`);
  const session = await ua.invite({ uri, from: 'sip:1001@demo', sdp: offer, credentials: { username: '1001', password: 'agent-pw' } });
  await server.waitFor((l) => l.msg === 'call answered' && l.callId === session.callId, 5000);
  await session.bye();
});

test('after all that the server still takes calls', async () => {
  const session = await ua
    .invite({
      uri: `sip:4008001111@127.0.0.1:${server.sipPort}`,
      from: 'sip:13800138000@127.0.0.1',
      sdp: Buffer.from(sdp('m=audio 4010 RTP/AVP 8')),
    })
    .catch((e: unknown) => e);
  assert.ok(!(session instanceof InviteFailedError), `call answered (${String(session)})`);
  if (!(session instanceof InviteFailedError) && !(session instanceof Error)) await (session as Awaited<ReturnType<UserAgent['invite']>>).bye();
  assert.equal(server.child.exitCode, null, 'the server is still running');
  const health = await fetch(`http://127.0.0.1:${server.sipPort + 3000}/api/v1/health`);
  assert.equal(health.status, 200);
  const body = (await health.json()) as { status: string; store: string; sip: { dropped: number } };
  assert.equal(body.status, 'ok');
  assert.equal(body.store, 'pglite', 'the embedded store backs a node without DATABASE_URL');
  assert.ok(body.sip.dropped >= 2, `the garbage and the bad CSeq were counted as dropped (${body.sip.dropped})`);
});
