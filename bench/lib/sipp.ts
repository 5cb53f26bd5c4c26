/**
 * One SIPp (3.6.1) run of a UAC scenario at a fixed rate for a fixed number of calls,
 * and what it saw: calls, failures by cause, retransmissions, and every INVITE→200 time
 * (its -trace_rtt file, 1 ms resolution).
 */
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { runToEnd } from './children.ts';

export interface SippRunOptions {
  readonly scenario: string;
  /** host:port of the server */
  readonly target: string;
  readonly service: string;
  readonly rate: number;
  readonly calls: number;
  /** SIPp's own SIP port and its (unread) media port: each instance needs its own. */
  readonly localPort: number;
  readonly mediaPort: number;
  /** Stat, rtt and error files land here. */
  readonly workDir: string;
  /** SIPp's global timeout; the process is killed a little after. */
  readonly timeoutS: number;
  /** A call whose next expected message does not arrive within this fails (default 10 s). */
  readonly recvTimeoutMs?: number;
  readonly onSpawn?: (child: ChildProcess) => void;
}

export interface SippResult {
  readonly exitCode: number | null;
  readonly timedOut: boolean;
  readonly wallMs: number;
  readonly created: number;
  readonly successful: number;
  readonly failed: number;
  /** Non-zero Failed*(C) counters, e.g. FailedTimeoutOnRecv. */
  readonly failedBy: Record<string, number>;
  readonly retransmissions: number;
  readonly deadCallMsgs: number;
  readonly outOfCallMsgs: number;
  readonly watchdogMajor: number;
  readonly watchdogMinor: number;
  /** INVITE sent → 200 received, ms, one per answered call. */
  readonly inviteTo200Ms: number[];
  /** When the first and last 200 arrived (ms since SIPp started): the span the answers were spread over. */
  readonly firstAnswerMs: number | undefined;
  readonly lastAnswerMs: number | undefined;
  readonly stderrTail: string;
}

export async function runSipp(o: SippRunOptions): Promise<SippResult> {
  mkdirSync(o.workDir, { recursive: true });
  const stat = path.join(o.workDir, 'stat.csv');
  const args = [
    '-sf', o.scenario,
    '-s', o.service,
    o.target,
    '-i', '127.0.0.1',
    '-mi', '127.0.0.1',
    '-p', String(o.localPort),
    '-mp', String(o.mediaPort),
    '-t', 'u1',
    '-r', String(o.rate),
    '-rp', '1000',
    '-m', String(o.calls),
    '-nostdin',
    '-trace_stat', '-stf', stat, '-fd', '1',
    '-trace_rtt', '-rtt_freq', '50',
    '-trace_err', '-error_file', path.join(o.workDir, 'errors.log'),
    '-recv_timeout', String(o.recvTimeoutMs ?? 10_000),
    '-timeout', `${o.timeoutS}s`,
    // Both loops default to 1,000 per cycle: at 500+ calls/s per instance that caps reading.
    '-max_recv_loops', '5000',
    '-max_sched_loops', '5000',
  ];
  const res = await runToEnd('sipp', args, {
    cwd: o.workDir,
    timeoutMs: (o.timeoutS + 10) * 1000,
    keepChars: 20_000,
    ...(o.onSpawn ? { onSpawn: o.onSpawn } : {}),
  });
  const counters = readLastStat(stat);
  const rtt = readRtt(o.workDir);
  const c = (name: string): number => counters.get(name) ?? 0;
  const failedBy: Record<string, number> = {};
  for (const [k, v] of counters) {
    if (k.startsWith('Failed') && k !== 'FailedCall(C)' && k.endsWith('(C)') && v > 0) failedBy[k.slice(6, -3)] = v;
  }
  return {
    exitCode: res.code,
    timedOut: res.timedOut,
    wallMs: res.wallMs,
    created: c('OutgoingCall(C)'),
    successful: c('SuccessfulCall(C)'),
    failed: c('FailedCall(C)'),
    failedBy,
    retransmissions: c('Retransmissions(C)'),
    deadCallMsgs: c('DeadCallMsgs(C)'),
    outOfCallMsgs: c('OutOfCallMsgs(C)'),
    watchdogMajor: c('WatchdogMajor(C)'),
    watchdogMinor: c('WatchdogMinor(C)'),
    inviteTo200Ms: rtt.ms,
    firstAnswerMs: rtt.first,
    lastAnswerMs: rtt.last,
    stderrTail: (res.stderr + res.stdout).slice(-1500),
  };
}

/** The cumulative counters of the last line of SIPp's -trace_stat CSV (';'-separated, header first). */
export function readLastStat(file: string): Map<string, number> {
  const out = new Map<string, number>();
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return out;
  }
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  if (lines.length < 2) return out;
  const header = lines[0]!.split(';');
  const last = lines[lines.length - 1]!.split(';');
  header.forEach((name, i) => {
    const v = Number((last[i] ?? '').trim());
    if (name && Number.isFinite(v)) out.set(name.trim(), v);
  });
  return out;
}

/** Every rtd 1 sample from `<scenario>_<pid>_rtt.csv` ("Date_ms;response_time_ms;rtd_no"). */
export function readRtt(dir: string): { ms: number[]; first: number | undefined; last: number | undefined } {
  const ms: number[] = [];
  let first: number | undefined;
  let last: number | undefined;
  for (const f of readdirSync(dir)) {
    if (!f.endsWith('_rtt.csv')) continue;
    for (const line of readFileSync(path.join(dir, f), 'utf8').split('\n')) {
      const [date, rt, rtd] = line.split(';');
      const at = Number(date);
      const v = Number(rt);
      if (rtd?.trim() !== '1' || rt === undefined || rt === '' || !Number.isFinite(v) || !Number.isFinite(at)) continue;
      ms.push(v);
      first = first === undefined ? at : Math.min(first, at);
      last = last === undefined ? at : Math.max(last, at);
    }
  }
  return { ms, first, last };
}
