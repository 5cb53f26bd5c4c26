/**
 * The server under test: `surgeline serve` as its own process (the way a user runs it,
 * like test/e2e/server.ts), on 127.0.0.1, with its JSON log read from stdout.
 *
 * The log is filtered by substring before any JSON.parse: at 1,000 calls/s the server
 * writes thousands of lines a second and this process shares the two cores with it, so
 * only digit lines and warnings are parsed; "call answered"/"call ended" are counted.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readdirSync } from 'node:fs';
import { setPriority } from 'node:os';
import path from 'node:path';
import { track, sleep } from './children.ts';

export const ROOT = path.resolve(import.meta.dirname, '../..');

export interface ServerOptions {
  readonly sipPort: number;
  readonly httpPort: number;
  /** "low-high" */
  readonly rtpPorts: string;
  /** Prompt cache survives between runs here, so start-up does not re-render TTS. */
  readonly dataDir: string;
  readonly mediaWorkers?: number;
  readonly maxCalls?: number;
  /** Write a V8 CPU profile of every thread here when the server exits. */
  readonly cpuProfDir?: string;
  readonly startTimeoutMs?: number;
  /** PostgreSQL instead of the embedded store (DATABASE_URL). */
  readonly databaseUrl?: string;
  /** SURGELINE_ADMIN_KEY, so the bench can read call records through the API. */
  readonly adminKey?: string;
  /** More environment for the server (e.g. SURGELINE_DEMO_TRUNK). */
  readonly env?: Record<string, string>;
}

export interface DigitLog {
  /** performance.now() of this process when the line arrived. */
  readonly at: number;
  readonly callId: string;
  readonly digit: string;
}

export interface ServerCounters {
  readonly answered: number;
  readonly ended: number;
  readonly refused: number;
  readonly warnings: number;
  readonly digits: number;
}

export class BenchServer {
  answered = 0;
  ended = 0;
  refused = 0;
  warnings = 0;
  readonly digits: DigitLog[] = [];
  /** The first few warning/error lines, verbatim, for the report. */
  readonly warningSamples: string[] = [];
  readonly stderr: string[] = [];
  /** Media worker threads, from the server's "surgeline listening" line. */
  workers: number | undefined;
  private buf = '';
  private ready = false;
  private readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  private constructor(readonly child: ChildProcess, readonly opts: ServerOptions) {
    this.exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
    child.stdout!.on('data', (chunk: Buffer) => this.onStdout(chunk));
    child.stderr!.on('data', (chunk: Buffer) => {
      if (this.stderr.length < 200) this.stderr.push(chunk.toString('utf8'));
    });
  }

  get pid(): number {
    return this.child.pid!;
  }

  get active(): number {
    return this.answered - this.ended;
  }

  get isRunning(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  counters(): ServerCounters {
    return { answered: this.answered, ended: this.ended, refused: this.refused, warnings: this.warnings, digits: this.digits.length };
  }

  static async start(opts: ServerOptions): Promise<BenchServer> {
    mkdirSync(opts.dataDir, { recursive: true });
    const nodeArgs: string[] = [];
    if (opts.cpuProfDir) {
      mkdirSync(opts.cpuProfDir, { recursive: true });
      nodeArgs.push('--cpu-prof', '--cpu-prof-dir', opts.cpuProfDir);
    }
    const child = track(
      spawn(process.execPath, [...nodeArgs, '--import', 'tsx', path.join(ROOT, 'src/cli/main.ts'), 'serve'], {
        cwd: ROOT,
        env: {
          ...process.env,
          NODE_OPTIONS: '',
          SURGELINE_HOST: '127.0.0.1',
          SURGELINE_SIP_PORT: String(opts.sipPort),
          SURGELINE_HTTP_PORT: String(opts.httpPort),
          SURGELINE_RTP_PORTS: opts.rtpPorts,
          SURGELINE_DATA_DIR: opts.dataDir,
          SURGELINE_LOG_LEVEL: 'info',
          SURGELINE_MAX_CALLS: String(opts.maxCalls ?? 5000),
          SURGELINE_DEMO_PASSWORD: 'bench-only',
          ...(opts.mediaWorkers !== undefined ? { SURGELINE_MEDIA_WORKERS: String(opts.mediaWorkers) } : {}),
          ...(opts.databaseUrl !== undefined ? { DATABASE_URL: opts.databaseUrl } : {}),
          ...(opts.adminKey !== undefined ? { SURGELINE_ADMIN_KEY: opts.adminKey } : {}),
          ...opts.env,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      }),
    );
    const server = new BenchServer(child, opts);
    const deadline = performance.now() + (opts.startTimeoutMs ?? 60_000);
    while (!server.ready) {
      if (!server.isRunning) throw new Error(`server exited during start-up: ${server.stderr.join('').slice(-2000)}`);
      if (performance.now() > deadline) {
        await server.stop();
        throw new Error(`server not listening after ${opts.startTimeoutMs ?? 60_000} ms: ${server.stderr.join('').slice(-2000)}`);
      }
      await sleep(50);
    }
    return server;
  }

  private onStdout(chunk: Buffer): void {
    this.buf += chunk.toString('utf8');
    let start = 0;
    let nl: number;
    while ((nl = this.buf.indexOf('\n', start)) >= 0) {
      this.onLine(this.buf.slice(start, nl));
      start = nl + 1;
    }
    this.buf = this.buf.slice(start);
  }

  private onLine(line: string): void {
    if (line.includes('"msg":"call answered"')) this.answered++;
    else if (line.includes('"msg":"call ended"')) this.ended++;
    else if (line.includes('"msg":"digit"')) {
      try {
        const l = JSON.parse(line) as { callId?: unknown; digit?: unknown };
        if (typeof l.callId === 'string' && typeof l.digit === 'string') this.digits.push({ at: performance.now(), callId: l.callId, digit: l.digit });
      } catch {
        this.noteWarning(line);
      }
    } else if (line.includes('"msg":"INVITE refused')) this.refused++;
    else if (line.includes('"msg":"surgeline listening"')) {
      try {
        const w = (JSON.parse(line) as { workers?: unknown }).workers;
        if (typeof w === 'number') this.workers = w;
      } catch {
        // the line still means the server is up
      }
      this.ready = true;
    }
    if (/"level":(4|5|6)0\b/.test(line)) this.noteWarning(line);
  }

  private noteWarning(line: string): void {
    this.warnings++;
    if (this.warningSamples.length < 20) this.warningSamples.push(line.slice(0, 400));
  }

  /**
   * Experiment: gives every thread but the main one (media workers, V8 helpers) this nice
   * value, the way MediaEngine's workerNiceness option would; the app does not expose it.
   * Returns how many threads were changed.
   */
  reniceNonMainThreads(nice: number): number {
    let n = 0;
    for (const tid of readdirSync(`/proc/${this.pid}/task`).map(Number)) {
      if (tid === this.pid) continue;
      try {
        setPriority(tid, nice);
        n++;
      } catch {
        // thread gone, or no permission
      }
    }
    return n;
  }

  /** Waits until every answered call has ended (the server logged "call ended"). */
  async waitIdle(timeoutMs: number): Promise<boolean> {
    const deadline = performance.now() + timeoutMs;
    while (this.active > 0 && performance.now() < deadline && this.isRunning) await sleep(100);
    return this.active === 0;
  }

  /** SIGTERM (the server closes and V8 writes its profile), SIGKILL after graceMs. */
  async stop(graceMs = 15_000): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    if (this.isRunning) this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    const res = await this.exited;
    clearTimeout(timer);
    return res;
  }
}
