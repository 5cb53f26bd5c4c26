/**
 * `npm run bench:ivr`: calls per second through the real IVR with the store writing every
 * call's record, on the embedded store (PGlite) and on PostgreSQL.
 *
 *   npm run bench:ivr -- [--quick] [--backends pglite,postgres] [--rates 50,100,200,400]
 *       [--step-seconds 15] [--record | --no-record] [--profile]
 *
 * Each call is SIPp's short call to E購網 (4008001111): the INVITE is routed by number,
 * the line's published Double-11 flow starts (its welcome prompt plays for 2 s), the
 * caller hangs up; the server writes the call record when the call starts and its journey
 * when it ends. After each step the bench reads the records back through the API and
 * counts those of the step, so a rate only counts as sustained if no record was lost.
 */
import { parseArgs } from 'node:util';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { installExitHandlers, killAll, sleep } from './lib/children.ts';
import { BenchServer, ROOT } from './lib/server.ts';
import { runCpsStep, cpsStepClean, type CpsStep } from './lib/cps-phase.ts';
import { load1, machineInfo } from './lib/machine.ts';
import { cpsColumns, cpsRow } from './lib/report.ts';
import { markdownTable, plainTable, type Cell, type Column } from './lib/table.ts';
import { updateSection } from './lib/results-md.ts';
import { waitForQuiet } from './lib/cpu.ts';
import { formatSummary, profileFiles, summariseProfile } from './lib/cpuprofile.ts';
import { TsxSourceMaps } from './lib/tsx-sourcemap.ts';

const { values: flags } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    backends: { type: 'string', default: 'pglite,postgres' },
    rates: { type: 'string' },
    'step-seconds': { type: 'string' },
    record: { type: 'boolean' },
    'database-url': { type: 'string', default: process.env['TEST_DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test' },
    'max-minutes': { type: 'string', default: '15' },
    profile: { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
  allowNegative: true,
});

if (flags.help) {
  process.stdout.write('usage: npm run bench:ivr -- [--quick] [--backends pglite,postgres] [--rates 50,100,200,400] [--step-seconds 15] [--record|--no-record] [--profile]\n');
  process.exit(0);
}

const quick = flags.quick;
const list = (s: string): number[] => s.split(',').map((x) => Number(x.trim())).filter((n) => Number.isFinite(n) && n > 0);
const rates = list(flags.rates ?? (quick ? '50,200' : '100,200,400,600,800'));
const stepSeconds = Number(flags['step-seconds'] ?? (quick ? 5 : 15));
const backends = flags.backends.split(',').map((b) => b.trim()) as ('pglite' | 'postgres')[];
// A profiled run's figures are distorted: never recorded unless asked for.
const record = flags.record ?? (!quick && !flags.profile);
const ADMIN_KEY = 'bench-ivr-admin-key-0123456789abcdef';
const OUT = path.join(ROOT, 'bench/out');
const RUN_ID = new Date().toISOString().replace(/[:.]/g, '-');
const PORTS = { sip: 7260, http: 7263, rtp: '2000-11999', sippBase: 7270, sippMediaBase: 7300 };
const BENCH_DB = 'surgeline_bench_ivr';

const log = (line: string): void => void process.stderr.write(`[bench:ivr ${new Date().toISOString().slice(11, 19)}] ${line}\n`);
installExitHandlers(() => log('interrupted: stopping every process this run started'));
const hardStop = setTimeout(() => {
  log(`run exceeded --max-minutes ${flags['max-minutes']}: stopping`);
  killAll();
  process.exit(3);
}, Number(flags['max-minutes']) * 60_000);
hardStop.unref();

interface IvrStep {
  backend: string;
  step: CpsStep;
  /** Call records of the step's calls read back through GET /api/v1/calls. */
  records: number;
  recordsEnded: number;
}

