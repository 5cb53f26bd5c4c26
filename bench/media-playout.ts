/**
 * Playout timing under load: N legs each playing a looped prompt (G.711, 50 packets/s)
 * to a receiver in a separate process (bench/rtp-receiver.ts), which measures arrival
 * intervals per leg. Prints one table row per configuration.
 *
 *   node --import tsx bench/media-playout.ts [--legs 500,1000,2000] [--workers 1,2]
 *        [--seconds 20] [--warmup 3] [--receivers 1] [--reply] [--slots 4]
 *        [--early-ms 0.5] [--spin-ms 0] [--connect] [--nice=-10] [--latching off]
 *        [--capture-legs 200] [--receiver-spin] [--ports 14000-19999] [--json]
 *
 * --connect: MediaEngine connectLatched (connect RTP sockets once latched); --nice: the
 * workers' nice value; --latching off: trust the SDP address (with --connect, connects
 * at once: the receiver only answers with --reply, so nothing would latch otherwise).
 *
 * Two views of the timing:
 *  - "rx": |inter-arrival − 20 ms| as the receiver process sees it (performance.now() in
 *    its 'message' callback — includes the receiver's own scheduling);
 *  - "wire": the same from kernel timestamps, captured on lo with dumpcap for the first
 *    --capture-legs legs (what a phone's NIC would see; needs dumpcap and root).
 * Other columns: the largest gap on any leg, loss (sequence gaps), packets per second
 * received, engine CPU (this process: main thread + workers, % of one core), worker
 * event-loop utilisation, playout-loop lateness (from the worker), receiver CPU.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { readUdpFromPcap } from '../src/media/pcap.ts';
import { parsePortRange } from '../src/media/ports.ts';
import { MediaEngine, type LegId } from '../src/media/engine.ts';
import { encodeUlaw } from '../src/media/codecs/g711.ts';

const { values } = parseArgs({
  options: {
    legs: { type: 'string', default: '500,1000,2000' },
    workers: { type: 'string', default: String(availableParallelism()) },
    seconds: { type: 'string', default: '20' },
    warmup: { type: 'string', default: '3' },
    receivers: { type: 'string', default: '1' },
    reply: { type: 'boolean', default: false },
    slots: { type: 'string' },
    'early-ms': { type: 'string' },
    'spin-ms': { type: 'string' },
    ports: { type: 'string', default: '14000-19999' },
    json: { type: 'boolean', default: false },
    'capture-legs': { type: 'string', default: '200' },
    'receiver-spin': { type: 'boolean', default: false },
    connect: { type: 'boolean', default: false },
    nice: { type: 'string' },
    latching: { type: 'string', default: 'auto' },
  },
});

const DUMPCAP = '/usr/bin/dumpcap';

interface Capture {
  stop(): Promise<{ p50: number; p99: number; p999: number; maxGap: number; packets: number }>;
}

/** Kernel-timestamped capture of the RTP our first legs send (src ports low..low+2n). */
async function startCapture(low: number, legs: number): Promise<Capture | undefined> {
  if (!existsSync(DUMPCAP) || process.getuid?.() !== 0 || legs === 0) return undefined;
  const file = join(tmpdir(), `media-playout-${process.pid}.pcapng`);
  const filter = `udp and src portrange ${low}-${low + 2 * legs - 1}`;
  const proc = spawn(DUMPCAP, ['-i', 'lo', '-s', '64', '-q', '-f', filter, '-w', file], { stdio: ['ignore', 'ignore', 'pipe'] });
  const reap = (): void => void proc.kill('SIGINT');
  process.once('exit', reap);
  proc.once('exit', () => process.off('exit', reap));
  await new Promise<void>((resolve, reject) => {
    let err = '';
    proc.stderr.on('data', (d: Buffer) => {
      err += d.toString();
      if (err.includes('Capturing on')) resolve();
    });
    proc.once('exit', (code) => reject(new Error(`dumpcap exited ${code}: ${err}`)));
  });
  return {
    async stop() {
      const done = new Promise<void>((r) => proc.once('exit', () => r()));
      proc.kill('SIGINT');
      await done;
      const last = new Map<number, number>();
      const devs: number[] = [];
      let maxGap = 0;
      let packets = 0;
      for (const d of readUdpFromPcap(readFileSync(file))) {
        if (d.srcPort % 2 !== 0 || d.payload.length < 12) continue; // RTP only, not RTCP on port+1
        packets++;
        const t = d.ts * 1000;
        const prev = last.get(d.srcPort);
        last.set(d.srcPort, t);
        if (prev === undefined) continue;
        const gap = t - prev;
        if (gap > maxGap) maxGap = gap;
        devs.push(Math.abs(gap - 20));
      }
      rmSync(file, { force: true });
      devs.sort((a, b) => a - b);
      const q = (p: number) => devs[Math.min(devs.length - 1, Math.floor(p * devs.length))] ?? NaN;
      return { p50: q(0.5), p99: q(0.99), p999: q(0.999), maxGap, packets };
    },
  };
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

interface Receiver {
  proc: ChildProcessWithoutNullStreams;
  ports: number[];
  next(): Promise<Record<string, number>>;
}

async function startReceiver(reply: boolean): Promise<Receiver> {
  const args = ['--import', 'tsx', new URL('./rtp-receiver.ts', import.meta.url).pathname, '--sockets', '8'];
  if (reply) args.push('--reply');
  if (values['receiver-spin']) args.push('--spin');
  const proc = spawn(process.execPath, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  // Never leave a receiver behind if this process dies mid-run.
  const reap = (): void => void proc.kill();
  process.once('exit', reap);
  proc.once('exit', () => process.off('exit', reap));
  proc.stderr.on('data', (d: Buffer) => process.stderr.write(d));
  const lines = createInterface({ input: proc.stdout });
  const queue: string[] = [];
  const waiters: Array<(l: string) => void> = [];
  lines.on('line', (l) => {
    const w = waiters.shift();
    if (w) w(l);
    else queue.push(l);
  });
  const next = (): Promise<Record<string, number>> =>
    new Promise((resolve) => {
      const l = queue.shift();
      if (l !== undefined) resolve(JSON.parse(l) as Record<string, number>);
      else waiters.push((x) => resolve(JSON.parse(x) as Record<string, number>));
    });
  const first = (await next()) as unknown as { ports: number[] };
  return { proc, ports: first.ports, next };
}

function g711Prompt(seconds: number): Buffer {
  // A 400 Hz tone: real-looking audio with no silence bytes.
  const pcm = new Int16Array(seconds * 8000);
  for (let i = 0; i < pcm.length; i++) pcm[i] = Math.round(8000 * Math.sin((2 * Math.PI * 400 * i) / 8000));
  return encodeUlaw(pcm);
}

interface Row {
  wireP50: number;
  wireP99: number;
  wireP999: number;
  wireMaxGap: number;
  legs: number;
  workers: number;
  reply: boolean;
  pps: number;
  p50: number;
  p99: number;
  p999: number;
  maxGap: number;
  p99LegMaxGap: number;
  lossPct: number;
  lost: number;
  engineCpu: number;
  workerElu: number;
  loopLateP99: number;
  loopLateMax: number;
  resyncs: number;
  receiverCpu: number;
  load: number;
}

async function run(legs: number, workers: number): Promise<Row> {
  const nRecv = Number(values.receivers);
  const receivers = await Promise.all(Array.from({ length: nRecv }, () => startReceiver(values.reply)));
  const targets = receivers.flatMap((r) => r.ports);
  const playout: Record<string, number> = {};
  if (values.slots) playout.slots = Number(values.slots);
  if (values['early-ms']) playout.earlyMs = Number(values['early-ms']);
  if (values['spin-ms']) playout.spinMs = Number(values['spin-ms']);
  const engine = await MediaEngine.start({ host: '127.0.0.1', portRange: values.ports, workers, playout, connectLatched: values.connect,
    ...(values.nice !== undefined ? { workerNiceness: Number(values.nice) } : {}) });
  await engine.loadPrompt('tone', 'PCMU', g711Prompt(10));
  const ids: LegId[] = [];
  for (let i = 0; i < legs; i++) {
    const { legId } = await engine.allocate();
    await engine.configure(legId, {
      remote: { address: '127.0.0.1', port: targets[i % targets.length]! },
      codec: 'PCMU',
      payloadType: 0,
      telephoneEventPt: 101,
      latching: values.latching as 'auto' | 'any' | 'off',
    });
    void engine.play(legId, { source: { kind: 'prompt', id: 'tone' }, loop: true }).catch(() => {});
    ids.push(legId);
  }
  await sleep(Number(values.warmup) * 1000);
  await engine.workerStats(); // resets the ELU window
  const capture = await startCapture(parsePortRange(values.ports)[0], Math.min(legs, Number(values['capture-legs'])));
  for (const r of receivers) r.proc.stdin.write('start\n');
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await sleep(Number(values.seconds) * 1000);
  const cpu = process.cpuUsage(cpu0);
  const wall = performance.now() - t0;
  const ws = await engine.workerStats();
  const reports = await Promise.all(
    receivers.map((r) => {
      const p = r.next();
      r.proc.stdin.write('stop\n');
      return p;
    }),
  );
  const wire = capture ? await capture.stop() : undefined;
  await engine.close();
  for (const r of receivers) r.proc.kill();

  const sum = (k: string) => reports.reduce((a, r) => a + r[k]!, 0);
  const max = (k: string) => Math.max(...reports.map((r) => r[k]!));
  return {
    wireP50: wire?.p50 ?? NaN,
    wireP99: wire?.p99 ?? NaN,
    wireP999: wire?.p999 ?? NaN,
    wireMaxGap: wire?.maxGap ?? NaN,
    legs,
    workers,
    reply: values.reply,
    pps: sum('pps'),
    // With one receiver these are exact; with several, the worst receiver's percentile.
    p50: max('p50'),
    p99: max('p99'),
    p999: max('p999'),
    maxGap: max('maxGap'),
    p99LegMaxGap: max('p99LegMaxGap'),
    lost: sum('lost'),
    lossPct: (100 * sum('lost')) / Math.max(1, sum('packets') + sum('lost')),
    engineCpu: ((cpu.user + cpu.system) / 1000 / wall) * 100,
    workerElu: ws.reduce((a, w) => a + w.elu, 0) / Math.max(1, ws.length),
    loopLateP99: Math.max(...ws.map((w) => w.latenessP99)),
    loopLateMax: Math.max(...ws.map((w) => w.latenessMax)),
    resyncs: ws.reduce((a, w) => a + w.resyncs, 0),
    receiverCpu: sum('cpuPct'),
    load: loadavg()[0]!,
  };
}

const rows: Row[] = [];
const workerCounts = values.workers.split(',').map(Number);
for (const w of workerCounts) {
  for (const n of values.legs.split(',').map(Number)) {
    const row = await run(n, w);
    rows.push(row);
    if (!values.json) process.stderr.write(`done: ${n} legs, ${w} worker(s)\n`);
  }
}

if (values.json) {
  console.log(JSON.stringify(rows, null, 2));
} else {
  const f = (x: number, d = 2) => x.toFixed(d);
  console.log(
    `\nmedia playout, ${values.seconds} s measured per row, ${values.receivers} receiver process(es)${values.reply ? ', receiver echoes RTP back' : ''}\n`,
  );
  console.log('|legs|workers|rx pps|wire p50/p99/p99.9 ms|wire max gap|rx p50/p99/p99.9 ms|rx max gap|p99 leg max gap|loss|engine CPU %|worker ELU|loop late p99/max|resyncs|receiver CPU %|load|');
  console.log('|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const r of rows) {
    console.log(
      `|${r.legs}|${r.workers}|${f(r.pps, 0)}|${f(r.wireP50)}/${f(r.wireP99)}/${f(r.wireP999)}|${f(r.wireMaxGap, 1)}|${f(r.p50)}/${f(r.p99)}/${f(r.p999)}|${f(r.maxGap, 1)}|${f(r.p99LegMaxGap, 1)}|${r.lost} (${f(r.lossPct, 3)}%)|${f(r.engineCpu, 0)}|${f(r.workerElu)}|${f(r.loopLateP99, 1)}/${f(r.loopLateMax, 1)}|${r.resyncs}|${f(r.receiverCpu, 0)}|${f(r.load, 1)}|`,
    );
  }
}
