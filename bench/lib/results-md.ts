/**
 * bench/RESULTS.md holds one section per benchmark. A benchmark rewrites only the block
 * between its own markers, so hand-written notes around it and other benchmarks'
 * sections survive every run.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';

const TITLE = '# surgeline benchmark results\n\nOne section per benchmark; each is rewritten by its own script between its markers, and the notes around the markers are written by hand.\n';

/**
 * Replaces the text between `<!-- <id>:begin -->` and `<!-- <id>:end -->`; when the
 * markers are missing, appends `heading`, the block and `notes` as a new section.
 */
export function updateSection(file: string, id: string, heading: string, block: string, notes = ''): void {
  const begin = `<!-- ${id}:begin -->`;
  const end = `<!-- ${id}:end -->`;
  const body = `${begin}\n${block.trimEnd()}\n${end}`;
  const current = existsSync(file) ? readFileSync(file, 'utf8') : TITLE;
  const i = current.indexOf(begin);
  const j = current.indexOf(end);
  let next: string;
  if (i >= 0 && j > i) next = current.slice(0, i) + body + current.slice(j + end.length);
  else next = `${current.trimEnd()}\n\n${heading}\n\n${body}\n${notes ? `\n${notes.trimEnd()}\n` : ''}`;
  writeFileSync(file, next.endsWith('\n') ? next : `${next}\n`);
}
