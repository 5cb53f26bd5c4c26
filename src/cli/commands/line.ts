/**
 * `surgeline line …`: the tenant's lines with their numbers and flows, and switching the
 * flow a line runs (E購網 from its normal-days flow to its Double-11 flow and back) —
 * spec D: GET /lines, PATCH /lines/{line} {flow}. New calls take the new flow at once.
 */
import { clientFor, listOf, path } from '../api-client.ts';
import type { Command } from '../args.ts';
import { out, printJson, table } from '../output.ts';

interface LineJson {
  id: string;
  name: string;
  timeZone: string;
  flowId: string | null;
  numbers: string[];
}

interface FlowJson {
  id: string;
  name: string;
  publishedVersion: number | null;
}

const list: Command = {
  summary: 'List lines with their numbers, time zone and flow.',
  synopsis: 'line list',
  options: {},
  positionals: [],
  api: true,
  async run(args) {
    const api = clientFor(args);
    const lines = listOf<LineJson>(await api.get<unknown>('/lines'), 'lines');
    if (args.json) return printJson(lines);
    const flows = new Map(listOf<FlowJson>(await api.get<unknown>('/flows'), 'flows').map((f) => [f.id, f] as const));
    table(
      ['NAME', 'NUMBERS', 'TIME ZONE', 'FLOW', 'ID'],
      lines.map((l) => {
        const f = l.flowId === null ? undefined : flows.get(l.flowId);
        const flow = l.flowId === null ? '-' : f === undefined ? l.flowId : `${f.name}${f.publishedVersion === null ? ' (unpublished)' : ` v${f.publishedVersion}`}`;
        return [l.name, l.numbers.join(',') || '-', l.timeZone, flow, l.id];
      }),
    );
  },
};

const flow: Command = {
  summary: 'Switch the flow a line runs (new calls take it at once; "none" detaches).',
  synopsis: 'line flow <line> <flow|none>',
  details: "<line> is a line id or one of its numbers; <flow> a flow's name or id. Calls in progress keep their flow.\nExample: surgeline line flow 4008001111 egou-double11",
  options: {},
  positionals: ['line', 'flow|none'],
  api: true,
  async run(args) {
    const [ref, flowRef] = args.positionals as [string, string];
    const line = await clientFor(args).request<LineJson>('PATCH', path`/lines/${ref}`, { body: { flow: flowRef === 'none' ? null : flowRef } });
    if (args.json) return printJson(line);
    out(flowRef === 'none' ? `${line.name}: no flow (new calls are refused)` : `${line.name}: runs flow ${flowRef}`);
  },
};

export const lineCommands: Readonly<Record<string, Command>> = { list, flow };
