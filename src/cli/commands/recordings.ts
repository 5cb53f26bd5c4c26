/**
 * `surgeline recordings list` (issue 4 item 10): the call recordings — when, which queue and
 * agent, mode (stereo: agent left, caller right; or mixed), length and paused stretches —
 * from GET /recordings, newest first (admins and supervisors). The audio itself is
 * GET /recordings/{id}/audio. `recordings pause|resume <call>` pause the recording of a call
 * in conversation while the caller gives card details (POST /calls/{id}/recording/...).
 */
import { clientFor, listOf, path } from '../api-client.ts';
import { intOpt, stringOpt, type Command } from '../args.ts';
import { out, printJson, table, when } from '../output.ts';

interface RecordingJson {
  id: string;
  callId: string;
  queue: string | null;
  agentId: string | null;
  mode: string;
  startedAt: string;
  durationMs: number;
  pauses?: { startMs: number; endMs: number }[];
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
      ['STARTED', 'QUEUE', 'MODE', 'LENGTH', 'PAUSED', 'CALL', 'ID'],
      rows.map((r) => [when(r.startedAt), r.queue ?? '-', r.mode, `${(r.durationMs / 1000).toFixed(1)} s`, pausedText(r.pauses ?? []), r.callId, r.id]),
    );
  },
};

/** "12.0–31.5 s" per paused stretch, or "-". */
function pausedText(pauses: readonly { startMs: number; endMs: number }[]): string {
  return pauses.length ? pauses.map((p) => `${(p.startMs / 1000).toFixed(1)}–${(p.endMs / 1000).toFixed(1)} s`).join(', ') : '-';
}

function pauseCommand(verb: 'pause' | 'resume'): Command {
  return {
    summary: verb === 'pause' ? "Pause a call's recording (silence in the file), e.g. while the caller gives card details." : "Resume a call's paused recording.",
    synopsis: `recordings ${verb} <call>`,
    details: "<call> is our call id or the caller's SIP Call-ID; the call must be in conversation with an agent. An agent's key may act only on its own call.",
    options: {},
    positionals: ['call'],
    api: true,
    async run(args) {
      const res = await clientFor(args).post<{ callId: string; paused: boolean; changed: boolean; atMs: number }>(path`/calls/${args.positionals[0]!}/recording/${verb}`, {});
      if (args.json) return printJson(res);
      const at = `${(res.atMs / 1000).toFixed(1)} s into the recording`;
      out(res.changed ? `${res.callId}: recording ${res.paused ? 'paused' : 'resumed'} at ${at}` : `${res.callId}: recording already ${res.paused ? 'paused' : 'running'} (${at})`);
    },
  };
}

export const recordingsCommands: Readonly<Record<string, Command>> = { list, pause: pauseCommand('pause'), resume: pauseCommand('resume') };
