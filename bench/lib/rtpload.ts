/**
 * rtpload (../shared/tools/rtpload, C, one epoll thread): built from a copy of its source
 * under bench/out/ (the shared folder is read-only), run with --json, and its report typed.
 */
import type { ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { runToEnd } from './children.ts';

export const RTPLOAD_SOURCE = '/work/shared/tools/rtpload/rtpload.c';

/** Compiles rtpload into outDir unless an up-to-date binary is already there; returns its path. */
export async function buildRtpload(outDir: string, source = RTPLOAD_SOURCE): Promise<string> {
  mkdirSync(outDir, { recursive: true });
  const src = path.join(outDir, 'rtpload.c');
  const bin = path.join(outDir, 'rtpload');
  if (existsSync(bin) && existsSync(src) && statSync(bin).mtimeMs >= statSync(source).mtimeMs) return bin;
  copyFileSync(source, src);
  const res = await runToEnd('cc', ['-O2', '-Wall', '-o', bin, src], { timeoutMs: 120_000 });
  if (res.code !== 0) throw new Error(`building rtpload failed (${res.code}): ${res.stderr}`);
  return bin;
}

/** The fields of rtpload's --json report this benchmark uses (it prints more). */
export interface RtploadReport {
  calls: number;
  attempted: number;
  answered: number;
  failed: number;
  failed_by_status: Record<string, number>;
  timed_out: number;
  aborted_at_deadline: number;
  bye_sent_ok: number;
  bye_remote: number;
  bye_timeout: number;
  peak_active: number;
  setup_ms: { p50: number; p90: number; p99: number; max: number };
  rtp: {
    tx_packets: number;
    tx_errors: number;
    rx_packets: number;
    rx_expected: number;
    lost: number;
    loss_pct: number;
    rx_pt0: number;
    rx_pt101: number;
    rx_pt_other: number;
    jitter_dev_ms: { p50: number; p99: number; p999: number; max: number };
    max_gap_ms: number;
    p99_call_max_gap_ms: number;
    p50_call_max_gap_ms: number;
    answered_calls_no_rtp: number;
    measure_after_s: number;
    max_gap_whole_call_ms: number;
  };
  dtmf_events_sent: number;
  sip: { tx: number; rx: number; retransmissions: number };
  self_cpu: { wall_s: number; user_s: number; sys_s: number; avg_pct: number; peak_1s_pct: number; sched_fifo: boolean; loop_max_stall_ms: number; tx_frames_skipped_late: number };
  deadline_hit: boolean;
}

export interface RtploadOptions {
  readonly bin: string;
  readonly target: string;
  readonly number: string;
  readonly calls: number;
  readonly rate: number;
  readonly holdS: number;
  /** rtpload's --digits, e.g. "12:1,14:#" (seconds after answer : digit). */
  readonly digits: string;
  readonly sipPort: number;
  readonly rtpPorts: string;
  readonly measureAfterS: number;
  /** SCHED_FIFO 1 (needs root): keeps the generator from being starved by the server. */
  readonly rt: boolean;
  readonly maxSeconds: number;
  readonly onSpawn?: (child: ChildProcess) => void;
  /** Its one-line-per-second progress on stderr. */
  readonly onProgress?: (line: string) => void;
}

export interface RtploadResult {
  readonly exitCode: number | null;
  readonly timedOut: boolean;
  readonly report: RtploadReport | undefined;
  readonly stderrTail: string;
}

export async function runRtpload(o: RtploadOptions): Promise<RtploadResult> {
  const args = [
    '--target', o.target,
    '--number', o.number,
    '--calls', String(o.calls),
    '--rate', String(o.rate),
    '--hold', String(o.holdS),
    '--local-ip', '127.0.0.1',
    '--sip-port', String(o.sipPort),
    '--rtp-ports', o.rtpPorts,
    '--max-seconds', String(o.maxSeconds),
    '--json',
  ];
  if (o.digits) args.push('--digits', o.digits);
  if (o.measureAfterS > 0) args.push('--measure-after', String(o.measureAfterS));
  if (o.rt) args.push('--rt');
  let partial = '';
  const res = await runToEnd(o.bin, args, {
    timeoutMs: (o.maxSeconds + 15) * 1000,
    keepChars: 200_000,
    ...(o.onSpawn ? { onSpawn: o.onSpawn } : {}),
    onStderr: (chunk) => {
      if (!o.onProgress) return;
      partial += chunk;
      let nl: number;
      while ((nl = partial.indexOf('\n')) >= 0) {
        o.onProgress(partial.slice(0, nl));
        partial = partial.slice(nl + 1);
      }
    },
  });
  const jsonLine = res.stdout.split('\n').find((l) => l.startsWith('{'));
  let report: RtploadReport | undefined;
  if (jsonLine) {
    try {
      // Parser boundary: rtpload's own JSON, shape documented in its README.
      report = JSON.parse(jsonLine) as RtploadReport;
    } catch {
      report = undefined;
    }
  }
  return { exitCode: res.code, timedOut: res.timedOut, report, stderrTail: res.stderr.slice(-2000) };
}
