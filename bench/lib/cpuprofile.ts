/**
 * Summarises V8 .cpuprofile files (node --cpu-prof): self time per function and per file.
 *
 *   node --import tsx bench/lib/cpuprofile.ts <file-or-dir> [--top 15]
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { ROOT } from './server.ts';
import { plainTable, type Cell } from './table.ts';
import { TsxSourceMaps } from './tsx-sourcemap.ts';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
}
interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples?: number[];
  timeDeltas?: number[];
}

export interface SelfTime {
  /** function (file:line), file relative to the repository */
  readonly where: string;
  readonly ms: number;
  /** of the profile's busy time (idle excluded) */
  readonly pct: number;
}

export interface ProfileSummary {
  readonly file: string;
  /** V8 thread id from the file name: 0 is the main thread, others are workers. */
  readonly thread: string;
  readonly wallMs: number;
  readonly busyMs: number;
  readonly idleMs: number;
  readonly top: SelfTime[];
  readonly byFile: SelfTime[];
}

function shortUrl(url: string): string {
  if (!url) return '';
  let p = url.startsWith('file://') ? decodeURIComponent(new URL(url).pathname) : url;
  if (p.startsWith(ROOT + '/')) p = p.slice(ROOT.length + 1);
  p = p.replace(/^.*\/node_modules\//, 'node_modules/');
  return p;
}

function filePath(url: string): string | undefined {
  return url.startsWith('file://') ? decodeURIComponent(new URL(url).pathname) : undefined;
}

export function summariseProfile(file: string, topN = 15, maps: TsxSourceMaps = new TsxSourceMaps()): ProfileSummary {
  // Parser boundary: V8's profile JSON.
  const prof = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map<number, ProfileNode>();
  for (const n of prof.nodes) byId.set(n.id, n);
  // TypeScript modules ran through tsx: map their one-line output back to source lines.
  const framesByTs = new Map<string, { name: string; line: number; column: number }[]>();
  for (const n of prof.nodes) {
    const p = filePath(n.callFrame.url);
    if (!p?.endsWith('.ts')) continue;
    const list = framesByTs.get(p) ?? [];
    list.push({ name: n.callFrame.functionName, line: n.callFrame.lineNumber, column: n.callFrame.columnNumber });
    framesByTs.set(p, list);
  }
  for (const [p, frames] of framesByTs) maps.choose(p, frames);
  const lineOf = (cf: CallFrame): number => {
    const p = filePath(cf.url);
    return (p?.endsWith('.ts') ? maps.originalLine(p, cf.lineNumber, cf.columnNumber) : undefined) ?? cf.lineNumber + 1;
  };
  const samples = prof.samples ?? [];
  const deltas = prof.timeDeltas ?? [];
  const selfUs = new Map<number, number>();
  // timeDeltas[i] is the time from sample i-1 to sample i: the time until the next
  // sample is what sample i's function spent.
  for (let i = 0; i < samples.length; i++) {
    const next = deltas[i + 1] ?? 0;
    selfUs.set(samples[i]!, (selfUs.get(samples[i]!) ?? 0) + Math.max(0, next));
  }
  const perFn = new Map<string, number>();
  const perFile = new Map<string, number>();
  let idle = 0;
  let total = 0;
  for (const [id, us] of selfUs) {
    const cf = byId.get(id)?.callFrame;
    if (!cf) continue;
    total += us;
    if (cf.functionName === '(idle)') {
      idle += us;
      continue;
    }
    const file = shortUrl(cf.url);
    const name = cf.functionName ? (cf.functionName.length > 80 ? `${cf.functionName.slice(0, 77)}...` : cf.functionName) : '(anonymous)';
    const where = file ? `${name} (${file}:${lineOf(cf)})` : name;
    perFn.set(where, (perFn.get(where) ?? 0) + us);
    const fileKey = file || name;
    perFile.set(fileKey, (perFile.get(fileKey) ?? 0) + us);
  }
  const busy = total - idle;
  const rank = (m: Map<string, number>): SelfTime[] =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, topN)
      .map(([where, us]) => ({ where, ms: us / 1000, pct: busy > 0 ? (100 * us) / busy : 0 }));
  // CPU.<date>.<time>.<pid>.<threadId>.<seq>.cpuprofile
  const thread = path.basename(file).split('.')[4] ?? '?';
  return { file, thread, wallMs: (prof.endTime - prof.startTime) / 1000, busyMs: busy / 1000, idleMs: idle / 1000, top: rank(perFn), byFile: rank(perFile) };
}

export function profileFiles(fileOrDir: string): string[] {
  if (statSync(fileOrDir).isDirectory()) {
    return readdirSync(fileOrDir)
      .filter((f) => f.endsWith('.cpuprofile'))
      .map((f) => path.join(fileOrDir, f))
      .sort();
  }
  return [fileOrDir];
}

export function formatSummary(s: ProfileSummary): string {
  const rows: Cell[][] = s.top.map((t, i) => [i + 1, t.ms.toFixed(0), t.pct.toFixed(1), t.where]);
  const fileRows: Cell[][] = s.byFile.slice(0, 10).map((t) => [t.ms.toFixed(0), t.pct.toFixed(1), t.where]);
  return [
    `${path.basename(s.file)} — thread ${s.thread === '0' ? '0 (main)' : `${s.thread} (worker)`}: wall ${(s.wallMs / 1000).toFixed(1)} s, busy ${(s.busyMs / 1000).toFixed(1)} s (${((100 * s.busyMs) / Math.max(1, s.wallMs)).toFixed(0)} % of one core), idle ${(s.idleMs / 1000).toFixed(1)} s`,
    plainTable([{ title: '#' }, { title: 'self ms' }, { title: '% busy' }, { title: 'function (file:line)', left: true }], rows),
    '',
    'by file:',
    plainTable([{ title: 'self ms' }, { title: '% busy' }, { title: 'file', left: true }], fileRows),
  ].join('\n');
}

if (process.argv[1] && path.resolve(process.argv[1]) === import.meta.filename) {
  const { values, positionals } = parseArgs({ allowPositionals: true, options: { top: { type: 'string', default: '15' } } });
  const target = positionals[0];
  if (!target) {
    process.stderr.write('usage: node --import tsx bench/lib/cpuprofile.ts <file.cpuprofile|dir> [--top 15]\n');
    process.exit(2);
  }
  const maps = new TsxSourceMaps();
  for (const f of profileFiles(target)) process.stdout.write(`${formatSummary(summariseProfile(f, Number(values.top), maps))}\n\n`);
}
