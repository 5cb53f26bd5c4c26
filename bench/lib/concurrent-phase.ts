/**
 * Phase "concurrent": rtpload places N calls at a ramp rate and holds them, sending G.711
 * both ways and RFC 4733 digits; the server plays its welcome (barge-in) and menu to each.
 * rtpload is a separate process and measures the server's outgoing RTP with kernel
 * arrival timestamps; the digits come from the server's own log.
 */
import { CpuWatch, type CpuReport } from './cpu.ts';
import { runRtpload, type RtploadReport } from './rtpload.ts';
import type { BenchServer } from './server.ts';
import { accountDigits, digitsSent, type DigitAccount } from './digits.ts';
import { load1 } from './machine.ts';

export interface ConcurrentStepOptions {
  readonly bin: string;
  readonly calls: number;
  readonly rate: number;
  readonly holdS: number;
  readonly digits: string;
  readonly measureAfterS: number;
  readonly rt: boolean;
  readonly sipPort: number;
  readonly rtploadSipPort: number;
  readonly rtploadRtpPorts: string;
  readonly onProgress?: (line: string) => void;
}

export interface ConcurrentStep {
  readonly calls: number;
  readonly rate: number;
  readonly holdS: number;
  readonly exitCode: number | null;
  readonly report: RtploadReport | undefined;
  readonly digits: DigitAccount;
  /** While every call is up (from the last answer to the first BYE), or the whole run when there is no such window. */
  readonly cpuFull: CpuReport;
  readonly fullWindow: boolean;
  readonly cpuRun: CpuReport;
  readonly othersPct: number;
  readonly serverAnswered: number;
  readonly serverEnded: number;
  readonly serverWarnings: number;
  readonly serverIdleAfter: boolean;
  readonly load1Before: number;
  readonly load1After: number;
  readonly stderrTail: string;
}

export async function runConcurrentStep(server: BenchServer, o: ConcurrentStepOptions): Promise<ConcurrentStep> {
  const before = server.counters();
  const digitsFrom = server.digits.length;
  const load1Before = load1();
  const rampS = o.calls / o.rate;
  const watchRun = new CpuWatch({ server: server.pid, bench: process.pid });
  let generatorPid: number | undefined;
  // Every call is up from about the end of the ramp (plus setup) until the first call's hold ends.
  const fullFrom = (rampS + 1) * 1000;
  const fullTo = o.holdS * 1000 - 500;
  const fullWindow = fullTo - fullFrom >= 3000;
  let watchFull: CpuWatch | undefined;
  let fullReport: CpuReport | undefined;
  const timers: NodeJS.Timeout[] = [];
  if (fullWindow) {
    timers.push(
      setTimeout(() => {
        watchFull = new CpuWatch({ server: server.pid, bench: process.pid, ...(generatorPid !== undefined ? { rtpload: generatorPid } : {}) });
      }, fullFrom),
      setTimeout(() => {
        fullReport = watchFull?.stop();
        watchFull = undefined;
      }, fullTo),
    );
  }
  const res = await runRtpload({
    bin: o.bin,
    target: `127.0.0.1:${o.sipPort}`,
    number: '4008001111',
    calls: o.calls,
    rate: o.rate,
    holdS: o.holdS,
    digits: o.digits,
    sipPort: o.rtploadSipPort,
    rtpPorts: o.rtploadRtpPorts,
    measureAfterS: o.measureAfterS,
    rt: o.rt,
    maxSeconds: Math.ceil(rampS + o.holdS + 30),
    onSpawn: (child) => {
      if (child.pid === undefined) return;
      generatorPid = child.pid;
      watchRun.add('rtpload', child.pid);
    },
    ...(o.onProgress ? { onProgress: o.onProgress } : {}),
  });
  for (const t of timers) clearTimeout(t);
  if (watchFull) fullReport = watchFull.stop();
  const cpuRun = watchRun.stop();
  const idle = await server.waitIdle(15_000);
  const after = server.counters();
  const answered = res.report?.answered ?? 0;
  const digits = accountDigits(server.digits.slice(digitsFrom), 'rl', answered, digitsSent(o.digits, o.holdS));
  const cpuFull = fullReport ?? cpuRun;
  const used = ['server', 'rtpload', 'bench'].reduce((sum, n) => sum + (cpuFull.byName[n]?.avgPct ?? 0), 0) + cpuFull.irqPct + cpuFull.stealPct;
  return {
    calls: o.calls,
    rate: o.rate,
    holdS: o.holdS,
    exitCode: res.exitCode,
    report: res.report,
    digits,
    cpuFull,
    fullWindow: fullReport !== undefined,
    cpuRun,
    othersPct: Math.max(0, cpuFull.machine.avgPct - used),
    serverAnswered: after.answered - before.answered,
    serverEnded: after.ended - before.ended,
    serverWarnings: after.warnings - before.warnings,
    serverIdleAfter: idle,
    load1Before,
    load1After: load1(),
    stderrTail: res.stderrTail,
  };
}

/** The targets for a concurrent step: no failure, no loss, p99 ≤ 2 ms, max gap ≤ 60 ms, every digit once. */
export function concurrentStepMeetsTargets(s: ConcurrentStep): boolean {
  const r = s.report;
  if (!r) return false;
  return (
    r.failed === 0 &&
    r.timed_out === 0 &&
    r.aborted_at_deadline === 0 &&
    r.answered === s.calls &&
    r.rtp.lost <= 0 &&
    r.rtp.answered_calls_no_rtp === 0 &&
    r.rtp.jitter_dev_ms.p99 <= 2 &&
    r.rtp.max_gap_ms <= 60 &&
    (s.digits.expected === 0 || s.digits.exactlyOnce)
  );
}
