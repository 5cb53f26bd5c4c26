/** The two result tables (text and Markdown) and the generated block of bench/RESULTS.md. */
import { cpsStepClean, type CpsStep } from './cps-phase.ts';
import { concurrentStepMeetsTargets, type ConcurrentStep } from './concurrent-phase.ts';
import type { MachineInfo } from './machine.ts';
import type { DgramCost } from './dgram-cost.ts';
import { fmt, markdownTable, type Cell, type Column } from './table.ts';

export const cpsColumns: Column[] = [
  { title: 'offered/s' },
  { title: 'SIPp×' },
  { title: 'calls' },
  { title: 'ok' },
  { title: 'failed' },
  { title: 'retrans' },
  { title: 'answered/s' },
  { title: 'INV→200 p50 ms' },
  { title: 'p99 ms' },
  { title: 'max ms' },
  { title: 'server CPU %' },
  { title: 'peak %' },
  { title: 'SIPp CPU %' },
  { title: 'machine %' },
  { title: 'irq %' },
  { title: 'steal %' },
  { title: 'others %' },
  { title: 'load' },
  { title: 'sustained', left: true },
];

export function cpsRow(s: CpsStep): Cell[] {
  const failedBy = Object.entries(s.failedBy)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
  return [
    s.rate,
    s.instances,
    s.created,
    s.successful,
    failedBy ? `${s.failed} (${failedBy})` : s.failed,
    s.retransmissions,
    fmt(s.achievedCps, 0),
    fmt(s.inviteTo200.p50, 0),
    fmt(s.inviteTo200.p99, 0),
    fmt(s.inviteTo200.max, 0),
    fmt(s.cpu.byName.server?.avgPct, 0),
    fmt(s.cpu.byName.server?.peakPct, 0),
    fmt(s.cpu.byName.sipp?.avgPct, 0),
    fmt(s.cpu.machine.avgPct, 0),
    fmt(s.cpu.irqPct, 0),
    fmt(s.cpu.stealPct, 0),
    fmt(s.othersPct, 0),
    fmt(s.load1Before, 2),
    cpsStepClean(s) ? 'yes' : s.failed === 0 && s.created > 0 ? 'NO (behind)' : 'NO',
  ];
}

export const concurrentColumns: Column[] = [
  { title: 'calls' },
  { title: 'answered' },
  { title: 'failed' },
  { title: 'setup p99 ms' },
  { title: 'RX lost' },
  { title: 'p99 |Δ−20| ms' },
  { title: 'p99.9 ms' },
  { title: 'max gap ms' },
  { title: 'p99 call gap ms' },
  { title: 'no RTP' },
  { title: 'DTMF sent' },
  { title: 'digits logged' },
  { title: 'dup' },
  { title: 'server CPU %' },
  { title: 'peak %' },
  { title: 'rtpload %' },
  { title: 'machine %' },
  { title: 'irq %' },
  { title: 'steal %' },
  { title: 'others %' },
  { title: 'load' },
  { title: 'targets', left: true },
];

export function concurrentRow(s: ConcurrentStep): Cell[] {
  const r = s.report;
  const d = s.digits;
  const failed = r ? r.failed + r.timed_out + r.aborted_at_deadline : '–';
  return [
    s.calls,
    r?.answered ?? '–',
    failed,
    fmt(r?.setup_ms.p99, 1),
    r ? `${r.rtp.lost} (${r.rtp.loss_pct.toFixed(3)} %)` : '–',
    fmt(r?.rtp.jitter_dev_ms.p99, 2),
    fmt(r?.rtp.jitter_dev_ms.p999, 2),
    fmt(r?.rtp.max_gap_ms, 1),
    fmt(r?.rtp.p99_call_max_gap_ms, 1),
    r?.rtp.answered_calls_no_rtp ?? '–',
    r?.dtmf_events_sent ?? '–',
    d.expected > 0 ? `${d.detected}/${d.expected} (${(100 * d.rate).toFixed(1)} %)` : '–',
    d.duplicates + d.unexpected,
    fmt(s.cpuFull.byName.server?.avgPct, 0),
    fmt(s.cpuFull.byName.server?.peakPct, 0),
    fmt(s.cpuFull.byName.rtpload?.avgPct ?? s.cpuRun.byName.rtpload?.avgPct, 0),
    fmt(s.cpuFull.machine.avgPct, 0),
    fmt(s.cpuFull.irqPct, 0),
    fmt(s.cpuFull.stealPct, 0),
    fmt(s.othersPct, 0),
    fmt(s.load1Before, 2),
    concurrentStepMeetsTargets(s) ? 'met' : 'NOT met',
  ];
}

