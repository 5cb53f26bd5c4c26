/**
 * The `surgeline` command (spec E): `serve` (the default) runs a node; `flow`, `announce`,
 * `line`, `calls`, `key`, `agents`, `queues`, `callbacks`, `voicemails`, `recordings` and `trunk` talk to a node's
 * HTTP API. This file only dispatches: each command group lives in src/cli/commands/. Exit codes: 0 ok, 1 API or validation error, 2 usage.
 */
import { ConfigError } from '../config.ts';
import { parseCommand, type Command } from './args.ts';
import { announceCommand } from './commands/announce.ts';
import { erlangCommand, staffCommand } from './commands/erlang.ts';
import { forecastCommand } from './commands/forecast.ts';
import { simulateCommand } from './commands/simulate.ts';
import { reviewCommand } from './commands/review.ts';
import { callsCommands } from './commands/calls.ts';
import { flowCommands } from './commands/flow.ts';
import { keyCommands } from './commands/key.ts';
import { lineCommands } from './commands/line.ts';
import { serve, SERVE_SUMMARY } from './commands/serve.ts';
import { agentsCommands } from './commands/agents.ts';
import { callbacksCommands } from './commands/callbacks.ts';
import { queuesCommands } from './commands/queues.ts';
import { voicemailsCommands } from './commands/voicemails.ts';
import { recordingsCommands } from './commands/recordings.ts';
import { trunkCommands } from './commands/trunk.ts';
import { CliError, UsageError } from './errors.ts';

interface Group {
  readonly summary: string;
  readonly commands: Readonly<Record<string, Command>>;
}

const GROUPS: Readonly<Record<string, Group>> = {
  flow: { summary: 'flow documents: validate locally, push versions, publish, roll back', commands: flowCommands },
  line: { summary: "lines, their numbers and the flow each runs", commands: lineCommands },
  calls: { summary: 'call records and the live event stream', commands: callsCommands },
  key: { summary: 'API keys', commands: keyCommands },
  agents: { summary: 'agents: state, skills, breaks', commands: agentsCommands },
  queues: { summary: 'queues and their configuration', commands: queuesCommands },
  callbacks: { summary: 'the callback worklist', commands: callbacksCommands },
  voicemails: { summary: 'messages callers left', commands: voicemailsCommands },
  recordings: { summary: 'call recordings', commands: recordingsCommands },
  trunk: { summary: 'the outbound trunk of callbacks and transfers', commands: trunkCommands },
};

const SINGLE: Readonly<Record<string, Command>> = { announce: announceCommand, erlang: erlangCommand, staff: staffCommand, forecast: forecastCommand, simulate: simulateCommand, review: reviewCommand };

function usage(): string {
  const rows: [string, string][] = [['serve [options]', SERVE_SUMMARY]];
  for (const group of Object.values(GROUPS)) {
    for (const cmd of Object.values(group.commands)) rows.push([shortSynopsis(cmd), cmd.summary]);
  }
  for (const cmd of Object.values(SINGLE)) rows.push([shortSynopsis(cmd), cmd.summary]);
  const width = Math.max(...rows.map(([s]) => s.length));
  return [
    'usage: surgeline <command> [options]',
    '',
    'Commands:',
    ...rows.map(([s, summary]) => `  ${s.padEnd(width)}  ${summary}`),
    '',
    'Every command takes --help. Commands other than serve, flow validate, erlang and staff talk to a node\'s API:',
    'SURGELINE_API_URL (default http://127.0.0.1:8080) with the key SURGELINE_API_KEY (else',
    'SURGELINE_ADMIN_KEY), or --api-url and --api-key; --json gives machine output.',
    'Exit codes: 0 ok, 1 API or validation error, 2 usage error.',
  ].join('\n');
}

/** The synopsis up to its first option: "key create", "flow push <file>". */
function shortSynopsis(cmd: Command): string {
  return cmd.synopsis.replace(/ (\[|--).*$/, '');
}

function groupHelp(name: string, group: Group): string {
  const rows = Object.values(group.commands).map((c) => [shortSynopsis(c), c.summary] as const);
  const width = Math.max(...rows.map(([s]) => s.length));
  return [`usage: surgeline ${name} <${Object.keys(group.commands).join('|')}> [options]`, '', `${name}: ${group.summary}`, '', ...rows.map(([s, d]) => `  ${s.padEnd(width)}  ${d}`), '', `surgeline ${name} <command> --help for its options.`].join('\n');
}

async function runCommand(cmd: Command, argv: string[]): Promise<void> {
  const args = parseCommand(cmd, argv);
  if (args !== undefined) await cmd.run(args);
}

/** A node that failed to start may hold sockets and workers: its failure ends the process. */
let serving = false;

async function main(args: string[]): Promise<void> {
  const [first, ...rest] = args;
  if (first === '--help' || first === '-h') {
    process.stdout.write(`${usage()}\n`);
    return;
  }
  if (first === 'help') return main(rest.length === 0 ? ['--help'] : [...rest, '--help']);
  if (first === undefined || first.startsWith('-') || first === 'serve') {
    serving = true;
    return serve(first === 'serve' ? rest : args);
  }
  const single = SINGLE[first];
  if (single !== undefined) return runCommand(single, rest);
  const group = GROUPS[first];
  if (group === undefined) throw new UsageError(`unknown command "${first}"\n\n${usage()}`);
  const [sub, ...subArgs] = rest;
  if (sub === '--help' || sub === '-h') {
    process.stdout.write(`${groupHelp(first, group)}\n`);
    return;
  }
  if (sub === undefined) throw new UsageError(`${first}: which command?\n\n${groupHelp(first, group)}`);
  const cmd = group.commands[sub];
  if (cmd === undefined) throw new UsageError(`${first}: unknown command "${sub}"\n\n${groupHelp(first, group)}`);
  return runCommand(cmd, subArgs);
}

// `surgeline calls list | head -1`: a reader that went away is not an error of ours.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw err;
});

main(process.argv.slice(2)).catch((err: unknown) => {
  process.stderr.write(`surgeline: ${err instanceof Error ? err.message : String(err)}\n`);
  const code = err instanceof CliError ? err.exitCode : err instanceof ConfigError ? 2 : 1;
  if (serving) process.exit(code);
  process.exitCode = code;
});