/** A fresh database on the PostgreSQL server, so every run starts from the same empty store. */
async function freshDatabase(adminUrl: string): Promise<string> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(`DROP DATABASE IF EXISTS ${BENCH_DB} WITH (FORCE)`);
    await client.query(`CREATE DATABASE ${BENCH_DB}`);
  } finally {
    await client.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${BENCH_DB}`;
  return url.toString();
}

interface CallRow {
  id: string;
  startedAt: string;
  endedAt: string | null;
  dialled: string;
}

/**
 * Every call record that started in [from, to). The API pages newest first by start time;
 * calls a few per millisecond apart share start times, so instead of a cursor the span is
 * read in windows (since inclusive, until exclusive) small enough to fit one page, halved
 * again whenever a window comes back full.
 */
async function recordsBetween(from: number, to: number): Promise<CallRow[]> {
  const rows: CallRow[] = [];
  const read = async (a: number, b: number): Promise<void> => {
    const url = `http://127.0.0.1:${PORTS.http}/api/v1/calls?since=${new Date(a).toISOString()}&until=${new Date(b).toISOString()}&limit=500`;
    const res = await fetch(url, { headers: { authorization: `Bearer ${ADMIN_KEY}` } });
    if (!res.ok) throw new Error(`GET /api/v1/calls: ${res.status} ${await res.text()}`);
    const page = (await res.json()) as CallRow[];
    if (page.length < 500 || b - a <= 1) {
      rows.push(...page);
      return;
    }
    const mid = a + Math.floor((b - a) / 2);
    await read(a, mid);
    await read(mid, b);
  };
  for (let a = from; a < to; a += 500) await read(a, Math.min(to, a + 500));
  return rows;
}

async function runBackend(backend: 'pglite' | 'postgres'): Promise<IvrStep[]> {
  const dataDir = path.join(OUT, `ivr-data-${backend}`);
  // The store starts empty every run; the prompt cache next to it is kept (TTS is not what is measured).
  rmSync(path.join(dataDir, 'pgdata'), { recursive: true, force: true });
  const databaseUrl = backend === 'postgres' ? await freshDatabase(flags['database-url']) : undefined;
  const server = await BenchServer.start({
    sipPort: PORTS.sip,
    httpPort: PORTS.http,
    rtpPorts: PORTS.rtp,
    dataDir,
    adminKey: ADMIN_KEY,
    ...(databaseUrl ? { databaseUrl } : {}),
    ...(flags.profile ? { cpuProfDir: profDir(backend) } : {}),
  });
  log(`${backend}: server pid ${server.pid}, ${server.workers ?? '?'} media workers`);
  const steps: IvrStep[] = [];
  try {
    const common = {
      perInstanceCps: 500,
      scenario: path.join(ROOT, 'bench/scenarios/short-call.xml'),
      sipPort: PORTS.sip,
      sippBasePort: PORTS.sippBase,
      sippMediaBase: PORTS.sippMediaBase,
      workDir: path.join(OUT, 'sipp-ivr', RUN_ID, backend),
    };
    // Warm-up: the flow's prompts are rendered on first use; that is not what is measured.
    await runCpsStep(server, { ...common, rate: 10, seconds: 2 });
    for (const rate of rates) {
      if (!(await server.waitIdle(10_000))) log(`${backend}: calls still up before ${rate}/s`);
      await waitForQuiet(30, quick ? 3000 : 10_000, [server.pid]);
      const from = Date.now();
      await sleep(5);
      log(`${backend}: ${rate} calls/s for ${stepSeconds} s (load ${load1()})`);
      const step = await runCpsStep(server, { ...common, rate, seconds: stepSeconds });
      await server.waitIdle(15_000);
      // The end of a call is written when the session ends; give the last writes a moment.
      await sleep(1000);
      const rows = (await recordsBetween(from, Date.now())).filter((r) => r.dialled === '4008001111');
      const ended = rows.filter((r) => r.endedAt !== null).length;
      steps.push({ backend, step, records: rows.length, recordsEnded: ended });
      log(`${backend}: ${rate}/s → ${step.successful}/${step.created} ok, ${step.failed} failed; records ${rows.length} (${ended} ended)`);
      if (step.created > 0 && step.failed / step.created > 0.01) {
        log(`${backend}: more than 1 % failed: stopping the ramp here`);
        break;
      }
    }
  } finally {
    await server.stop();
    if (flags.profile) reportProfile(backend);
  }
  return steps;
}

