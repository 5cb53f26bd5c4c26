/**
 * `surgeline calls …`: list call records, show one call's journey, and tail the tenant's
 * live call events over the WebSocket GET /api/v1/events (spec D), one line per event.
 */
import WebSocket from 'ws';
import type { CallEvent } from '../../events/bus.ts';
import type { JourneyEntry } from '../../flows/interpreter.ts';
import { apiError, clientFor, listOf, path, type ApiClient } from '../api-client.ts';
import { intOpt, stringOpt, type Command } from '../args.ts';
import { CliError, UsageError } from '../errors.ts';
import { describeEntry, describeEvent, newNames, onLine, track, untrack, type EventNames } from '../event-line.ts';
import { clockTime, note, out, printJson, table, when } from '../output.ts';
import { supervise } from './supervise.ts';

/** A CallRecord as the API sends it (dates as ISO strings). */
export interface CallJson {
  id: string;
  lineId: string | null;
  caller: string;
  dialled: string;
  legs: { role: string; sipCallId: string; to?: string }[];
  flowId: string | null;
  flowVersion: number | null;
  startedAt: string;
  endedAt: string | null;
  outcome: string | null;
  target: unknown;
  journey: JourneyEntry[];
  variables: Record<string, string>;
}

interface LineJson {
  id: string;
  name: string;
}

/** Line and flow names for readable output; an empty map when the key may not read them. */
async function lookupNames(api: ApiClient): Promise<EventNames> {
  const names = newNames();
  const [lines, flows] = await Promise.allSettled([api.get<unknown>('/lines'), api.get<unknown>('/flows')]);
  if (lines.status === 'fulfilled') for (const l of listOf<LineJson>(lines.value, 'lines')) (names.lines as Map<string, string>).set(l.id, l.name);
  if (flows.status === 'fulfilled') for (const f of listOf<LineJson>(flows.value, 'flows')) (names.flows as Map<string, string>).set(f.id, f.name);
  return names;
}

async function lineId(api: ApiClient, ref: string): Promise<string> {
  const body = await api.get<{ id?: string; line?: { id: string } }>(path`/lines/${ref}`);
  const id = body.line?.id ?? body.id;
  if (typeof id !== 'string') throw new CliError(`unexpected answer from the API for line ${ref}`);
  return id;
}

