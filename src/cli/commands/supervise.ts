/**
 * `surgeline calls supervise <call> --extension <e> [--mode listen|whisper|barge]`: ring the
 * supervisor's phone into a call in conversation (or change the mode of the supervisor on
 * it); `--stop` hangs the supervisor up. POST/DELETE /api/v1/calls/{id}/supervise (C11).
 */
import { clientFor, path } from '../api-client.ts';
import { stringOpt, type Command } from '../args.ts';
import { UsageError } from '../errors.ts';
import { out, printJson } from '../output.ts';

export const supervise: Command = {
  summary: 'Listen to a call, whisper to its agent or barge in, from a supervisor phone.',
  synopsis: 'calls supervise <call> (--extension e [--mode listen|whisper|barge] | --stop)',
  details:
    "<call> is our call id or the caller's SIP Call-ID; the call must be in conversation with an agent.\n" +
    "The supervisor's registered phone rings; listen hears both sides, whisper lets the agent hear the\n" +
    'supervisor, barge lets both. Run again with another --mode to switch; --stop hangs the supervisor up.',
  options: {
    extension: { type: 'string', value: 'e', help: "the supervisor's registered extension" },
    mode: { type: 'string', value: 'm', help: 'listen (default), whisper or barge' },
    stop: { type: 'boolean', help: 'hang the supervisor up' },
  },
  positionals: ['call'],
  api: true,
  async run(args) {
    const call = args.positionals[0]!;
    const api = clientFor(args);
    if (args.values['stop'] === true) {
      await api.delete<void>(path`/calls/${call}/supervise`);
      if (!args.json) out(`${call}: supervisor hung up`);
      return;
    }
    const extension = stringOpt(args, 'extension');
    if (extension === undefined) throw new UsageError('calls supervise needs --extension (or --stop)');
    const mode = stringOpt(args, 'mode') ?? 'listen';
    const view = await api.post<{ callId: string; extension: string; mode: string; since: number }>(path`/calls/${call}/supervise`, { extension, mode });
    if (args.json) return printJson(view);
    out(`${view.callId}: ${view.extension} ${view.mode === 'listen' ? 'listening' : view.mode === 'whisper' ? 'whispering to the agent' : 'barged in'}`);
  },
};
