/**
 * What one RTP packet costs Node's dgram on this machine, to size the media plane:
 * CPU µs per send (from N sockets, unconnected with an IP-literal lookup as the media
 * worker does, and connected) and per receive (N sockets, one 'message' event each).
 * Loopback, 172-byte datagrams; a few seconds of CPU.
 *
 *   node --import tsx bench/lib/dgram-cost.ts [--sockets 1000] [--rounds 100]
 */
import { createSocket, type Socket } from 'node:dgram';
import { fork } from 'node:child_process';
import path from 'node:path';
import { parseArgs } from 'node:util';

const PACKET = 172;
const literal = (address: string, _o: unknown, cb: (err: Error | null, address: string, family: number) => void): void => cb(null, address, 4);

function bound(onMessage?: () => void): Promise<Socket> {
  return new Promise((resolve) => {
    const s = createSocket({ type: 'udp4', lookup: literal as never });
    if (onMessage) s.on('message', onMessage);
    s.bind(0, '127.0.0.1', () => resolve(s));
  });
}

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

export interface DgramCost {
  readonly sockets: number;
  readonly packets: number;
  readonly sendUnconnectedUs: number;
  readonly sendConnectedUs: number;
  readonly receiveUs: number;
}

async function sendCost(sockets: number, rounds: number, connected: boolean): Promise<number> {
  // Never read, like SIPp's media port in the CPS phase: the kernel drops once it is full.
  const sink = await bound();
  const port = sink.address().port;
  const socks = await Promise.all(Array.from({ length: sockets }, () => bound()));
  if (connected) await Promise.all(socks.map((s) => new Promise<void>((r) => s.connect(port, '127.0.0.1', () => r()))));
  const buf = Buffer.alloc(PACKET);
  const c0 = process.cpuUsage();
  for (let k = 0; k < rounds; k++) {
    for (const s of socks) {
      if (connected) s.send(buf);
      else s.send(buf, port, '127.0.0.1');
    }
    await tick();
  }
  const c = process.cpuUsage(c0);
  for (const s of [...socks, sink]) s.close();
  return (c.user + c.system) / (sockets * rounds);
}

async function receiveCost(sockets: number, rounds: number): Promise<number> {
  let got = 0;
  const socks = await Promise.all(Array.from({ length: sockets }, () => bound(() => void got++)));
  const c0 = process.cpuUsage();
  const child = fork(import.meta.filename, ['--sender', JSON.stringify(socks.map((s) => s.address().port)), '--rounds', String(rounds)], {
    execArgv: process.execArgv,
  });
  await new Promise((r) => child.once('exit', r));
  await new Promise((r) => setTimeout(r, 100));
  const c = process.cpuUsage(c0);
  for (const s of socks) s.close();
  return got > 0 ? (c.user + c.system) / got : Number.NaN;
}

async function sender(ports: number[], rounds: number): Promise<void> {
  const s = await bound();
  const buf = Buffer.alloc(PACKET);
  for (let k = 0; k < rounds; k++) {
    for (const p of ports) s.send(buf, p, '127.0.0.1');
    // 2 ms between rounds so the receiver's socket buffers never overflow.
    await new Promise((r) => setTimeout(r, 2));
  }
  s.close();
}

export async function measureDgramCost(sockets = 1000, rounds = 100): Promise<DgramCost> {
  return {
    sockets,
    packets: sockets * rounds,
    sendUnconnectedUs: await sendCost(sockets, rounds, false),
    sendConnectedUs: await sendCost(sockets, rounds, true),
    receiveUs: await receiveCost(sockets, rounds),
  };
}

if (process.argv[1] && path.resolve(process.argv[1]) === import.meta.filename) {
  const { values } = parseArgs({ options: { sockets: { type: 'string', default: '1000' }, rounds: { type: 'string', default: '100' }, sender: { type: 'string' } } });
  if (values.sender) {
    await sender(JSON.parse(values.sender) as number[], Number(values.rounds));
  } else {
    const r = await measureDgramCost(Number(values.sockets), Number(values.rounds));
    process.stdout.write(
      `${r.sockets} sockets × ${r.packets / r.sockets} packets, ${PACKET} B, loopback: ` +
        `send ${r.sendUnconnectedUs.toFixed(2)} µs CPU unconnected, ${r.sendConnectedUs.toFixed(2)} µs connected; ` +
        `receive ${r.receiveUs.toFixed(2)} µs CPU per packet\n`,
    );
  }
}