function duration(c: CallJson): string {
  const end = c.endedAt === null ? Date.now() : Date.parse(c.endedAt);
  const s = Math.max(0, Math.round((end - Date.parse(c.startedAt)) / 1000));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}${c.endedAt === null ? '+' : ''}`;
}

const list: Command = {
  summary: 'List recent calls, newest first.',
  synopsis: 'calls list [--line l] [--active] [--since t] [--until t] [--limit n] [--before t]',
  details: 'Calls in progress are included. Times are ISO 8601; --before is the paging cursor (the start\ntime of the last call of the previous page).',
  options: {
    line: { type: 'string', value: 'l', help: 'only this line (id or number)' },
    active: { type: 'boolean', help: 'only calls in progress' },
    since: { type: 'string', value: 't', help: 'calls started at or after t' },
    until: { type: 'string', value: 't', help: 'calls started before t' },
    limit: { type: 'string', value: 'n', help: 'at most n calls (default 50, at most 500)' },
    before: { type: 'string', value: 't', help: 'calls started before t (paging)' },
  },
  positionals: [],
  api: true,
  async run(args) {
    const limit = intOpt(args, 'limit');
    for (const name of ['since', 'until', 'before']) {
      const v = stringOpt(args, name);
      if (v !== undefined && Number.isNaN(Date.parse(v))) throw new UsageError(`--${name} must be an ISO time, not "${v}"`);
    }
    const api = clientFor(args);
    const body = await api.get<unknown>('/calls', {
      line: stringOpt(args, 'line'),
      active: args.values.active === true ? 'true' : undefined,
      since: stringOpt(args, 'since'),
      until: stringOpt(args, 'until'),
      before: stringOpt(args, 'before'),
      limit,
    });
    const calls = listOf<CallJson>(body, 'calls');
    if (args.json) return printJson(calls);
    const names = await lookupNames(api);
    table(
      ['STARTED', 'ID', 'LINE', 'CALLER', 'DIALLED', 'TIME', 'OUTCOME'],
      calls.map((c) => [when(c.startedAt), c.id, c.lineId === null ? '-' : (names.lines.get(c.lineId) ?? c.lineId), c.caller, c.dialled, duration(c), c.outcome ?? 'in progress']),
    );
  },
};

const show: Command = {
  summary: "Show one call and its journey, step by step.",
  synopsis: 'calls show <id>',
  details: '<id> is the call id or the SIP Call-ID of any of its legs. Shows who called which number, the flow\nversion, how the call ended, its variables and every node, prompt and digit.',
  options: {},
  positionals: ['id'],
  api: true,
  async run(args) {
    const api = clientFor(args);
    const body = await api.get<CallJson | { call: CallJson }>(path`/calls/${args.positionals[0]!}`);
    const call = 'call' in body ? body.call : body;
    if (args.json) return printJson(call);
    const names = await lookupNames(api);
    out(`call ${call.id}`);
    out(`  from ${call.caller} to ${call.dialled} on ${call.lineId === null ? '-' : (names.lines.get(call.lineId) ?? call.lineId)}`);
    out(`  flow ${call.flowId === null ? '-' : `${names.flows.get(call.flowId) ?? call.flowId} v${call.flowVersion}`}`);
    out(`  started ${when(call.startedAt)}, ${call.endedAt === null ? 'in progress' : `ended ${when(call.endedAt)}: ${call.outcome}`}`);
    for (const leg of call.legs) out(`  leg ${leg.role} ${leg.sipCallId}${leg.to ? ` to ${leg.to}` : ''}`);
    const vars = Object.entries(call.variables);
    if (vars.length > 0) out(`  variables ${vars.map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(' ')}`);
    for (const entry of call.journey) out(`  ${clockTime(entry.at)}  ${describeEntry(entry)}`);
  },
};

const tail: Command = {
  summary: 'Follow live call events, one line each.',
  synopsis: 'calls tail [--line l] [--json]',
  details: 'Calls starting, every step of their journey, their end, announcement changes and publications:\ntime, call id, line, what happened. --json prints each event as one JSON line. Ctrl-C stops.',
  options: { line: { type: 'string', value: 'l', help: 'only this line (id or number)' } },
  positionals: [],
  api: true,
  async run(args) {
    const api = clientFor(args);
    const ref = stringOpt(args, 'line');
    const only = ref === undefined ? undefined : await lineId(api, ref);
    const names = args.json ? newNames() : await lookupNames(api);
    const url = api.url('/events');
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    await follow(url, api.target.key, (e) => {
      track(e, names);
      if (only === undefined || onLine(e, only, names)) out(args.json ? JSON.stringify(e) : describeEvent(e, names, Date.now()));
      untrack(e, names);
    });
  },
};

/** Streams events until the server closes the socket (an error, exit 1) or Ctrl-C (exit 0). */
function follow(url: URL, key: string, onEvent: (e: CallEvent) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers: { authorization: `Bearer ${key}` } });
    let stopping = false;
    const stop = (): void => {
      stopping = true;
      ws.close(1000);
      resolve();
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    const done = (err?: Error): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      if (err) reject(err);
      else resolve();
    };
    ws.on('unexpected-response', (_req, res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (text += d));
      res.on('end', () => {
        let body: unknown;
        try {
          body = JSON.parse(text);
        } catch {
          body = undefined;
        }
        done(apiError(res.statusCode ?? 0, 'GET', '/events', body));
        ws.terminate();
      });
    });
    ws.on('error', (err) => {
      const code = (err as NodeJS.ErrnoException).code;
      done(new CliError(`event stream ${url.origin}: ${code ?? err.message}`));
    });
    // On stderr, so stdout stays one line per event; scripts can wait for it before acting.
    ws.on('open', () => note(`following call events from ${url.origin} (Ctrl-C stops)`));
    ws.on('message', (data, isBinary) => {
      if (isBinary) return;
      let e: CallEvent;
      try {
        e = JSON.parse(data.toString()) as CallEvent;
      } catch {
        return;
      }
      onEvent(e);
    });
    ws.on('close', (code, reason) => {
      if (stopping) return done();
      done(new CliError(`the event stream closed (${code}${reason.length > 0 ? ` ${reason.toString()}` : ''})`));
    });
  });
}

export const callsCommands: Readonly<Record<string, Command>> = { tail, list, show, supervise };
