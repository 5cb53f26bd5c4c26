/**
 * How a CLI command declares itself (synopsis, options, positionals) and how its argv is
 * parsed (node:util parseArgs, strict): one place for `--help`, for the shared API options
 * (--api-url, --api-key, --json) and for the usage errors (exit 2) every command gives.
 */
import { parseArgs } from 'node:util';
import { UsageError } from './errors.ts';

export interface OptionSpec {
  readonly type: 'string' | 'boolean';
  readonly short?: string;
  /** Shown in help, e.g. "n" in "--version n". */
  readonly value?: string;
  readonly help: string;
}

export interface ParsedArgs {
  readonly values: Readonly<Record<string, string | boolean | undefined>>;
  readonly positionals: readonly string[];
  readonly json: boolean;
}

export interface Command {
  /** One line for the command list. */
  readonly summary: string;
  /** The words after `surgeline`, e.g. "flow push <file>". */
  readonly synopsis: string;
  /** More help text, printed after the options. */
  readonly details?: string;
  readonly options: Readonly<Record<string, OptionSpec>>;
  /** Names of the positional arguments; all required. */
  readonly positionals: readonly string[];
  /** Talks to the API: takes --api-url, --api-key and --json. */
  readonly api: boolean;
  run(args: ParsedArgs): Promise<void>;
}

export const API_OPTIONS: Readonly<Record<string, OptionSpec>> = {
  'api-url': { type: 'string', value: 'url', help: 'API address (SURGELINE_API_URL, default http://127.0.0.1:8080)' },
  'api-key': { type: 'string', value: 'key', help: 'API key (SURGELINE_API_KEY, else SURGELINE_ADMIN_KEY)' },
  json: { type: 'boolean', help: 'machine output: JSON' },
};

const HELP: OptionSpec = { type: 'boolean', short: 'h', help: 'show this help' };

export function allOptions(cmd: Command): Record<string, OptionSpec> {
  return { ...cmd.options, ...(cmd.api ? API_OPTIONS : {}), help: HELP };
}

export function commandHelp(cmd: Command): string {
  const options = allOptions(cmd);
  const flags = Object.entries(options).map(([name, o]) => {
    const flag = `${o.short ? `-${o.short}, ` : ''}--${name}${o.value ? ` ${o.value}` : ''}`;
    return `  ${flag.padEnd(24)} ${o.help}`;
  });
  return [`usage: surgeline ${cmd.synopsis}`, '', cmd.summary, '', 'Options:', ...flags, ...(cmd.details ? ['', cmd.details] : [])].join('\n');
}

/** Parses argv for `cmd`; undefined when help was asked for (and printed). */
export function parseCommand(cmd: Command, argv: readonly string[]): ParsedArgs | undefined {
  const options = allOptions(cmd);
  let parsed: { values: Record<string, string | boolean | undefined>; positionals: string[] };
  try {
    parsed = parseArgs({
      args: [...argv],
      options: Object.fromEntries(
        Object.entries(options).map(([name, o]) => [name, o.short ? { type: o.type, short: o.short } : { type: o.type }]),
      ),
      strict: true,
      allowPositionals: true,
    });
  } catch (err) {
    throw new UsageError(`${(err as Error).message}\nusage: surgeline ${cmd.synopsis} (see --help)`);
  }
  if (parsed.values.help === true) {
    process.stdout.write(`${commandHelp(cmd)}\n`);
    return undefined;
  }
  const wanted = cmd.positionals.length;
  if (parsed.positionals.length < wanted) {
    const missing = cmd.positionals.slice(parsed.positionals.length).map((p) => `<${p}>`).join(' ');
    throw new UsageError(`missing ${missing}\nusage: surgeline ${cmd.synopsis} (see --help)`);
  }
  if (parsed.positionals.length > wanted) {
    const extra = parsed.positionals.slice(wanted).map((p) => JSON.stringify(p)).join(' ');
    throw new UsageError(`unexpected argument ${extra}\nusage: surgeline ${cmd.synopsis} (see --help)`);
  }
  return { values: parsed.values, positionals: parsed.positionals, json: parsed.values.json === true };
}

/** A string option's value, or undefined when not given. */
export function stringOpt(args: ParsedArgs, name: string): string | undefined {
  const v = args.values[name];
  return typeof v === 'string' ? v : undefined;
}

/** A positive integer option (a version number, a limit). */
export function intOpt(args: ParsedArgs, name: string): number | undefined {
  const v = stringOpt(args, name);
  if (v === undefined) return undefined;
  if (!/^[1-9]\d{0,8}$/.test(v)) throw new UsageError(`--${name} must be a positive whole number, not "${v}"`);
  return Number(v);
}
