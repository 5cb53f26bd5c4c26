/**
 * `surgeline callbacks list` (issue 4 item 10): the callback worklist — caller number, line,
 * queue, requested and due times, state and attempts — from GET /callbacks (the product
 * contract's list), newest first, optionally by state (one or several), line or queue.
 */
import { clientFor, listOf } from '../api-client.ts';
import { intOpt, stringOpt, type Command } from '../args.ts';
import { UsageError } from '../errors.ts';
import { printJson, table, when } from '../output.ts';

const STATES = ['pending', 'due', 'in-progress', 'done', 'failed', 'cancelled'];

interface CallbackJson {
  id: string;
  lineId: string | null;
  queue: string | null;
  callerNumber: string;
  kind: string;
  requestedAt: string;
  dueAt: string | null;
  state: string;
  attempts: number;
  maxAttempts: number;
  result: string | null;
}

interface LineJson {
  id: string;
  name: string;
}

const list: Command = {
  summary: 'List callback requests, newest first: number, line, times, state.',
  synopsis: 'callbacks list [--state s] [--line l] [--queue q] [--limit n]',
  details: `--state takes one state or several, comma-separated: ${STATES.join(', ')}.\nExample: surgeline callbacks list --state pending,due`,
  options: {
    state: { type: 'string', value: 's', help: 'only callbacks in these states' },
    line: { type: 'string', value: 'l', help: 'only this line (id or number)' },
    queue: { type: 'string', value: 'q', help: 'only this queue' },
    limit: { type: 'string', value: 'n', help: 'at most n (default 50, at most 500)' },
  },
  positionals: [],
  api: true,
  async run(args) {
    const state = stringOpt(args, 'state');
    for (const s of state?.split(',') ?? []) {
      if (!STATES.includes(s)) throw new UsageError(`--state must be among ${STATES.join(', ')}, not "${s}"`);
    }
    const limit = intOpt(args, 'limit');
    const api = clientFor(args);
    const callbacks = listOf<CallbackJson>(
      await api.get<unknown>('/callbacks', { state, line: stringOpt(args, 'line'), queue: stringOpt(args, 'queue'), limit }),
      'callbacks',
    );
    if (args.json) return printJson(callbacks);
    const lines = new Map<string, string>();
    try {
      for (const l of listOf<LineJson>(await api.get<unknown>('/lines'), 'lines')) lines.set(l.id, l.name);
    } catch {
      // Names are a nicety: ids do.
    }
    table(
      ['REQUESTED', 'NUMBER', 'LINE', 'QUEUE', 'KIND', 'DUE', 'STATE', 'TRIES', 'ID'],
      callbacks.map((c) => [
        when(c.requestedAt),
        c.callerNumber,
        c.lineId === null ? '-' : (lines.get(c.lineId) ?? c.lineId),
        c.queue ?? '-',
        c.kind,
        when(c.dueAt),
        c.state,
        `${c.attempts}/${c.maxAttempts}`,
        c.id,
      ]),
    );
  },
};

export const callbacksCommands: Readonly<Record<string, Command>> = { list };
