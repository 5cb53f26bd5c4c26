import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import net from 'node:net';
import { once } from 'node:events';
import { TransportLayer } from '../../src/sip/transport/layer.ts';
import { createTcpTransport, type TcpTransport } from '../../src/sip/transport/tcp.ts';
import type { Logger, TransportSink } from '../../src/sip/transport/transport.ts';
import { parseMessage } from '../../src/sip/parser.ts';
import { createResponse } from '../../src/sip/build.ts';
import { getHeader, parseVia } from '../../src/sip/headers.ts';
import { ManualClock } from '../../src/clock.ts';
import type { Endpoint, SipRequest, SipResponse, Via } from '../../src/sip/message.ts';

const HOST = '127.0.0.1';

/** A pino-compatible logger that keeps what it is given. */
function recorder(): Logger & { lines: { level: string; obj: Record<string, unknown>; msg?: string }[] } {
  const lines: { level: string; obj: Record<string, unknown>; msg?: string }[] = [];
  const at = (level: string) => (obj: object, msg?: string) => {
    lines.push({ level, obj: obj as Record<string, unknown>, ...(msg !== undefined ? { msg } : {}) });
  };
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

/** Collects what a layer hands up, with a way to wait for the next one. */
function inbox<T>() {
  const items: T[] = [];
  const waiters: ((t: T) => void)[] = [];
  return {
    items,
    push(t: T) {
      const w = waiters.shift();
      if (w) w(t);
      else items.push(t);
    },
    next(ms = 2000): Promise<T> {
      const ready = items.shift();
      if (ready !== undefined) return Promise.resolve(ready);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('timed out waiting for a message')), ms);
        waiters.push((t) => {
          clearTimeout(timer);
          resolve(t);
        });
      });
    },
  };
}

type In<M> = { msg: M; source: Endpoint; via: Via };

async function layer(opts: { logger?: Logger } = {}) {
  const l = await TransportLayer.listen({ host: HOST, port: 0, ...opts });
  const requests = inbox<In<SipRequest>>();
  const responses = inbox<In<SipResponse>>();
  l.onRequest((msg, source, via) => requests.push({ msg, source, via }));
  l.onResponse((msg, source, via) => responses.push({ msg, source, via }));
  return { l, requests, responses };
}

