/**
 * Phase "cps": short calls (INVITE, 200, ACK, 2 s of the welcome prompt, BYE) offered by
 * SIPp at fixed rates, one step per rate, against one server that is given time to drain
 * between steps (and restarted if it does not). Above `perInstanceCps` the rate is split
 * over several SIPp processes, since one SIPp tops out near 1,000 calls/s here.
 */
import path from 'node:path';
import { rmSync } from 'node:fs';
import { CpuWatch, type CpuReport } from './cpu.ts';
import { runSipp, type SippResult } from './sipp.ts';
import type { BenchServer } from './server.ts';
import { load1 } from './machine.ts';
import { percentile } from './table.ts';

export interface CpsStepOptions {
  readonly rate: number;
  readonly seconds: number;
  readonly perInstanceCps: number;
  readonly scenario: string;
  readonly sipPort: number;
  /** SIPp instance i uses SIP port sippBasePort+i and media port sippMediaBase+10·i. */
  readonly sippBasePort: number;
  readonly sippMediaBase: number;
  readonly workDir: string;
}

export interface CpsStep {
  readonly rate: number;
  readonly seconds: number;
  readonly instances: number;
  readonly created: number;
  readonly successful: number;
  readonly failed: number;
  readonly failedBy: Record<string, number>;
  readonly retransmissions: number;
  /** successful answers / the span over which they arrived */
  readonly achievedCps: number;
  readonly inviteTo200: { p50: number | undefined; p99: number | undefined; max: number | undefined };
  readonly serverAnswered: number;
  readonly serverEnded: number;
  readonly serverWarnings: number;
  readonly serverIdleAfter: boolean;
  readonly cpu: CpuReport;
  /** machine − (server + SIPp + this process + irq/softirq): other people's work on the box. */
  readonly othersPct: number;
  readonly load1Before: number;
  readonly load1After: number;
  readonly sipp: Omit<SippResult, 'inviteTo200Ms'>[];
}

export async function runCpsStep(server: BenchServer, o: CpsStepOptions): Promise<CpsStep> {
  const instances = Math.max(1, Math.ceil(o.rate / o.perInstanceCps));
  const perRate = o.rate / instances;
  const perCalls = Math.max(1, Math.round(perRate * o.seconds));
  const before = server.counters();
  const load1Before = load1();
  const watch = new CpuWatch({ server: server.pid, bench: process.pid });
  const runs = await Promise.all(
    Array.from({ length: instances }, (_, i) => {
      const workDir = path.join(o.workDir, `rate-${o.rate}`, `sipp-${i}`);
      rmSync(workDir, { recursive: true, force: true });
      return runSipp({
        scenario: o.scenario,
        target: `127.0.0.1:${o.sipPort}`,
        service: '4008001111',
        rate: Number(perRate.toFixed(3)),
        calls: perCalls,
        localPort: o.sippBasePort + i,
        mediaPort: o.sippMediaBase + 10 * i,
        workDir,
        timeoutS: o.seconds + 40,
        onSpawn: (child) => {
          if (child.pid !== undefined) watch.add('sipp', child.pid);
        },
      });
    }),
  );
  const cpu = watch.stop();
  const idle = await server.waitIdle(15_000);
  const after = server.counters();
  const rtt = runs.flatMap((r) => r.inviteTo200Ms);
  const achievedCps = runs.reduce((sum, r) => {
    const span = r.firstAnswerMs !== undefined && r.lastAnswerMs !== undefined ? (r.lastAnswerMs - r.firstAnswerMs) / 1000 : 0;
    return sum + (span > 0 ? (r.inviteTo200Ms.length - 1) / span : 0);
  }, 0);
  const failedBy: Record<string, number> = {};
  for (const r of runs) for (const [k, v] of Object.entries(r.failedBy)) failedBy[k] = (failedBy[k] ?? 0) + v;
  const used = ['server', 'sipp', 'bench'].reduce((sum, n) => sum + (cpu.byName[n]?.avgPct ?? 0), 0) + cpu.irqPct + cpu.stealPct;
  return {
    rate: o.rate,
    seconds: o.seconds,
    instances,
    created: runs.reduce((s, r) => s + r.created, 0),
    successful: runs.reduce((s, r) => s + r.successful, 0),
    failed: runs.reduce((s, r) => s + r.failed, 0),
    failedBy,
    retransmissions: runs.reduce((s, r) => s + r.retransmissions, 0),
    achievedCps,
    inviteTo200: { p50: percentile(rtt, 50), p99: percentile(rtt, 99), max: percentile(rtt, 100) },
    serverAnswered: after.answered - before.answered,
    serverEnded: after.ended - before.ended,
    serverWarnings: after.warnings - before.warnings,
    serverIdleAfter: idle,
    cpu,
    othersPct: Math.max(0, cpu.machine.avgPct - used),
    load1Before,
    load1After: load1(),
    sipp: runs.map(({ inviteTo200Ms: _drop, ...rest }) => rest),
  };
}

/**
 * A rate is sustained when every offered call completed, SIPp ran to its end, and the
 * answers kept pace with the offer (≥ 95 %): a server that queues INVITEs can finish every
 * call of a 15 s step without failures and still not be doing the offered rate.
 */
export function cpsStepClean(s: CpsStep): boolean {
  return (
    s.failed === 0 &&
    s.successful === s.created &&
    s.created > 0 &&
    s.achievedCps >= 0.95 * s.rate &&
    s.sipp.every((r) => r.exitCode === 0 && !r.timedOut)
  );
}
