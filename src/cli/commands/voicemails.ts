/**
 * `surgeline voicemails list` (issue 4 item 10): messages callers left — number, time,
 * length, line, queue, keys pressed, state and assignee — from GET /voicemails, newest
 * first. An agent's key lists the messages assigned to it.
 */
import { clientFor, listOf } from '../api-client.ts';
import { intOpt, stringOpt, type Command } from '../args.ts';
import { UsageError } from '../errors.ts';
import { printJson, table, when } from '../output.ts';

const STATES = ['new', 'assigned', 'done'];

interface VoicemailJson {
  id: string;
  lineId: string | null;
  queue: string | null;
  callerNumber: string;
  recordedAt: string;
  durationMs: number;
  digits: string;
  assignedTo: string | null;
  state: string;
}

const list: Command = {
  summary: 'List voicemails, newest first: number, time, length, state.',
  synopsis: 'voicemails list [--state s] [--line l] [--limit n]',
  options: {
    state: { type: 'string', value: 's', help: `only ${STATES.join(', ')}` },
    line: { type: 'string', value: 'l', help: 'only this line (id or number)' },
    limit: { type: 'string', value: 'n', help: 'at most n (default 50, at most 500)' },
  },
  positionals: [],
  api: true,
  async run(args) {
    const state = stringOpt(args, 'state');
    if (state !== undefined && !STATES.includes(state)) throw new UsageError(`--state must be one of ${STATES.join(', ')}, not "${state}"`);
    const limit = intOpt(args, 'limit');
    const vms = listOf<VoicemailJson>(await clientFor(args).get<unknown>('/voicemails', { state, line: stringOpt(args, 'line'), limit }), 'voicemails');
    if (args.json) return printJson(vms);
    table(
      ['RECORDED', 'NUMBER', 'LENGTH', 'QUEUE', 'DIGITS', 'STATE', 'ID'],
      vms.map((v) => [when(v.recordedAt), v.callerNumber, `${(v.durationMs / 1000).toFixed(1)} s`, v.queue ?? '-', v.digits || '-', v.state, v.id]),
    );
  },
};

export const voicemailsCommands: Readonly<Record<string, Command>> = { list };
