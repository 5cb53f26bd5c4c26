/**
 * `surgeline flow …`: validate a flow file locally (no server), push it as a new version,
 * publish, roll back, list and show flows through the API (spec D: /flows).
 */
import { stringify as toYaml } from 'yaml';
import { validateFlow } from '../../flows/validate.ts';
import { clientFor, formatProblem, listOf, path } from '../api-client.ts';
import { intOpt, stringOpt, type Command } from '../args.ts';
import { CliError } from '../errors.ts';
import { readableOrder } from '../document-order.ts';
import { readFlowFile } from '../flow-file.ts';
import { note, out, printJson, table, when } from '../output.ts';

/** A flow as the API lists it (FlowSummary, dates as ISO strings). */
export interface FlowSummaryJson {
  id: string;
  name: string;
  publishedVersion: number | null;
  publishedAt: string | null;
  latestVersion: number;
  createdAt: string;
}

export interface FlowVersionJson {
  flowId: string;
  version: number;
  document: unknown;
  comment: string | null;
  createdBy: string;
  createdAt: string;
}

const validate: Command = {
  summary: 'Check a flow file (JSON or YAML) locally, no server needed.',
  synopsis: 'flow validate <file>',
  details: 'Prints each problem as "<path>: <message>" and exits 1 when there is any. Warnings (a variable read\nbefore any path sets it) are printed as "warning: <path>: <message>" and do not fail. <file> may be "-" for stdin.',
  options: { json: { type: 'boolean', help: 'machine output: {ok, problems, warnings}' } },
  positionals: ['file'],
  api: false,
  async run(args) {
    const file = readFlowFile(args.positionals[0]!);
    const result = validateFlow(file.document);
    const problems = result.ok ? [] : result.problems;
    if (args.json) {
      printJson({ ok: result.ok, problems, warnings: result.warnings });
    } else {
      for (const p of problems) out(formatProblem(p));
      for (const w of result.warnings) out(`warning: ${formatProblem(w)}`);
      const counts = [plural(problems.length, 'problem'), ...(result.warnings.length ? [plural(result.warnings.length, 'warning')] : [])];
      out(result.ok ? `${file.name}: flow "${result.flow.name}" is valid (${plural(Object.keys(result.flow.nodes).length, 'node')}${result.warnings.length ? `, ${counts[1]}` : ''})` : `${file.name}: ${counts.join(', ')}`);
    }
    if (!result.ok) process.exitCode = 1;
  },
};

const push: Command = {
  summary: 'Push a flow file as a new version (a draft unless --publish).',
  synopsis: 'flow push <file> [--publish] [--comment c]',
  details: 'The version is added to the flow the document names (created if new). The server validates it;\nproblems come back one per line as "<path>: <message>" (exit 1).',
  options: {
    publish: { type: 'boolean', help: 'publish the new version at once' },
    comment: { type: 'string', value: 'c', help: 'why this version (kept with it)' },
  },
  positionals: ['file'],
  api: true,
  async run(args) {
    const file = readFlowFile(args.positionals[0]!);
    const api = clientFor(args);
    const res = await api.post<{ flow: FlowSummaryJson; version: FlowVersionJson }>('/flows', file.document, {
      publish: args.values.publish === true ? 'true' : undefined,
      comment: stringOpt(args, 'comment'),
    });
    if (args.json) return printJson(res);
    const published = res.flow.publishedVersion === res.version.version;
    out(`pushed ${res.flow.name} version ${res.version.version}${published ? ', published' : ' (draft)'}`);
    // The server refuses problems but does not send warnings back; they are computed here.
    for (const w of validateFlow(file.document).warnings) note(`warning: ${formatProblem(w)}`);
  },
};

function moveCommand(verb: 'publish' | 'rollback'): Command {
  return {
    summary:
      verb === 'publish'
        ? 'Publish a version of a flow (default the latest).'
        : 'Roll a flow back to an earlier version.',
    synopsis: `flow ${verb} <flow> [--version n]`,
    details:
      verb === 'publish'
        ? "<flow> is the flow's name or id. New calls run the published version; calls in progress keep theirs."
        : "<flow> is the flow's name or id. Default: the version published before the current one.",
    options: { version: { type: 'string', value: 'n', help: verb === 'publish' ? 'the version to publish' : 'the version to go back to' } },
    positionals: ['flow'],
    api: true,
    async run(args) {
      const version = intOpt(args, 'version');
      const api = clientFor(args);
      const res = await api.post<FlowSummaryJson>(path`/flows/${args.positionals[0]!}/${verb}`, version === undefined ? {} : { version });
      const flow = unwrapFlow(res);
      if (args.json) return printJson(res);
      out(verb === 'publish' ? `${flow.name}: version ${flow.publishedVersion} published` : `${flow.name}: rolled back to version ${flow.publishedVersion}`);
    },
  };
}

