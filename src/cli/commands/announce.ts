/**
 * `surgeline announce <line> <preset|text>`: switch a line's announcement slot (incident
 * mode) in one command — to a staged preset when the word names one of the slot's presets
 * (e.g. SKTickets' normal / outage / recovered), otherwise to that text. Values fill the
 * text's [時間], [網址] and [預估時間]; --expires empties the slot at a time.
 */
import { clientFor, listOf, path } from '../api-client.ts';
import { stringOpt, type Command } from '../args.ts';
import { CliError } from '../errors.ts';
import { parseExpires } from '../expires.ts';
import { out, printJson, when } from '../output.ts';

interface PresetJson {
  name: string;
  text: string | null;
}

/** A SlotState as the API sends it. */
export interface SlotJson {
  slot: string;
  version: number;
  preset: string | null;
  text: string | null;
  expiresAt: number | string | null;
}

/** Which flag fills a placeholder, by the spellings the server names them with. */
const FLAG_OF: ReadonlyArray<[RegExp, string]> = [
  [/\[(預估時間|预估时间|eta|estimate[^\]]*)\]/i, '--estimate'],
  [/\[(時間|时间|time)\]/i, '--time'],
  [/\[(網址|网址|url)\]/i, '--url'],
];

/** A refused change whose text lacks values gets a hint naming the flags that give them. */
function withValueHint(err: unknown, line: string, what: string): unknown {
  if (!(err instanceof CliError) || !/no value for/.test(err.message)) return err;
  const flags = FLAG_OF.filter(([re]) => re.test(err.message)).map(([, flag]) => flag);
  if (flags.length === 0) return err;
  const example = flags.map((f) => `${f} …`).join(' ');
  return new CliError(`${err.message}\nhint: the text needs ${flags.join(', ')}: surgeline announce ${line} ${JSON.stringify(what)} ${example}`);
}

export const announceCommand: Command = {
  summary: "Switch a line's announcement to a preset or a text.",
  synopsis: 'announce <line> <preset|text> [--slot banner] [--expires 2h|ISO] [--time t] [--url u] [--estimate e]',
  details: [
    '<line> is a line id or one of its numbers. A word naming one of the slot\'s presets picks that preset;',
    'anything else is the text itself (an empty text "" empties the slot). The text may use [時間], [網址]',
    'and [預估時間]; give their values with --time, --url and --estimate.',
    'Example: surgeline announce 4008002222 outage --time 18:00 --url https://sktickets.example',
  ].join('\n'),
  options: {
    slot: { type: 'string', value: 'name', help: 'the announcement slot (default banner)' },
    expires: { type: 'string', value: 'when', help: 'empty the slot after 90s / 30m / 2h / 1d, or at an ISO time' },
    time: { type: 'string', value: 't', help: 'value of [時間] (time)' },
    url: { type: 'string', value: 'u', help: 'value of [網址] (url)' },
    estimate: { type: 'string', value: 'e', help: 'value of [預估時間] (estimated time)' },
  },
  positionals: ['line', 'preset|text'],
  api: true,
  async run(args) {
    const [line, what] = args.positionals as [string, string];
    const slot = stringOpt(args, 'slot') ?? 'banner';
    const expires = stringOpt(args, 'expires');
    const expiresAt = expires === undefined ? undefined : parseExpires(expires, Date.now());
    const values: Record<string, string> = {};
    const time = stringOpt(args, 'time');
    const url = stringOpt(args, 'url');
    const estimate = stringOpt(args, 'estimate');
    if (time !== undefined) values['時間'] = time;
    if (url !== undefined) values['網址'] = url;
    if (estimate !== undefined) values['預估時間'] = estimate;

    const api = clientFor(args);
    const presets = listOf<PresetJson>(await api.get<unknown>(path`/lines/${line}/announcements/${slot}/presets`), 'presets');
    const isPreset = presets.some((p) => p.name === what);
    const body = {
      ...(isPreset ? { preset: what } : { text: what }),
      ...(Object.keys(values).length > 0 ? { values } : {}),
      ...(expiresAt !== undefined ? { expiresAt } : {}),
    };
    const res = await api.put<unknown>(path`/lines/${line}/announcements/${slot}`, body).catch((err: unknown) => {
      throw withValueHint(err, line, what);
    });
    if (args.json) return printJson(res);
    const state = ((res as { state?: SlotJson }).state ?? res) as SlotJson;
    const label = state.preset !== null && state.preset !== undefined ? ` (preset ${state.preset})` : '';
    out(`${line} ${state.slot} v${state.version}${label}: ${state.text ?? '(empty: callers hear nothing)'}`);
    if (state.expiresAt !== null && state.expiresAt !== undefined) out(`expires ${when(state.expiresAt)}`);
  },
};
