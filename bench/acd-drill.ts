/**
 * `npm run bench:drill`: issue 4's live drill. A 10× step surge against the demo E購網 line,
 * with SIPp callers and SIPp agents on loopback, through `surgeline serve` as a user runs it.
 *
 *   npm run bench:drill -- [--quick] [--agents 20] [--base 0.25] [--multiple 10]
 *       [--before 60] [--surge 60] [--after 60] [--aht 20] [--callback-share 0.15]
 *       [--callback-after 20] [--drain 600] [--record]
 *
 * The drill agents (2001…) are created through the API (skills, group egou); each has its own
 * SIPp phone that registers by digest and answers: ring 300 ms, talk an exponential time (mean --aht), hang up. Callers (SIPp, 09<pid><n>)
 * dial 4008001111, press 0 during the welcome and wait in egou-orders until the agent hangs
 * up; a share of them still waiting after --callback-after seconds presses # for a keep-place
 * callback. The rate is --base calls/s, stepped to --multiple × base for --surge seconds.
 * The demo trunk (SURGELINE_DEMO_TRUNK) points at a third SIPp playing the carrier, so the
 * callback worker's calls (agent first, then the caller) complete. Afterwards the bench reads
 * the CDRs (GET /queue-calls), the callbacks and SIPp's counters and reports:
 * - calls dropped by the system (target 0): SIPp failures + calls that never reached the queue
 *   + visits left without an outcome + abandoned visits (nobody hangs up while waiting here);
 * - EWT mean absolute error: |estimate told at entry − wait that followed| over answered
 *   calls, as a share of their mean wait (target ≤ 20 %), overall and per phase;
 * - callbacks created / completed / still open after the drain; service level (30 s), ASA.
 * Only 127.0.0.1; every process it starts is stopped by PID (bench/lib/children.ts).
 */
import { parseArgs } from 'node:util';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { installExitHandlers, killAll, runToEnd, sleep, track } from './lib/children.ts';
import { spawn } from 'node:child_process';
import { BenchServer, ROOT } from './lib/server.ts';
import { readLastStat } from './lib/sipp.ts';
import { load1, machineInfo } from './lib/machine.ts';
import { fmt, markdownTable, plainTable, type Cell, type Column } from './lib/table.ts';
import { updateSection } from './lib/results-md.ts';

const { values: flags } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    agents: { type: 'string' },
    base: { type: 'string' },
    multiple: { type: 'string', default: '10' },
    before: { type: 'string' },
    surge: { type: 'string' },
    after: { type: 'string' },
    aht: { type: 'string', default: '20' },
    'callback-share': { type: 'string', default: '0.15' },
    'callback-after': { type: 'string', default: '20' },
    drain: { type: 'string', default: '600' },
    record: { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
});
if (flags.help) {
  process.stdout.write('usage: npm run bench:drill -- [--quick] [--agents 20] [--base 0.25] [--multiple 10] [--before 60] [--surge 60] [--after 60] [--aht 20] [--callback-share 0.15] [--callback-after 20] [--drain 600] [--record]\n');
  process.exit(0);
}
const quick = flags.quick;
const AGENTS = Number(flags.agents ?? (quick ? 8 : 20));
const BASE = Number(flags.base ?? (quick ? 0.2 : 0.25));
const MULTIPLE = Number(flags.multiple);
const BEFORE = Number(flags.before ?? (quick ? 20 : 60));
const SURGE = Number(flags.surge ?? (quick ? 30 : 60));
const AFTER = Number(flags.after ?? (quick ? 20 : 60));
const AHT_S = Number(flags.aht);
const CB_SHARE = Number(flags['callback-share']);
const CB_AFTER_S = Number(flags['callback-after']);
const DRAIN_S = Number(flags.drain);

