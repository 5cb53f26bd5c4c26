/**
 * Reading a flow document from a file for `flow validate` and `flow push`: JSON or YAML
 * (YAML 1.2 core schema, so `on:` stays a key and duplicate keys are refused), chosen by
 * the extension (.json, .yaml, .yml; otherwise by the first character), or stdin for "-".
 * A file that does not parse is an error naming the line and column (exit 1).
 */
import { readFileSync } from 'node:fs';
import { parse as parseYaml, YAMLError } from 'yaml';
import { CliError, UsageError } from './errors.ts';

export type FlowFormat = 'json' | 'yaml';

export interface FlowFile {
  readonly name: string;
  readonly format: FlowFormat;
  readonly document: unknown;
}

export function readFlowFile(file: string): FlowFile {
  let text: string;
  try {
    text = readFileSync(file === '-' ? 0 : file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new UsageError(`cannot read ${file}: ${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : (err as Error).message}`);
  }
  const name = file === '-' ? '<stdin>' : file;
  const format = formatOf(file, text);
  return { name, format, document: format === 'json' ? parseJson(name, text) : parseYamlText(name, text) };
}

export function formatOf(file: string, text: string): FlowFormat {
  const lower = file.toLowerCase();
  if (lower.endsWith('.json')) return 'json';
  if (lower.endsWith('.yaml') || lower.endsWith('.yml')) return 'yaml';
  return text.trimStart().startsWith('{') ? 'json' : 'yaml';
}

function parseJson(name: string, text: string): unknown {
  try {
    return JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (err) {
    const message = (err as Error).message;
    const at = /at position (\d+)/.exec(message);
    const where = at && !/\(line \d+/.test(message) ? `:${lineCol(text, Number(at[1]))}` : '';
    throw new CliError(`${name}${where}: not valid JSON: ${message}`);
  }
}

function parseYamlText(name: string, text: string): unknown {
  try {
    return parseYaml(text, { uniqueKeys: true, prettyErrors: true, maxAliasCount: 100 }) as unknown;
  } catch (err) {
    if (err instanceof YAMLError) {
      const pos = err.linePos?.[0];
      const where = pos ? `:${pos.line}:${pos.col}` : '';
      throw new CliError(`${name}${where}: not valid YAML: ${err.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '')}`);
    }
    throw err;
  }
}

function lineCol(text: string, offset: number): string {
  const before = text.slice(0, offset).split('\n');
  return `${before.length}:${before[before.length - 1]!.length + 1}`;
}