const profDir = (backend: string): string => path.join(OUT, 'prof', `ivr-${RUN_ID}-${backend}`);

/** Self time per function of the server's busy threads (the whole run, warm-up included). */
function reportProfile(backend: string): void {
  const dir = profDir(backend);
  const maps = new TsxSourceMaps();
  const summaries = profileFiles(dir).map((f) => summariseProfile(f, 25, maps));
  writeFileSync(path.join(dir, 'summary.txt'), `${summaries.map(formatSummary).join('\n\n')}\n`);
  const busy = summaries.filter((s) => s.busyMs >= 0.05 * s.wallMs).map(formatSummary).join('\n\n');
  process.stdout.write(`\nCPU profile of the ${backend} server:\n${busy}\n(every thread: ${path.relative(ROOT, dir)}/summary.txt)\n`);
}

const columns: Column[] = [{ title: 'store', left: true }, ...cpsColumns.slice(0, 10), { title: 'records' }, { title: 'ended' }, { title: 'sustained, none lost', left: true }];

function row(s: IvrStep): Cell[] {
  const base = cpsRow(s.step).slice(0, 10);
  const lost = s.step.successful - s.recordsEnded;
  const ok = cpsStepClean(s.step) && lost <= 0;
  return [s.backend, ...base, s.records, s.recordsEnded, ok ? 'yes' : lost > 0 ? `NO (${lost} records missing)` : 'NO'];
}

async function main(): Promise<void> {
  mkdirSync(OUT, { recursive: true });
  const machine = machineInfo();
  log(`${machine.cores} × ${machine.model}, Node ${machine.node}, ${machine.sipp}, commit ${machine.commit}${machine.dirty ? '+dirty src' : ''}; load ${load1()}`);
  const all: IvrStep[] = [];
  for (const backend of backends) all.push(...(await runBackend(backend)));
  process.stdout.write(`\nIVR calls per second with call records — SIPp short calls to E購網 (Double-11 flow), ${stepSeconds} s per step:\n`);
  process.stdout.write(`${plainTable(columns, all.map(row))}\n`);
  const json = JSON.stringify({ runId: RUN_ID, machine, rates, stepSeconds, steps: all }, null, 2);
  writeFileSync(path.join(OUT, `ivr-${RUN_ID}.json`), json);
  if (record) {
    const best = (b: string): string => {
      const ok = all.filter((s) => s.backend === b && cpsStepClean(s.step) && s.step.successful - s.recordsEnded <= 0).map((s) => s.step.rate);
      return ok.length ? `${Math.max(...ok)} calls/s` : 'none';
    };
    const block = [
      `Run ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC on ${machine.cores} × ${machine.model}, Node ${machine.node}, commit ${machine.commit}${machine.dirty ? '+dirty' : ''}; \`npm run bench:ivr -- ${process.argv.slice(2).join(' ')}\``,
      '',
      markdownTable(columns, all.map(row)),
      '',
      `Highest rate sustained with every call's record written: ${backends.map((b) => `${b} ${best(b)}`).join(', ')}.`,
    ].join('\n');
    updateSection(path.join(ROOT, 'bench/RESULTS.md'), 'bench:ivr', '## IVR calls per second with call records (`npm run bench:ivr`)', block);
    log('bench/RESULTS.md updated');
  }
}

main()
  .then(() => {
    clearTimeout(hardStop);
    killAll();
    process.exit(0);
  })
  .catch((err: unknown) => {
    log(`failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    killAll();
    process.exit(1);
  });
