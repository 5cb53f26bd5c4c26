/**
 * `surgeline recordings list` (issue 4 item 10): the call recordings — when, which queue and
 * agent, mode (stereo: agent left, caller right; or mixed) and length — from GET /recordings,
 * newest first (admins and supervisors). The audio itself is GET /recordings/{id}/audio.
 */
import { clientFor, listOf } from '../api-client.ts';
import { intOpt, stringOpt, type Command } from '../args.ts';
import { printJson, table, when } from '../output.ts';

interface RecordingJson {
  id: string;
  callId: string;
  queue: string | null;
  agentId: string | null;
  mode: string;
  startedAt: string;
  durationMs: number;
}

const list: Command = {
  summary: 'List call recordings, newest first: time, queue, mode, length.',
  synopsis: 'recordings list [--queue q] [--agent a] [--limit n]',
  details: 'The WAV of one: GET /api/v1/recordings/<id>/audio with an admin or supervisor key.',
  options: {
    queue: { type: 'string', value: 'q', help: 'only this queue' },
    agent: { type: 'string', value: 'a', help: 'only this agent (extension or id)' },
    limit: { type: 'string', value: 'n', help: 'at most n (default 50, at most 500)' },
  },
  positionals: [],
  api: true,
  async run(args) {
    const rows = listOf<RecordingJson>(
      await clientFor(args).get<unknown>('/recordings', { queue: stringOpt(args, 'queue'), agent: stringOpt(args, 'agent'), limit: intOpt(args, 'limit') }),
      'recordings',
    );
    if (args.json) return printJson(rows);
    table(
      ['STARTED', 'QUEUE', 'MODE', 'LENGTH', 'CALL', 'ID'],
      rows.map((r) => [when(r.startedAt), r.queue ?? '-', r.mode, `${(r.durationMs / 1000).toFixed(1)} s`, r.callId, r.id]),
    );
  },
};

export const recordingsCommands: Readonly<Record<string, Command>> = { list };
