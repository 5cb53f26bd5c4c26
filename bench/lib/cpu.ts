/**
 * CPU use of given processes (all their threads) and of the whole machine, from /proc,
 * sampled once a second. Reported in % of one core, so 200 % is both cores of a 2-core box.
 */
import { readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';

let clkTck: number | undefined;

function ticksPerSecond(): number {
  if (clkTck === undefined) {
    try {
      clkTck = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clkTck = 100;
    }
  }
  return clkTck;
}

/** utime + stime of a process (every thread, proc(5) fields 14 and 15), in seconds; undefined once it is gone. */
export function processCpuSeconds(pid: number): number | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name (field 2) may hold spaces and parentheses: split after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state), so utime (14) and stime (15) are at 11 and 12.
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  return (utime + stime) / ticksPerSecond();
}

/**
 * Busy, interrupt and total CPU seconds of the whole machine (all cores), from the first
 * line of /proc/stat. Loopback delivery runs in softirq context and is booked there, not
 * to the sending or receiving process: at high packet rates that is our own traffic.
 */
export function machineCpuSeconds(): { busy: number; irq: number; steal: number; total: number } {
  const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!;
  const v = line.trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal (guest is already inside user)
  const total = v.slice(0, 8).reduce((a, b) => a + b, 0);
  const idle = (v[3] ?? 0) + (v[4] ?? 0);
  const irq = (v[5] ?? 0) + (v[6] ?? 0);
  // steal: this VM's vCPUs were runnable but the hypervisor ran something else.
  const steal = v[7] ?? 0;
  return { busy: (total - idle) / ticksPerSecond(), irq: irq / ticksPerSecond(), steal: steal / ticksPerSecond(), total: total / ticksPerSecond() };
}

/**
 * Waits (up to maxMs) for a second in which the machine, apart from `ownPids` (our idle
 * server), is busy less than thresholdPct of one core, so a step does not start on top of
 * someone else's burst. Returns the last second's busy % (without ownPids).
 */
export async function waitForQuiet(thresholdPct: number, maxMs: number, ownPids: readonly number[] = []): Promise<number> {
  const deadline = performance.now() + maxMs;
  const own = (): number => ownPids.reduce((sum, p) => sum + (processCpuSeconds(p) ?? 0), 0);
  let pct = 0;
  do {
    const a = machineCpuSeconds();
    const ownA = own();
    const t = performance.now();
    await new Promise((r) => setTimeout(r, 1000));
    const seconds = (performance.now() - t) / 1000;
    pct = (100 * (machineCpuSeconds().busy - a.busy - (own() - ownA))) / seconds;
    if (pct < thresholdPct) return pct;
  } while (performance.now() < deadline);
  return pct;
}

export interface CpuFigures {
  /** Average over the watch, % of one core. */
  readonly avgPct: number;
  /** Highest 1-second sample, % of one core. */
  readonly peakPct: number;
}

export interface CpuReport {
  readonly seconds: number;
  readonly byName: Record<string, CpuFigures>;
  /** Whole machine, % of one core (nproc × 100 % is saturated). */
  readonly machine: CpuFigures;
  /** Of which irq + softirq (mostly loopback packet delivery), % of one core. */
  readonly irqPct: number;
  /** Of which stolen by the hypervisor, % of one core. */
  readonly stealPct: number;
}

/**
 * Watches named processes from now until stop(). Processes can be added later (a SIPp
 * started after the watch); a process that exits keeps the CPU it had used by its last sample.
 */
export class CpuWatch {
  private readonly startAt = performance.now();
  private readonly first = new Map<string, number>();
  private readonly last = new Map<string, number>();
  private readonly prev = new Map<string, number>();
  private readonly peak = new Map<string, number>();
  private readonly pids = new Map<string, number[]>();
  private readonly machine0 = machineCpuSeconds();
  private machinePrev = this.machine0;
  private machinePeak = 0;
  private lastTick = this.startAt;
  private readonly timer: NodeJS.Timeout;

  constructor(pids: Record<string, number | readonly number[]>, periodMs = 1000) {
    for (const [name, p] of Object.entries(pids)) this.add(name, p);
    this.timer = setInterval(() => this.sample(), periodMs);
  }

  add(name: string, pid: number | readonly number[]): void {
    const list = typeof pid === 'number' ? [pid] : [...pid];
    const known = this.pids.get(name) ?? [];
    for (const p of list) {
      const s = processCpuSeconds(p);
      if (s === undefined) continue;
      known.push(p);
      const key = `${name}\u0000${p}`;
      this.first.set(key, s);
      this.last.set(key, s);
      this.prev.set(key, s);
    }
    this.pids.set(name, known);
  }

  private sample(): void {
    const now = performance.now();
    const dt = (now - this.lastTick) / 1000;
    this.lastTick = now;
    if (dt <= 0) return;
    for (const [name, list] of this.pids) {
      let delta = 0;
      for (const p of list) {
        const key = `${name}\u0000${p}`;
        const s = processCpuSeconds(p);
        if (s === undefined) continue;
        delta += s - (this.prev.get(key) ?? s);
        this.prev.set(key, s);
        this.last.set(key, s);
      }
      const pct = (100 * delta) / dt;
      if (pct > (this.peak.get(name) ?? 0)) this.peak.set(name, pct);
    }
    const m = machineCpuSeconds();
    const mPct = (100 * (m.busy - this.machinePrev.busy)) / dt;
    if (mPct > this.machinePeak) this.machinePeak = mPct;
    this.machinePrev = m;
  }

  stop(): CpuReport {
    this.sample();
    clearInterval(this.timer);
    const seconds = (performance.now() - this.startAt) / 1000;
    const byName: Record<string, CpuFigures> = {};
    for (const [name, list] of this.pids) {
      let used = 0;
      for (const p of list) {
        const key = `${name}\u0000${p}`;
        used += (this.last.get(key) ?? 0) - (this.first.get(key) ?? 0);
      }
      byName[name] = { avgPct: seconds > 0 ? (100 * used) / seconds : 0, peakPct: this.peak.get(name) ?? 0 };
    }
    const m = machineCpuSeconds();
    return {
      seconds,
      byName,
      machine: { avgPct: seconds > 0 ? (100 * (m.busy - this.machine0.busy)) / seconds : 0, peakPct: this.machinePeak },
      irqPct: seconds > 0 ? (100 * (m.irq - this.machine0.irq)) / seconds : 0,
      stealPct: seconds > 0 ? (100 * (m.steal - this.machine0.steal)) / seconds : 0,
    };
  }
}