function options(viaTransport: string, viaSentBy: string, extra: string[] = [], callId = 'a84b4c76e66710@pc33.atlanta.example.com'): string {
  return [
    'OPTIONS sip:carol@chicago.example.com SIP/2.0',
    `Via: SIP/2.0/${viaTransport} ${viaSentBy};branch=z9hG4bKhjhs8ass877`,
    'Max-Forwards: 70',
    'To: <sip:carol@chicago.example.com>',
    'From: Alice <sip:alice@atlanta.example.com>;tag=1928301774',
    `Call-ID: ${callId}`,
    'CSeq: 63104 OPTIONS',
    'Contact: <sip:alice@pc33.atlanta.example.com>',
    'Accept: application/sdp',
    ...extra,
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n');
}

function request(text: string): SipRequest {
  const m = parseMessage(Buffer.from(text));
  assert.equal(m.kind, 'request');
  return m as SipRequest;
}

async function udpClient() {
  const sock = dgram.createSocket('udp4');
  await new Promise<void>((r) => sock.bind(0, HOST, r));
  const got = inbox<Buffer>();
  sock.on('message', (m) => got.push(m));
  return { sock, port: sock.address().port, got, close: () => new Promise<void>((r) => sock.close(() => r())) };
}

const layers: TransportLayer[] = [];
after(async () => {
  await Promise.all(layers.map((l) => l.close()));
});

describe('UDP', () => {
  test('request out with completed Via (§18.1.1), rport filled on arrival (RFC 3581), response routed back (§18.2.2)', async () => {
    const a = await layer();
    const b = await layer();
    layers.push(a.l, b.l);
    const bUdp = b.l.transport('udp')!.local;
    // The TU's Via has a branch but a placeholder sent-by; the layer fills in ours.
    const out = await a.l.sendRequest(request(options('UDP', 'placeholder.invalid')), { transport: 'udp', host: HOST, port: bUdp.port });
    const aPort = a.l.transport('udp')!.local.port;
    assert.equal(getHeader(out.message, 'Via'), `SIP/2.0/UDP 127.0.0.1:${aPort};branch=z9hG4bKhjhs8ass877;rport`);
    assert.equal(out.reliable, false);

    const got = await b.requests.next();
    assert.equal(got.source.transport, 'udp');
    assert.equal(got.source.port, aPort);
    assert.equal(got.via.params.get('rport'), String(aPort));
    assert.equal(got.via.params.get('received'), HOST);
    assert.equal(getHeader(got.msg, 'Via'), `SIP/2.0/UDP 127.0.0.1:${aPort};branch=z9hG4bKhjhs8ass877;rport=${aPort};received=127.0.0.1`);

    const response = createResponse(got.msg, 200, 'OK', { toTag: '93810874' });
    await b.l.sendResponse(response, got.source);
    const back = await a.responses.next();
    assert.equal(back.msg.status, 200);
    assert.equal(back.source.port, bUdp.port);
    assert.equal(getHeader(back.msg, 'Call-ID'), 'a84b4c76e66710@pc33.atlanta.example.com');
  });

  test('§18.2.1: received is added when sent-by is a name; without rport the response goes to received + sent-by port', async () => {
    const b = await layer();
    layers.push(b.l);
    const client = await udpClient();
    try {
      const port = b.l.transport('udp')!.local.port;
      client.sock.send(options('UDP', `pc33.atlanta.example.com:${client.port}`), port, HOST);
      const got = await b.requests.next();
      const via = parseVia(getHeader(got.msg, 'Via')!);
      assert.equal(via.params.get('received'), HOST);
      assert.equal(via.params.has('rport'), false);
      // The response must go to the packet's source address (received) at the sent-by port.
      await b.l.sendResponse(createResponse(got.msg, 200), got.source);
      const raw = await client.got.next();
      const res = parseMessage(raw) as SipResponse;
      assert.equal(res.status, 200);
      assert.match(getHeader(res, 'Via')!, /;received=127\.0\.0\.1$/);
    } finally {
      await client.close();
    }
  });

  test('RFC 3581: with an empty rport the response goes to the source port, not the sent-by port', async () => {
    const b = await layer();
    layers.push(b.l);
    const client = await udpClient();
    try {
      // sent-by says port 9 (discard): only rport gets the answer back to us.
      const text = options('UDP', '127.0.0.1:9', []).replace('branch=z9hG4bKhjhs8ass877', 'rport;branch=z9hG4bKnat1');
      client.sock.send(text, b.l.transport('udp')!.local.port, HOST);
      const got = await b.requests.next();
      assert.equal(got.via.params.get('rport'), String(client.port));
      assert.equal(got.via.params.get('received'), HOST);
      await b.l.sendResponse(createResponse(got.msg, 200), got.source);
      const res = parseMessage(await client.got.next()) as SipResponse;
      assert.equal(getHeader(res, 'Via'), `SIP/2.0/UDP 127.0.0.1:9;rport=${client.port};branch=z9hG4bKnat1;received=127.0.0.1`);
    } finally {
      await client.close();
    }
  });

  test('an answerable malformed request gets 400 with the reason; it is dropped and counted', async () => {
    const log = recorder();
    const b = await layer({ logger: log });
    layers.push(b.l);
    const client = await udpClient();
    try {
      // A name as sent-by: the 400 must still go to the packet's source (§18.2.1 received).
      const noCallId = options('UDP', `pc33.atlanta.example.com:${client.port}`).replace(/Call-ID: [^\r]*\r\n/, '');
      client.sock.send(noCallId, b.l.transport('udp')!.local.port, HOST);
      // The 400 copies what the request had (§8.2.6.2): no Call-ID, so it is read as text.
      const text = (await client.got.next()).toString();
      assert.ok(text.startsWith('SIP/2.0 400 missing Call-ID\r\n'), text);
      assert.match(text, /\r\nCSeq: 63104 OPTIONS\r\n/);
      assert.match(text, new RegExp(`\\r\\nVia: SIP/2.0/UDP pc33\\.atlanta\\.example\\.com:${client.port};branch=z9hG4bKhjhs8ass877;received=127\\.0\\.0\\.1\\r\\n`));
      assert.equal(b.requests.items.length, 0);
      assert.equal(b.l.stats.rejected, 1);
      assert.equal(b.l.stats.dropped, 1);
      const line = log.lines.find((l) => l.level === 'warn');
      assert.equal(line?.obj.reason, 'missing Call-ID');
      assert.equal(line?.obj.source, `127.0.0.1:${client.port}`);
    } finally {
      await client.close();
    }
  });

  test('garbage is dropped, counted and logged once per datagram; nothing is answered', async () => {
    const log = recorder();
    const b = await layer({ logger: log });
    layers.push(b.l);
    const client = await udpClient();
    try {
      const port = b.l.transport('udp')!.local.port;
      client.sock.send(Buffer.from('\x16\x03\x01 this is not SIP at all, not even close'), port, HOST);
      client.sock.send(Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'), port, HOST);
      client.sock.send(Buffer.from('\r\n\r\n'), port, HOST); // keep-alive: silently ignored
      // A valid request after them proves the datagrams were processed in order.
      client.sock.send(options('UDP', `127.0.0.1:${client.port}`), port, HOST);
      await b.requests.next();
      assert.equal(b.l.stats.dropped, 2);
      assert.equal(log.lines.filter((l) => l.level === 'warn').length, 2);
      assert.equal(client.got.items.length, 0);
    } finally {
      await client.close();
    }
  });

  test('§18.1.2: a response whose top Via sent-by is not ours is dropped', async () => {
    const a = await layer();
    layers.push(a.l);
    const client = await udpClient();
    try {
      const aPort = a.l.transport('udp')!.local.port;
      const foreign = [
        'SIP/2.0 200 OK',
        'Via: SIP/2.0/UDP 192.0.2.99:5060;branch=z9hG4bKforeign',
        'From: <sip:a@b>;tag=1',
        'To: <sip:c@d>;tag=2',
        'Call-ID: x@y',
        'CSeq: 1 OPTIONS',
        'Content-Length: 0',
        '',
        '',
      ].join('\r\n');
      const ours = foreign.replace('192.0.2.99:5060', `127.0.0.1:${aPort}`);
      client.sock.send(foreign, aPort, HOST);
      client.sock.send(ours, aPort, HOST);
      const got = await a.responses.next();
      assert.equal(getHeader(got.msg, 'Via'), `SIP/2.0/UDP 127.0.0.1:${aPort};branch=z9hG4bKforeign`);
      assert.equal(a.l.stats.dropped, 1);
      assert.equal(a.responses.items.length, 0);
    } finally {
      await client.close();
    }
  });
});

describe('TCP', () => {
  test('request over TCP, response back over the same connection (§18.2.2)', async () => {
    const a = await layer();
    const b = await layer();
    layers.push(a.l, b.l);
    const bPort = b.l.transport('tcp')!.local.port;
    const aTcp = a.l.transport('tcp') as TcpTransport;
    const bTcp = b.l.transport('tcp') as TcpTransport;
    const out = await a.l.sendRequest(request(options('TCP', 'x.invalid')), { transport: 'tcp', host: HOST, port: bPort });
    assert.equal(out.reliable, true);
    assert.match(getHeader(out.message, 'Via')!, new RegExp(`^SIP/2.0/TCP 127\\.0\\.0\\.1:${aTcp.local.port};`));
    const got = await b.requests.next();
    assert.equal(got.source.transport, 'tcp');
    assert.notEqual(got.source.port, aTcp.local.port); // the connection's ephemeral port
    await b.l.sendResponse(createResponse(got.msg, 200), got.source);
    const back = await a.responses.next();
    assert.equal(back.msg.status, 200);
    // One connection on each side: B answered on A's connection instead of dialling A's listener.
    assert.equal(aTcp.connectionCount, 1);
    assert.equal(bTcp.connectionCount, 1);
    // A second request reuses the connection.
    await a.l.sendRequest(request(options('TCP', 'x.invalid', [], 'second@pc33')), { transport: 'tcp', host: HOST, port: bPort });
    assert.equal(getHeader((await b.requests.next()).msg, 'Call-ID'), 'second@pc33');
    assert.equal(aTcp.connectionCount, 1);
    assert.equal(bTcp.connectionCount, 1);
  });

  test('§18.1.1: a request over 1300 bytes for UDP goes over TCP instead', async () => {
    const a = await layer();
    const b = await layer();
    layers.push(a.l, b.l);
    const big = request(options('UDP', 'x.invalid', [`Subject: ${'x'.repeat(1400)}`]));
    const out = await a.l.sendRequest(big, { transport: 'udp', host: HOST, port: b.l.transport('udp')!.local.port });
    assert.equal(out.dest.transport, 'tcp');
    const got = await b.requests.next();
    assert.equal(got.source.transport, 'tcp');
    assert.equal(got.via.transport, 'TCP');
    // B listens on the same port for both transports, so the same number reaches it.
    assert.equal(b.l.transport('udp')!.local.port, b.l.transport('tcp')!.local.port);
  });

  test('keep-alive ping is answered with a pong (RFC 5626 §3.5.1); messages around it still arrive', async () => {
    const b = await layer();
    layers.push(b.l);
    const sock = net.connect(b.l.transport('tcp')!.local.port, HOST);
    await once(sock, 'connect');
    try {
      const data: Buffer[] = [];
      sock.on('data', (d: Buffer) => data.push(d));
      sock.write('\r\n\r\n');
      await waitFor(() => Buffer.concat(data).toString() === '\r\n');
      sock.write(options('TCP', `127.0.0.1:${sock.localPort}`) + '\r\n\r\n');
      await b.requests.next();
      await waitFor(() => Buffer.concat(data).toString() === '\r\n\r\n');
    } finally {
      sock.destroy();
    }
  });

  test('a stream without Content-Length, or with garbage, is closed and counted', async () => {
    const log = recorder();
    const b = await layer({ logger: log });
    layers.push(b.l);
    const port = b.l.transport('tcp')!.local.port;
    const noLength = options('TCP', 'h.invalid').replace('Content-Length: 0\r\n', '');
    for (const [bytes, reason] of [
      [noLength, 'missing Content-Length on a stream'],
      ['\x00\x01\x02garbage', 'garbage where a start-line should begin'],
    ] as const) {
      const sock = net.connect(port, HOST);
      await once(sock, 'connect');
      sock.on('error', () => {});
      const closed = once(sock, 'close');
      sock.write(bytes);
      sock.resume();
      await closed;
      assert.ok(log.lines.some((l) => l.obj.reason === reason), reason);
    }
    assert.equal(b.l.stats.dropped, 2);
    assert.equal(b.requests.items.length, 0);
  });

  test('a stream message that frames but does not parse is dropped; the next one on the stream survives', async () => {
    const b = await layer();
    layers.push(b.l);
    const sock = net.connect(b.l.transport('tcp')!.local.port, HOST);
    await once(sock, 'connect');
    try {
      const badCSeq = options('TCP', 'h.invalid').replace('CSeq: 63104 OPTIONS', 'CSeq: 63104 INVITE');
      sock.write(badCSeq + options('TCP', 'h.invalid', [], 'after@pc33'));
      const got = await b.requests.next();
      assert.equal(getHeader(got.msg, 'Call-ID'), 'after@pc33');
      assert.equal(b.l.stats.dropped, 1);
      assert.equal(b.l.stats.rejected, 1);
    } finally {
      sock.destroy();
    }
  });

  test('idle connections are closed after the idle timeout (clock-driven)', async () => {
    const clock = new ManualClock();
    const received: Buffer[] = [];
    const sink: TransportSink = { message: (bytes) => received.push(bytes), dropped: () => {} };
    const tcp = await createTcpTransport({ host: HOST, port: 0, idleTimeoutMs: 30_000, clock }, sink);
    try {
      const sock = net.connect(tcp.local.port, HOST);
      await once(sock, 'connect');
      sock.on('error', () => {});
      await waitFor(() => tcp.connectionCount === 1);
      clock.advance(20_000);
      sock.write(options('TCP', 'h.invalid'));
      await waitFor(() => received.length === 1);
      clock.advance(20_000); // 20 s since the message: still open
      assert.equal(sock.destroyed, false);
      assert.equal(tcp.connectionCount, 1);
      const closed = once(sock, 'close');
      sock.resume();
      clock.advance(10_000); // 30 s idle
      await closed;
      await waitFor(() => tcp.connectionCount === 0);
    } finally {
      await tcp.close();
    }
  });

  test('send to a closed port rejects with a TransportError', async () => {
    const a = await layer();
    layers.push(a.l);
    const probe = net.createServer();
    await new Promise<void>((r) => probe.listen(0, HOST, r));
    const deadPort = (probe.address() as net.AddressInfo).port;
    await new Promise<void>((r) => probe.close(() => r()));
    await assert.rejects(
      a.l.sendRequest(request(options('TCP', 'h.invalid')), { transport: 'tcp', host: HOST, port: deadPort }),
      (err: Error) => err.name === 'TransportError',
    );
  });
});

async function waitFor(cond: () => boolean, ms = 2000): Promise<void> {
  const until = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}