const list: Command = {
  summary: 'List flows with their published and latest versions.',
  synopsis: 'flow list',
  options: {},
  positionals: [],
  api: true,
  async run(args) {
    const body = await clientFor(args).get<unknown>('/flows');
    const flows = listOf<FlowSummaryJson>(body, 'flows');
    if (args.json) return printJson(flows);
    table(
      ['NAME', 'PUBLISHED', 'LATEST', 'PUBLISHED AT', 'ID'],
      flows.map((f) => [f.name, f.publishedVersion === null ? '-' : `v${f.publishedVersion}`, `v${f.latestVersion}`, when(f.publishedAt), f.id]),
    );
  },
};

const show: Command = {
  summary: 'Print a flow version as YAML (default the published one).',
  synopsis: 'flow show <flow> [--version n]',
  details: 'Without --version: the published version, else the latest. The YAML can be edited and pushed\nagain. --json prints {flow, version}.',
  options: { version: { type: 'string', value: 'n', help: 'which version' } },
  positionals: ['flow'],
  api: true,
  async run(args) {
    const ref = args.positionals[0]!;
    const wanted = intOpt(args, 'version');
    const api = clientFor(args);
    const flow = unwrapFlow(await api.get<unknown>(path`/flows/${ref}`));
    const n = wanted ?? flow.publishedVersion ?? flow.latestVersion;
    const version = unwrapVersion(await api.get<unknown>(path`/flows/${flow.id}/versions/${n}`));
    if (args.json) return printJson({ flow, version });
    const state = flow.publishedVersion === version.version ? 'published' : flow.publishedVersion === null ? 'never published' : `published is v${flow.publishedVersion}`;
    out(`# flow ${flow.name} version ${version.version} of ${flow.latestVersion} (${state})`);
    out(`# pushed by ${version.createdBy} at ${when(version.createdAt)}${version.comment ? `: ${version.comment}` : ''}`);
    process.stdout.write(toYaml(readableOrder(version.document), { lineWidth: 0 }));
  },
};

const versions: Command = {
  summary: "List a flow's versions: who pushed each, when, why, and which is published.",
  synopsis: 'flow versions <flow>',
  details: "<flow> is the flow's name or id. Any earlier version can be published again with flow rollback --version n.",
  options: {},
  positionals: ['flow'],
  api: true,
  async run(args) {
    const api = clientFor(args);
    const flow = unwrapFlow(await api.get<unknown>(path`/flows/${args.positionals[0]!}`));
    const all = listOf<FlowVersionJson>(await api.get<unknown>(path`/flows/${flow.id}/versions`), 'versions');
    if (args.json) return printJson(all.map(({ document: _document, ...v }) => ({ ...v, published: v.version === flow.publishedVersion })));
    table(
      ['VERSION', 'PUBLISHED', 'PUSHED BY', 'PUSHED AT', 'COMMENT'],
      all.map((v) => [`v${v.version}`, v.version === flow.publishedVersion ? 'yes' : '', v.createdBy, when(v.createdAt), v.comment ?? '']),
    );
  },
};

/** The API may answer a flow bare or as { flow }. */
function unwrapFlow(body: unknown): FlowSummaryJson {
  const b = body as { flow?: FlowSummaryJson } & Partial<FlowSummaryJson>;
  const flow = b.flow ?? (b as FlowSummaryJson);
  if (typeof flow?.name !== 'string') throw new CliError('unexpected answer from the API: expected a flow');
  return flow;
}

function unwrapVersion(body: unknown): FlowVersionJson {
  const b = body as { version?: FlowVersionJson } & Partial<FlowVersionJson>;
  const v = typeof b.version === 'object' && b.version !== null ? b.version : (b as FlowVersionJson);
  if (typeof v?.version !== 'number') throw new CliError('unexpected answer from the API: expected a flow version');
  return v;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

export const flowCommands: Readonly<Record<string, Command>> = {
  validate,
  push,
  publish: moveCommand('publish'),
  rollback: moveCommand('rollback'),
  list,
  show,
  versions,
};
