/**
 * The far end for bench/media-playout.ts, in its own process so that it does not share
 * an event loop with the engine it measures. Binds a few UDP sockets, prints their ports
 * as one JSON line, then records every RTP packet's arrival time per source port.
 *
 * Node exposes no SO_TIMESTAMP, so arrival is performance.now() in the 'message'
 * callback: the numbers include this process's own scheduling delay (its event-loop
 * utilisation is reported so a saturated receiver is visible).
 *
 * stdin commands, one per line: "start" resets the statistics and starts the measured
 * window; "stop" prints the report as one JSON line and exits.
 *
 *   node --import tsx bench/rtp-receiver.ts [--sockets 8] [--host 127.0.0.1] [--reply] [--spin]
 *
 * --reply sends every packet back to its source, so the engine also carries inbound RTP.
 */
import { createSocket, type Socket } from 'node:dgram';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';

const { values } = parseArgs({
  options: {
    sockets: { type: 'string', default: '8' },
    host: { type: 'string', default: '127.0.0.1' },
    reply: { type: 'boolean', default: false },
    // Keep the event loop polling (setImmediate) instead of sleeping in epoll_wait, so
    // arrival times carry no wake-up latency. Costs a whole core: on a 2-core machine that
    // starves the engine under test, so it is off by default.
    spin: { type: 'boolean', default: false },
  },
});
if (values.spin) {
  const spin = (): void => {
    setImmediate(spin);
  };
  spin();
}
const host = values.host;
const reply = values.reply;

/** |interval − 20 ms| histogram, 10 µs bins up to 200 ms. */
const BIN_US = 10;
const BINS = 20_000;
const hist = new Float64Array(BINS);

interface Source {
  lastAt: number;
  firstSeq: number;
  /** Extended highest sequence number (with wrap cycles). */
  maxExt: number;
  received: number;
  maxGap: number;
}

const sources = new Map<number, Source>();
let measuring = false;
let intervals = 0;
let packets = 0;
let maxGap = 0;
let eluStart = performance.eventLoopUtilization();
let cpuStart = process.cpuUsage();
let t0 = performance.now();

function onMessage(this: Socket, msg: Buffer, rinfo: { port: number; address: string }): void {
  const at = performance.now();
  if (reply) this.send(msg, 0, msg.length, rinfo.port, rinfo.address);
  if (!measuring || msg.length < 12 || msg[0]! >> 6 !== 2) return;
  // RTCP sent to our port+1 can land on another of our sockets (RFC 5761 §4 demux).
  if (msg[1]! >= 192 && msg[1]! <= 223) return;
  const seq = (msg[2]! << 8) | msg[3]!;
  packets++;
  let s = sources.get(rinfo.port);
  if (!s) {
    sources.set(rinfo.port, { lastAt: at, firstSeq: seq, maxExt: seq, received: 1, maxGap: 0 });
    return;
  }
  s.received++;
  // Extend the 16-bit sequence number relative to the highest seen (RFC 3550 A.1 style).
  const delta = ((seq - (s.maxExt & 0xffff) + 0x8000) & 0xffff) - 0x8000;
  if (delta > 0) s.maxExt += delta;
  const gap = at - s.lastAt;
  s.lastAt = at;
  if (gap > s.maxGap) s.maxGap = gap;
  if (gap > maxGap) maxGap = gap;
  let bin = Math.floor((Math.abs(gap - 20) * 1000) / BIN_US);
  if (bin >= BINS) bin = BINS - 1;
  hist[bin]!++;
  intervals++;
}

function percentile(q: number): number {
  const want = Math.ceil(q * intervals);
  let acc = 0;
  for (let i = 0; i < BINS; i++) {
    acc += hist[i]!;
    if (acc >= want) return ((i + 1) * BIN_US) / 1000;
  }
  return Infinity;
}

function report(): Record<string, number> {
  let expected = 0;
  let received = 0;
  const gaps: number[] = [];
  for (const s of sources.values()) {
    expected += s.maxExt - s.firstSeq + 1;
    received += s.received;
    gaps.push(s.maxGap);
  }
  gaps.sort((a, b) => a - b);
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpuStart);
  return {
    sources: sources.size,
    seconds,
    packets,
    pps: packets / seconds,
    intervals,
    p50: percentile(0.5),
    p99: percentile(0.99),
    p999: percentile(0.999),
    maxGap,
    p99LegMaxGap: gaps.length ? gaps[Math.floor(0.99 * (gaps.length - 1))]! : 0,
    lost: Math.max(0, expected - received),
    lossPct: expected ? (100 * Math.max(0, expected - received)) / expected : 0,
    cpuPct: ((cpu.user + cpu.system) / 1000 / (seconds * 1000)) * 100,
    elu: performance.eventLoopUtilization(eluStart).utilization,
  };
}

const sockets: Socket[] = [];
for (let i = 0; i < Number(values.sockets); i++) {
  const s = createSocket({ type: host.includes(':') ? 'udp6' : 'udp4', recvBufferSize: 4 * 1024 * 1024 });
  s.on('message', onMessage);
  await new Promise<void>((resolve) => s.bind(0, host, resolve));
  try {
    s.setRecvBufferSize(4 * 1024 * 1024); // capped by net.core.rmem_max
  } catch {
    // keep the default
  }
  sockets.push(s);
}
process.stdout.write(JSON.stringify({ ports: sockets.map((s) => s.address().port) }) + '\n');

createInterface({ input: process.stdin }).on('line', (line) => {
  const cmd = line.trim();
  if (cmd === 'start') {
    sources.clear();
    hist.fill(0);
    intervals = 0;
    packets = 0;
    maxGap = 0;
    eluStart = performance.eventLoopUtilization();
    cpuStart = process.cpuUsage();
    t0 = performance.now();
    measuring = true;
  } else if (cmd === 'stop') {
    measuring = false;
    process.stdout.write(JSON.stringify(report()) + '\n', () => {
      for (const s of sockets) s.close();
      process.exit(0);
    });
  }
});
