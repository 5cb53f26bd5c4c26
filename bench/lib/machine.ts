/** What a result was measured on: date, machine, Node, commit, and how busy the box was. */
import { execFileSync, spawnSync } from 'node:child_process';
import { cpus, loadavg, totalmem } from 'node:os';
import { ROOT } from './server.ts';

export interface MachineInfo {
  readonly date: string;
  readonly cores: number;
  readonly model: string;
  readonly memoryGiB: number;
  readonly kernel: string;
  readonly node: string;
  readonly sipp: string;
  readonly commit: string;
  readonly dirty: boolean;
}

function sh(cmd: string, args: string[]): string {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', cwd: ROOT, stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return '';
  }
}

export function machineInfo(): MachineInfo {
  const lscpu = sh('lscpu', []);
  const model = /^Model name:\s*(.+)$/m.exec(lscpu)?.[1]?.trim() ?? cpus()[0]?.model ?? 'unknown';
  // `sipp -v` exits 99 after printing its version.
  const sippOut = spawnSync('sipp', ['-v'], { encoding: 'utf8' });
  const sippVersion = /SIPp v[\w.-]*\w/.exec(`${sippOut.stdout ?? ''}${sippOut.stderr ?? ''}`)?.[0] ?? 'unknown';
  return {
    date: sh('date', ['-u']) || new Date().toUTCString(),
    cores: Number(sh('nproc', [])) || cpus().length,
    model,
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    kernel: sh('uname', ['-r']),
    node: process.version,
    sipp: sippVersion,
    commit: sh('git', ['rev-parse', '--short', 'HEAD']) || 'unknown',
    dirty: sh('git', ['status', '--porcelain', '--', 'src']) !== '',
  };
}

/** 1-minute load average, as `uptime` shows it. */
export function load1(): number {
  return Math.round((loadavg()[0] ?? 0) * 100) / 100;
}
