/**
 * `surgeline queues …` (issue 4 item 10): list queues, show one's configuration, and push a
 * configuration file (JSON or YAML; one queue or a list of them) — PUT /queues/{name}, which
 * creates or replaces it. The server checks it with queueConfigSchema and names the field it
 * refuses.
 */
import { clientFor, isRecord, listOf, path } from '../api-client.ts';
import type { Command } from '../args.ts';
import { CliError } from '../errors.ts';
import { readFlowFile } from '../flow-file.ts';
import { out, printJson, table } from '../output.ts';

interface QueueJson {
  id: string;
  name: string;
  config: {
    displayName?: string;
    priority: number;
    strategy: string;
    requiredSkills: { skill: string; minProficiency: number }[];
    agentGroups: string[];
    maxSize?: number;
    maxWaitSeconds?: number;
    tiers: { name: string }[];
  } & Record<string, unknown>;
  updatedAt: string;
}

const skills = (q: QueueJson): string => q.config.requiredSkills.map((s) => `${s.skill}≥${s.minProficiency}`).join(',') || '-';

const list: Command = {
  summary: 'List queues with priority, strategy, required skills and agent groups.',
  synopsis: 'queues list',
  options: {},
  positionals: [],
  api: true,
  async run(args) {
    const queues = listOf<QueueJson>(await clientFor(args).get<unknown>('/queues'), 'queues');
    if (args.json) return printJson(queues);
    table(
      ['NAME', 'PRIORITY', 'STRATEGY', 'SKILLS', 'GROUPS', 'TIERS'],
      queues.map((q) => [q.name, String(q.config.priority), q.config.strategy, skills(q), q.config.agentGroups.join(',') || '-', String(q.config.tiers.length)]),
    );
  },
};

const show: Command = {
  summary: "Show a queue's whole configuration (JSON, defaults filled in).",
  synopsis: 'queues show <queue>',
  details: '<queue> is a queue name or id. The output can be edited and pushed back with queues push.',
  options: {},
  positionals: ['queue'],
  api: true,
  async run(args) {
    const [ref] = args.positionals as [string];
    const q = await clientFor(args).get<QueueJson>(path`/queues/${ref}`);
    printJson(args.json ? q : { name: q.name, ...q.config });
  },
};

const push: Command = {
  summary: 'Create or replace queues from a JSON or YAML file (one queue, or a list).',
  synopsis: 'queues push <file>',
  details: 'Each queue is sent as PUT /queues/<name>; "-" reads stdin.\nExample: surgeline queues push egou-orders.yaml',
  options: {},
  positionals: ['file'],
  api: true,
  async run(args) {
    const [file] = args.positionals as [string];
    const { name: source, document } = readFlowFile(file);
    const configs = Array.isArray(document) ? document : [document];
    for (const [i, c] of configs.entries()) {
      if (!isRecord(c) || typeof c.name !== 'string' || c.name === '') {
        throw new CliError(`${source}${configs.length > 1 ? ` [${i}]` : ''}: name: a queue needs a name`);
      }
    }
    const api = clientFor(args);
    const saved: QueueJson[] = [];
    for (const c of configs as Array<Record<string, unknown> & { name: string }>) {
      try {
        saved.push(await api.put<QueueJson>(path`/queues/${c.name}`, c));
      } catch (err) {
        if (err instanceof CliError) throw new CliError(`queue ${c.name}: ${err.message}`, err.exitCode);
        throw err;
      }
    }
    if (args.json) return printJson(saved);
    for (const q of saved) out(`queue ${q.name}: saved`);
  },
};

export const queuesCommands: Readonly<Record<string, Command>> = { list, show, push };
