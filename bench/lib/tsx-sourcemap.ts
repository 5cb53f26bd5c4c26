/**
 * Maps a position in tsx's transpiled output back to the TypeScript line. V8 profiles of
 * a server run through `--import tsx` point into esbuild's output, which puts a whole
 * module on one line; tsx keeps each output with its source map in its disk cache
 * (<tmpdir>/tsx-<uid>/), so the right cache entry is found by checking that the profile's
 * function names sit at the profile's columns, and its map is decoded here.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

interface CacheEntry {
  readonly code: string;
  readonly mappings: string;
  readonly mtimeMs: number;
  decoded?: Segment[][];
}

/** [generated column, original line (0-based)] per generated line, sorted by column. */
type Segment = readonly [number, number];

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const B64_INDEX = new Map([...B64].map((c, i) => [c, i] as const));

/** Source map v3 "mappings" (Base64 VLQ), keeping the generated column and original line. */
function decodeMappings(mappings: string): Segment[][] {
  const lines: Segment[][] = [];
  let srcLine = 0;
  for (const lineText of mappings.split(';')) {
    const segs: Segment[] = [];
    let genCol = 0;
    for (const segText of lineText.split(',')) {
      if (!segText) continue;
      const fields: number[] = [];
      let value = 0;
      let shift = 0;
      for (const ch of segText) {
        const digit = B64_INDEX.get(ch);
        if (digit === undefined) break;
        value += (digit & 31) << shift;
        if (digit & 32) shift += 5;
        else {
          fields.push(value & 1 ? -(value >>> 1) : value >>> 1);
          value = 0;
          shift = 0;
        }
      }
      genCol += fields[0] ?? 0;
      if (fields.length >= 4) {
        srcLine += fields[2]!;
        segs.push([genCol, srcLine]);
      }
    }
    lines.push(segs);
  }
  return lines;
}

export class TsxSourceMaps {
  private readonly bySource = new Map<string, CacheEntry[]>();
  private readonly chosen = new Map<string, CacheEntry | null>();

  constructor(cacheDir = path.join(tmpdir(), `tsx-${process.getuid?.() ?? 0}`)) {
    let files: string[] = [];
    try {
      files = readdirSync(cacheDir);
    } catch {
      return;
    }
    for (const f of files) {
      const file = path.join(cacheDir, f);
      try {
        // Parser boundary: tsx's cache format ({ code, map }).
        const j = JSON.parse(readFileSync(file, 'utf8')) as { code?: unknown; map?: { sources?: unknown; mappings?: unknown } };
        const sources = j.map?.sources;
        if (typeof j.code !== 'string' || typeof j.map?.mappings !== 'string' || !Array.isArray(sources) || typeof sources[0] !== 'string') continue;
        const list = this.bySource.get(sources[0]) ?? [];
        list.push({ code: j.code, mappings: j.map.mappings, mtimeMs: statSync(file).mtimeMs });
        this.bySource.set(sources[0], list);
      } catch {
        // not a transform entry
      }
    }
  }

  /**
   * Picks, for one source file, the cached transform in which the most of the given
   * named functions start at their profiled columns (newest first on ties).
   */
  choose(sourcePath: string, frames: readonly { name: string; line: number; column: number }[]): void {
    const candidates = [...(this.bySource.get(sourcePath) ?? [])].sort((a, b) => b.mtimeMs - a.mtimeMs);
    let best: CacheEntry | null = null;
    let bestScore = -1;
    for (const c of candidates) {
      const lines = c.code.split('\n');
      let score = 0;
      for (const f of frames) {
        if (!f.name) continue;
        const text = lines[f.line] ?? '';
        if (text.slice(f.column - f.name.length, f.column) === f.name || text.startsWith(f.name, f.column)) score++;
      }
      if (score > bestScore) {
        best = c;
        bestScore = score;
      }
    }
    this.chosen.set(sourcePath, best);
  }

  /** 1-based TypeScript line for a 0-based generated line/column, if a transform was chosen for the file. */
  originalLine(sourcePath: string, line: number, column: number): number | undefined {
    const entry = this.chosen.get(sourcePath);
    if (!entry) return undefined;
    entry.decoded ??= decodeMappings(entry.mappings);
    const segs = entry.decoded[line];
    if (!segs || segs.length === 0) return undefined;
    let lo = 0;
    let hi = segs.length - 1;
    if (segs[0]![0] > column) return segs[0]![1] + 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (segs[mid]![0] <= column) lo = mid;
      else hi = mid - 1;
    }
    return segs[lo]![1] + 1;
  }
}