export interface RunResult {
  readonly runId: string;
  readonly machine: MachineInfo;
  readonly startLoad: number;
  readonly endLoad: number;
  readonly settings: {
    readonly stepSeconds: number;
    readonly perSipp: number;
    readonly ramp: number;
    readonly holdS: number;
    readonly digits: string;
    readonly measureAfterS: number;
    readonly mediaWorkers: number | string;
    readonly rt: boolean;
  };
  readonly dgram: DgramCost | undefined;
  readonly cps: readonly CpsStep[];
  readonly concurrent: readonly ConcurrentStep[];
}

/** The generated part of the RESULTS.md section: how and where it was measured, and both tables. */
export function resultsBlock(r: RunResult, argv: string): string {
  const m = r.machine;
  const s = r.settings;
  const out: string[] = [
    `Measured ${m.date} on ${m.cores} × ${m.model}, ${m.memoryGiB} GiB, Linux ${m.kernel}; Node ${m.node}; ${m.sipp}; commit \`${m.commit}\`${m.dirty ? ' (with uncommitted changes under src/)' : ''}.`,
    `Load average (1 min, as \`uptime\`) ${r.startLoad} at the start, ${r.endLoad} at the end — other engineers share this machine; the "others %" column is the machine's CPU minus the server, the generators, the bench process, irq/softirq time ("irq %", mostly loopback packet delivery, which the kernel books to no process) and hypervisor steal ("steal %": this is a VM, and its vCPUs sometimes wait for the host).`,
    `Command: \`npm run bench:sip${argv ? ` -- ${argv}` : ''}\`. Raw figures: \`bench/out/sip-${r.runId}.json\`. Server media workers: ${s.mediaWorkers}. CPU columns are % of one core (200 % = both cores).`,
  ];
  if (r.dgram) {
    const d = r.dgram;
    const perCall = 50 * d.sendUnconnectedUs + 50 * d.receiveUs;
    out.push(
      `Calibration (\`bench/lib/dgram-cost.ts\`, ${d.sockets} sockets, loopback): Node dgram costs ${d.sendUnconnectedUs.toFixed(2)} µs CPU per send (${d.sendConnectedUs.toFixed(2)} µs on a connected socket) and ${d.receiveUs.toFixed(2)} µs per received packet, so the RTP of one G.711 call (50 packets/s each way) costs the server ≈ ${(perCall / 1e4).toFixed(3)} % of a core before any media work — ≈ ${((2000 * perCall) / 1e4).toFixed(0)} % for 2,000 calls.`,
    );
  }
  out.push('');
  if (r.cps.length > 0) {
    const clean = r.cps.filter(cpsStepClean).map((x) => x.rate);
    out.push(
      `### Calls per second (short calls: INVITE, 200, ACK, 2 s of the welcome prompt, BYE)`,
      '',
      `SIPp 3.6.1, ${s.stepSeconds} s per step, one server for every step (drained in between), rates above ${s.perSipp}/s split over several SIPp processes. "answered/s" is answers over the span they arrived in; a step is "sustained" with 0 failed calls and answered/s ≥ 95 % of offered. INVITE→200 from SIPp's rtt trace (1 ms resolution).`,
      '',
      markdownTable(cpsColumns, r.cps.map(cpsRow)),
      '',
      `**Highest rate sustained (answers ≥ 95 % of the offered rate) with 0 failed calls: ${clean.length ? `${Math.max(...clean)} calls/s` : 'none'}.**`,
      '',
    );
  }
  if (r.concurrent.length > 0) {
    const ok = r.concurrent.filter(concurrentStepMeetsTargets).map((x) => x.calls);
    out.push(
      `### Concurrent calls with prompt playback`,
      '',
      `rtpload (bench/out/rtpload, built from ../shared/tools/rtpload), ramp ${s.ramp} calls/s, hold ${s.holdS} s, PCMU both ways, RFC 4733 digits \`${s.digits}\` (s after answer : digit)${s.rt ? ', generator at SCHED_FIFO 1' : ''}${s.measureAfterS > 0 ? `, pacing measured from ${s.measureAfterS} s after answer` : ', pacing measured over the whole call'}. RTP timing from kernel arrival timestamps in rtpload (a separate process). "digits logged" = digits the server logged on the right call / answered calls × digits sent; "dup" = logged more than once or never sent. Server CPU over the window in which every call is up.`,
      '',
      markdownTable(concurrentColumns, r.concurrent.map(concurrentRow)),
      '',
      `**Most concurrent calls meeting every target (0 failed, 0 lost, p99 ≤ 2 ms, max gap ≤ 60 ms, every digit exactly once): ${ok.length ? Math.max(...ok) : 'none'}.**`,
      '',
    );
  }
  return out.join('\n');
}
