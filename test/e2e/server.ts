/**
 * Test helper: runs `surgeline serve` as a child process on given ports, the way a user
 * runs it, and collects its JSON log lines.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freshPgliteDataDir } from '../store/pglite-template.ts';

export interface LogLine {
  msg: string;
  [key: string]: unknown;
}

export interface RunningServer {
  readonly child: ChildProcess;
  readonly sipPort: number;
  readonly logs: LogLine[];
  readonly stderr: string[];
  /** The data dir (SURGELINE_DATA_DIR); pass it to a second startServer to restart on the same store. */
  readonly dataDir: string;
  waitFor(pred: (l: LogLine) => boolean, ms?: number): Promise<LogLine>;
  stop(): Promise<void>;
  /** kill -9, keeping the data dir for a restart. */
  kill9(): Promise<void>;
}

const ROOT = path.resolve(import.meta.dirname, '../..');

/** The admin key the spawned server imports (SURGELINE_ADMIN_KEY), for API look-ups. */
export const E2E_ADMIN_KEY = 'e2e-admin-key-0123456789abcdef';

/**
 * `firstStart`: an empty data dir, so the server runs initdb and every migration itself, as on
 * a user's first `npm start`. Otherwise (and unless DATABASE_URL points elsewhere) the data dir
 * starts with a copy of the migrated template (test/store/pglite-template.ts), saving the
 * seconds of initdb; the server still checks migrations and seeds the demo itself.
 */
export async function startServer(opts: { sipPort: number; rtpPorts: string; env?: Record<string, string>; firstStart?: boolean; dataDir?: string }): Promise<RunningServer> {
  const dataDir =
    opts.dataDir ?? (opts.firstStart || opts.env?.['DATABASE_URL'] ? mkdtempSync(path.join(tmpdir(), 'surgeline-e2e-')) : await freshPgliteDataDir('surgeline-e2e-'));
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src/cli/main.ts'), 'serve'], {
    cwd: ROOT,
    env: {
      ...process.env,
      SURGELINE_SIP_PORT: String(opts.sipPort),
      SURGELINE_RTP_PORTS: opts.rtpPorts,
      SURGELINE_DATA_DIR: dataDir,
      SURGELINE_HTTP_PORT: String(opts.sipPort + 3000),
      SURGELINE_LOG_LEVEL: 'info',
      SURGELINE_ADMIN_KEY: E2E_ADMIN_KEY,
      ...opts.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: LogLine[] = [];
  const stderr: string[] = [];
  const waiters = new Set<() => void>();
  let buf = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    buf += chunk.toString('utf8');
    let nl;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      try {
        logs.push(JSON.parse(line) as LogLine);
      } catch {
        stderr.push(line);
      }
    }
    for (const w of waiters) w();
  });
  child.stderr!.on('data', (chunk: Buffer) => stderr.push(chunk.toString('utf8')));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  const waitFor = (pred: (l: LogLine) => boolean, ms = 20_000): Promise<LogLine> =>
    new Promise((resolve, reject) => {
      const check = (): boolean => {
        const hit = logs.find(pred);
        if (hit) {
          waiters.delete(onData);
          clearTimeout(timer);
          resolve(hit);
          return true;
        }
        return false;
      };
      const onData = (): void => void check();
      const timer = setTimeout(() => {
        waiters.delete(onData);
        reject(new Error(`timed out waiting for a log line; stderr: ${stderr.join('').slice(-2000)}`));
      }, ms);
      waiters.add(onData);
      check();
    });

  const server: RunningServer = {
    child,
    sipPort: opts.sipPort,
    logs,
    stderr,
    dataDir,
    waitFor,
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
      rmSync(dataDir, { recursive: true, force: true });
    },
    async kill9() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
  try {
    await waitFor((l) => l.msg === 'surgeline listening', 60_000);
  } catch (err) {
    await server.stop();
    throw err;
  }
  return server;
}

/** A finished call's record from the server's API (GET /api/v1/calls/{SIP Call-ID}), once its outcome is written. */
export async function endedCallRecord(server: RunningServer, sipCallId: string, ms = 10_000): Promise<Record<string, unknown>> {
  const url = `http://127.0.0.1:${server.sipPort + 3000}/api/v1/calls/${encodeURIComponent(sipCallId)}`;
  let last = '';
  for (const until = Date.now() + ms; Date.now() < until; await new Promise((r) => setTimeout(r, 100))) {
    const res = await fetch(url, { headers: { authorization: `Bearer ${E2E_ADMIN_KEY}` } });
    last = `${res.status} ${await res.text()}`;
    if (res.status !== 200) continue;
    const rec = JSON.parse(last.slice(4)) as Record<string, unknown>;
    if (rec.outcome !== null && rec.outcome !== undefined) return rec;
  }
  throw new Error(`no ended call record for ${sipCallId}: last answer ${last.slice(0, 500)}`);
}

/** Runs a command to completion; resolves with its exit code and output. */
export function run(cmd: string, args: string[], opts: { cwd?: string; timeoutMs?: number; input?: string } = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd: opts.cwd, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 60_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    if (opts.input !== undefined) child.stdin.end(opts.input);
    else child.stdin.end();
  });
}
