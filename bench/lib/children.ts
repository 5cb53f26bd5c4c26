/**
 * Every process the benchmark starts goes through here, so that a timeout, an error or
 * Ctrl-C ends exactly those processes (by their PID) and nothing else on the machine.
 */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';

const live = new Set<ChildProcess>();

/** Registers a child so killAll() ends it; forgets it once it exits. */
export function track<T extends ChildProcess>(child: T): T {
  live.add(child);
  child.once('exit', () => live.delete(child));
  return child;
}

/** SIGKILLs every tracked child still running, one by one by its own PID. */
export function killAll(): void {
  for (const child of live) {
    if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
      try {
        process.kill(child.pid, 'SIGKILL');
      } catch {
        // already gone between the check and the kill
      }
    }
  }
  live.clear();
}

let handlersInstalled = false;

/** On SIGINT/SIGTERM or an uncaught error: kill our children, then exit. */
export function installExitHandlers(onSignal?: () => void): void {
  if (handlersInstalled) return;
  handlersInstalled = true;
  const bail = (code: number) => (): void => {
    onSignal?.();
    killAll();
    process.exit(code);
  };
  process.once('SIGINT', bail(130));
  process.once('SIGTERM', bail(143));
  process.once('exit', () => killAll());
}

export interface Finished {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly timedOut: boolean;
  readonly wallMs: number;
}

export interface RunOptions {
  readonly cwd?: string;
  readonly env?: NodeJS.ProcessEnv;
  /** SIGTERM after this, SIGKILL 3 s later. */
  readonly timeoutMs: number;
  /** Called once the child has a PID (for CPU sampling). */
  readonly onSpawn?: (child: ChildProcess) => void;
  /** Called with each stderr chunk (progress lines). */
  readonly onStderr?: (chunk: string) => void;
  /** Keep at most this many characters of stdout/stderr (the tail). */
  readonly keepChars?: number;
}

/** Runs a command to completion under a hard timeout. Never rejects for a non-zero exit. */
export function runToEnd(cmd: string, args: readonly string[], opts: RunOptions): Promise<Finished> {
  const keep = opts.keepChars ?? 1_000_000;
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const spawnOpts: SpawnOptions = { cwd: opts.cwd, env: opts.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] };
    const child = track(spawn(cmd, [...args], spawnOpts));
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout!.on('data', (d: Buffer) => {
      stdout += d.toString('utf8');
      if (stdout.length > 2 * keep) stdout = stdout.slice(-keep);
    });
    child.stderr!.on('data', (d: Buffer) => {
      const s = d.toString('utf8');
      opts.onStderr?.(s);
      stderr += s;
      if (stderr.length > 2 * keep) stderr = stderr.slice(-keep);
    });
    let killTimer: NodeJS.Timeout | undefined;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGTERM');
      killTimer = setTimeout(() => child.kill('SIGKILL'), 3000);
    }, opts.timeoutMs);
    child.once('error', (err) => {
      clearTimeout(timer);
      clearTimeout(killTimer);
      reject(err);
    });
    child.once('spawn', () => opts.onSpawn?.(child));
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      clearTimeout(killTimer);
      resolve({ code, signal, stdout: stdout.slice(-keep), stderr: stderr.slice(-keep), timedOut, wallMs: performance.now() - started });
    });
  });
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