const PORTS = { sip: 7460, http: 7463, rtp: '50000-54999', callerBase: 7470, callerSurge: 7472, carrier: 7478, agentBase: 7600 };
// Callers' SDP uses [auto_media_port]: SIPp moves it up 2 ports per call from -mp, so each caller
// SIPp gets a range of its own far from every other port here (a first plan that started them at
// 7480 walked into the agents' SIP ports after 60 calls and sent them our prompts).
const MEDIA = { callerBase: 20000, callerSurge: 30000, carrier: 7510, agentBase: 8000 };
const ADMIN_KEY = 'bench-drill-admin-key-0123456789abcdef';
const PASSWORD = 'drill-agent-pass';
const OUT = path.join(ROOT, 'bench/out/drill');
const API = `http://127.0.0.1:${PORTS.http}/api/v1`;
const log = (line: string): void => void process.stderr.write(`[bench:drill ${new Date().toISOString().slice(11, 19)}] ${line}\n`);
installExitHandlers(() => log('interrupted: stopping every process this run started'));

async function api(method: string, p: string, body?: unknown): Promise<any> {
  const res = await fetch(`${API}${p}`, {
    method,
    headers: { authorization: `Bearer ${ADMIN_KEY}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    body: body !== undefined ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  if (res.status >= 300) throw new Error(`${method} ${p}: ${res.status} ${text.slice(0, 500)}`);
  return text ? JSON.parse(text) : undefined;
}

/** Scenario templates with this run's numbers filled in. */
function scenario(name: string, vars: Record<string, string>): string {
  let xml = readFileSync(path.join(ROOT, 'bench/scenarios', name), 'utf8');
  for (const [k, v] of Object.entries(vars)) xml = xml.replaceAll(`__${k}__`, v);
  const file = path.join(OUT, name);
  writeFileSync(file, xml);
  return file;
}

interface Sipp {
  name: string;
  dir: string;
  exited: Promise<number | null>;
  stop(): void;
}

let seeds = 0;

function startSipp(name: string, args: string[]): Sipp {
  const dir = path.join(OUT, name);
  mkdirSync(dir, { recursive: true });
  // SIPp draws its distributions from GSL's generator, which starts from the same seed in every
  // process unless GSL_RNG_SEED is set: every agent's first talk time would be the same (8.25 ×
  // the mean, seen here), so each process gets its own seed.
  const env = { ...process.env, GSL_RNG_SEED: String(++seeds + (Date.now() % 1_000_000) * 100) };
  const child = track(spawn('sipp', [...args, '-nostdin', '-trace_stat', '-stf', path.join(dir, 'stat.csv'), '-fd', '2', '-trace_err', '-error_file', path.join(dir, 'errors.log')], { cwd: dir, env, stdio: ['ignore', 'ignore', 'pipe'] }));
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-3000)));
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  exited.then((code) => code !== 0 && code !== null && log(`${name}: SIPp exited ${code} ${err.slice(-400)}`)).catch(() => undefined);
  return { name, dir, exited, stop: () => void (child.exitCode === null && child.pid !== undefined && process.kill(child.pid, 'SIGKILL')) };
}

/** Calls per second as SIPp's -r per -rp 10 s (integers). */
const rateArgs = (perSecond: number): string[] => ['-r', String(Math.max(1, Math.round(perSecond * 10))), '-rp', '10000'];

interface Visit {
  callId: string;
  enteredAt: string;
  answeredAt: string | null;
  outcome: string | null;
  waitMs: number | null;
  announcedEwtMs: number | null;
}

async function allVisits(since: Date): Promise<Visit[]> {
  const out: Visit[] = [];
  let before: string | undefined;
  for (;;) {
    const page: Visit[] = await api('GET', `/queue-calls?queue=egou-orders&limit=1000&since=${since.toISOString()}${before ? `&before=${encodeURIComponent(before)}` : ''}`);
    out.push(...page);
    if (page.length < 1000) return out;
    before = page.at(-1)!.enteredAt;
  }
}

async function main(): Promise<void> {
  rmSync(OUT, { recursive: true, force: true });
  mkdirSync(OUT, { recursive: true });
  const started = new Date();
  const server = await BenchServer.start({
    sipPort: PORTS.sip, httpPort: PORTS.http, rtpPorts: PORTS.rtp, dataDir: path.join(OUT, 'data'), adminKey: ADMIN_KEY,
    env: { SURGELINE_DEMO_TRUNK: `sip:127.0.0.1:${PORTS.carrier}` },
  });
  log(`server up (pid ${server.pid}); ${AGENTS} agents, ${BASE}/s → ${BASE * MULTIPLE}/s for ${SURGE} s, AHT ${AHT_S} s`);
  try {
    // The queue as a surge-ready supervisor would set it: callbacks around the clock, short wrap-up.
    const q = await api('GET', '/queues/egou-orders');
    await api('PUT', '/queues/egou-orders', {
      ...q.config, wrapUpSeconds: 2, maxSize: 1000,
      callbacks: { ...q.config.callbacks, windows: [{ days: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'], open: '00:00', close: '24:00' }], retrySpacingSeconds: 30 },
    });
    for (let i = 0; i < AGENTS; i++) {
      const ext = String(2001 + i);
      await api('POST', '/agents', { extension: ext, password: PASSWORD, skills: { orders: 7, returns: 7, payment: 7 }, groups: ['egou'], wrapUpSeconds: 2 });
    }
    const carrier = startSipp('carrier', ['-sf', scenario('drill-carrier.xml', {}), '-i', '127.0.0.1', '-mi', '127.0.0.1', '-p', String(PORTS.carrier), '-mp', String(MEDIA.carrier), '-l', '5000', '-timeout', `${BEFORE + SURGE + AFTER + DRAIN_S + 300}s`]);
    // Each phone: a short SIPp registers by digest (SIPp cannot take digest credentials from an
    // -inf file) from the port that the agent's answering SIPp then listens on.
    const holdS = BEFORE + SURGE + AFTER + DRAIN_S + 300;
    const agentXml = scenario('drill-agent.xml', { AHT_MS: String(AHT_S * 1000) });
    const phones: Sipp[] = [];
    for (let i = 0; i < AGENTS; i++) {
      const ext = String(2001 + i);
      const port = String(PORTS.agentBase + i);
      const errors = path.join(OUT, `register-${ext}.log`);
      const reg = await runToEnd('sipp', ['-sf', path.join(ROOT, 'bench/scenarios/drill-register.xml'), '-s', ext, '-au', ext, '-ap', PASSWORD, `127.0.0.1:${PORTS.sip}`, '-i', '127.0.0.1', '-p', port, '-m', '1', '-nostdin', '-timeout', '20s', '-trace_err', '-error_file', errors], { cwd: OUT, timeoutMs: 30_000 });
      if (reg.code !== 0) {
        let detail = '';
        try {
          detail = readFileSync(errors, 'utf8').slice(0, 2000);
        } catch {
          // no error file
        }
        throw new Error(`agent ${ext} did not register (SIPp ${reg.code}): ${detail || (reg.stderr + reg.stdout).slice(-1000)}`);
      }
      // -aa: the phones answer the server's in-dialog OPTIONS probes (SURGELINE_AGENT_KEEPALIVE) with 200, as a softphone does.
      phones.push(startSipp(`agent-${ext}`, ['-sf', agentXml, '-aa', '-i', '127.0.0.1', '-mi', '127.0.0.1', '-p', port, '-mp', String(MEDIA.agentBase + 4 * i), '-l', '1000', '-timeout', `${holdS}s`]));
    }
    for (let i = 0; ; i++) {
      const live = await api('GET', '/queues/egou-orders/live');
      if (live.agents.available >= AGENTS) break;
      if (i > 50) throw new Error(`only ${live.agents.available} of ${AGENTS} agents available: ${JSON.stringify(live)}`);
      await sleep(200);
    }
    log(`${AGENTS} agents registered and available`);

    // The callers: the base rate throughout, and (multiple − 1) × base more during the surge.
    const callerXml = scenario('drill-caller.xml', { SHARE: String(CB_SHARE), CB_AFTER_MS: String(CB_AFTER_S * 1000) });
    const total = BEFORE + SURGE + AFTER;
    const callerArgs = (port: number, media: number, rate: number, calls: number): string[] => [
      '-sf', callerXml, '-s', '4008001111', `127.0.0.1:${PORTS.sip}`, '-i', '127.0.0.1', '-mi', '127.0.0.1', '-p', String(port), '-mp', String(media),
      ...rateArgs(rate), '-m', String(calls), '-l', '5000', '-recv_timeout', '1800000', '-timeout', `${total + DRAIN_S + 120}s`,
    ];
    const t0 = Date.now();
    const baseCalls = Math.max(1, Math.round(BASE * total));
    const surgeRate = BASE * (MULTIPLE - 1);
    const surgeCalls = Math.round(surgeRate * SURGE);
    const callers = [startSipp('callers-base', callerArgs(PORTS.callerBase, MEDIA.callerBase, BASE, baseCalls))];
    const samples: { t: number; waiting: number; longestWaitMs: number; onCall: number }[] = [];
    const sampler = setInterval(() => {
      api('GET', '/queues/egou-orders/live')
        .then((l) => samples.push({ t: (Date.now() - t0) / 1000, waiting: l.waiting, longestWaitMs: l.longestWaitMs, onCall: l.agents['on-call'] ?? 0 }))
        .catch(() => undefined);
    }, 2000);
    await sleep(BEFORE * 1000);
    log(`surge: +${surgeRate.toFixed(2)} calls/s for ${SURGE} s (${surgeCalls} calls)`);
    if (surgeCalls > 0) callers.push(startSipp('callers-surge', callerArgs(PORTS.callerSurge, MEDIA.callerSurge, surgeRate, surgeCalls)));
    await Promise.all(callers.map((c) => c.exited));
    const callersDone = (Date.now() - t0) / 1000;
    log(`every caller's call ended after ${callersDone.toFixed(0)} s; draining callbacks`);
    // The callback backlog: worked by free agents until nothing is open (or the drain limit).
    let open = 0;
    for (const end = Date.now() + DRAIN_S * 1000; Date.now() < end; await sleep(2000)) {
      open = (await api('GET', `/callbacks?state=pending,due,in-progress&since=${started.toISOString()}&limit=500`)).length;
      if (open === 0) break;
    }
    const drained = (Date.now() - t0) / 1000;
    clearInterval(sampler);
    await sleep(3000); // the last CDR writes (wrap-up)

    // What happened, from the server's records and SIPp's counters.
    const visits = await allVisits(started);
    const callbacks: { state: string; kind: string }[] = await api('GET', `/callbacks?since=${started.toISOString()}&limit=500`);
    const stats = callers.map((c) => readLastStat(path.join(c.dir, 'stat.csv')));
    const offered = stats.reduce((s, m) => s + (m.get('OutgoingCall(C)') ?? 0), 0);
    const sippFailed = stats.reduce((s, m) => s + (m.get('FailedCall(C)') ?? 0), 0);
    const failedBy: Record<string, number> = {};
    for (const m of stats) for (const [k, v] of m) if (k.startsWith('Failed') && k !== 'FailedCall(C)' && k.endsWith('(C)') && v > 0) failedBy[k.slice(6, -3)] = (failedBy[k.slice(6, -3)] ?? 0) + v;
    const calls = new Set(visits.map((v) => v.callId));
    const by = (o: string | null): number => visits.filter((v) => v.outcome === o).length;
    const notQueued = Math.max(0, offered - calls.size);
    const dropped = sippFailed + notQueued + by(null) + by('abandoned');
    const phaseOf = (v: Visit): string => {
      const s = (Date.parse(v.enteredAt) - t0) / 1000;
      return s < BEFORE ? 'before' : s < BEFORE + SURGE ? 'surge' : 'after';
    };
    const ewtRows: Cell[][] = [];
    let overallMaePct: number | undefined;
    for (const phase of ['before', 'surge', 'after', 'all']) {
      const told = visits.filter((v) => v.outcome === 'answered' && v.announcedEwtMs !== null && v.waitMs !== null && (phase === 'all' || phaseOf(v) === phase));
      const waited = told.reduce((s, v) => s + v.waitMs!, 0) / Math.max(told.length, 1);
      const mae = told.reduce((s, v) => s + Math.abs(v.announcedEwtMs! - v.waitMs!), 0) / Math.max(told.length, 1);
      const bias = told.reduce((s, v) => s + (v.announcedEwtMs! - v.waitMs!), 0) / Math.max(told.length, 1);
      if (phase === 'all' && told.length > 0) overallMaePct = (100 * mae) / waited;
      ewtRows.push([phase, told.length, fmt(waited / 1000, 1), fmt(mae / 1000, 1), told.length ? fmt((100 * mae) / waited, 1) : '–', fmt(bias / 1000, 1)]);
    }
    const answered = visits.filter((v) => v.outcome === 'answered');
    const within30 = answered.filter((v) => (v.waitMs ?? Infinity) <= 30_000).length;
    const cbCreated = callbacks.length;
    const cbDone = callbacks.filter((c) => c.state === 'done').length;
    const cbFailed = callbacks.filter((c) => c.state === 'failed').length;
    const peakWaiting = Math.max(0, ...samples.map((s) => s.waiting));
    const peakLongest = Math.max(0, ...samples.map((s) => s.longestWaitMs));

    const summaryCols: Column[] = [
      { title: 'agents' }, { title: 'base/s' }, { title: 'surge/s' }, { title: 'offered' }, { title: 'queued' }, { title: 'answered' },
      { title: 'callback' }, { title: 'dropped' }, { title: 'SL 30 s %' }, { title: 'ASA s' }, { title: 'peak waiting' }, { title: 'peak longest wait s' },
      { title: 'EWT MAE %' }, { title: 'callbacks created' }, { title: 'completed' }, { title: 'failed' }, { title: 'open at end' }, { title: 'drill s' },
    ];
    const summary: Cell[][] = [[
      AGENTS, BASE, fmt(BASE * MULTIPLE, 2), offered, calls.size, answered.length, by('callback'), dropped,
      fmt(answered.length ? (100 * within30) / answered.length : undefined, 1),
      fmt(answered.reduce((s, v) => s + (v.waitMs ?? 0), 0) / Math.max(answered.length, 1) / 1000, 1),
      peakWaiting, fmt(peakLongest / 1000, 0), fmt(overallMaePct, 1), cbCreated, cbDone, cbFailed, open, fmt(drained, 0),
    ]];
    const ewtCols: Column[] = [{ title: 'phase', left: true }, { title: 'answered, told an EWT' }, { title: 'mean wait s' }, { title: 'MAE s' }, { title: 'MAE % of wait' }, { title: 'bias s (told − waited)' }];
    const droppedBy = `dropped = SIPp failures ${sippFailed}${Object.keys(failedBy).length ? ` (${Object.entries(failedBy).map(([k, v]) => `${k} ${v}`).join(', ')})` : ''} + never queued ${notQueued} + no outcome ${by(null)} + abandoned ${by('abandoned')}`;
    const warn = `server warnings/errors logged: ${server.warnings}${server.warningSamples.length ? ` (first: ${server.warningSamples[0]!.slice(0, 200)})` : ''}`;
    process.stdout.write(`\n${plainTable(summaryCols, summary)}\n\n${plainTable(ewtCols, ewtRows)}\n\n${droppedBy}\n${warn}\n`);
    for (const p of phones) p.stop();
    carrier.stop();
    if (flags.record && !quick) {
      const m = machineInfo();
      const block = [
        `Run ${m.date} on ${m.cores} × ${m.model}, Node ${m.node}, ${m.sipp}, commit ${m.commit}${m.dirty ? ' (dirty)' : ''}, load ${fmt(load1(), 2)} at the end.`,
        `\`npm run bench:drill -- ${process.argv.slice(2).join(' ')}\``,
        '',
        markdownTable(summaryCols, summary),
        '',
        markdownTable(ewtCols, ewtRows),
        '',
        droppedBy,
        '',
        warn,
      ].join('\n');
      updateSection(path.join(ROOT, 'bench/RESULTS.md'), 'acd-drill', '## Live drill: a 10× surge on the E購網 line (`npm run bench:drill`)', block);
      log('bench/RESULTS.md updated');
    }
  } finally {
    await server.stop();
    killAll();
  }
}

main().catch((err: unknown) => {
  log(`failed: ${(err as Error).stack ?? String(err)}`);
  killAll();
  process.exit(1);
});
