/**
 * `surgeline queues …` (issue 4 item 10): list queues, show one's configuration, and push a
 * configuration file (JSON or YAML; one queue or a list of them) — PUT /queues/{name}, which
 * creates or replaces it. The server checks it with queueConfigSchema and names the field it
 * refuses.
 */
import { clientFor, isRecord, listOf, path } from '../api-client.ts';
import { intOpt, stringOpt, type Command } from '../args.ts';
import { CliError, UsageError } from '../errors.ts';
import { durationMs } from '../expires.ts';
import { readFlowFile } from '../flow-file.ts';
import { out, printJson, table, when } from '../output.ts';

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

interface StatsJson {
  queue: string;
  offered: number;
  answered: number;
  abandoned: number;
  callbacks: number;
  voicemails: number;
  answeredWithinTarget: number;
  avgWaitMs: number | null;
  avgTalkMs: number | null;
  longestWaitMs: number | null;
}

const seconds = (ms: number | null): string => (ms === null ? '-' : `${Math.round(ms / 1000)}s`);

const stats: Command = {
  summary: 'Per-queue figures of an interval: offered, answered, abandoned, service level, ASA (average wait of the answered), longest wait, average talk.',
  synopsis: 'queues stats [--last d] [--since t --until t] [--sl s]',
  details: 'The interval is the last hour unless --last (30m, 2h, 1d) or --since/--until (ISO times with a zone) say otherwise.\nService level: answered within --sl seconds (default 30) of the calls offered.\nExample: surgeline queues stats --last 15m',
  options: {
    last: { type: 'string', value: 'd', help: 'the interval up to now (default 1h)' },
    since: { type: 'string', value: 't', help: 'start of the interval (ISO, with a zone)' },
    until: { type: 'string', value: 't', help: 'end of the interval (default now)' },
    sl: { type: 'string', value: 's', help: 'service-level target in seconds (default 30)' },
  },
  positionals: [],
  api: true,
  async run(args) {
    const last = stringOpt(args, 'last');
    const since = stringOpt(args, 'since');
    if (last !== undefined && since !== undefined) throw new UsageError('give --last or --since, not both');
    const now = Date.now();
    let from = since;
    if (from === undefined) {
      const ms = durationMs(last ?? '1h');
      if (ms === undefined) throw new UsageError(`--last ${last}: expected a duration such as 15m, 2h or 1d`);
      from = new Date(now - ms).toISOString();
    }
    const rows = listOf<StatsJson>(
      await clientFor(args).get<unknown>('/queue-stats', { since: from, until: stringOpt(args, 'until') ?? new Date(now).toISOString(), serviceLevelSeconds: intOpt(args, 'sl') }),
      'queue figures',
    );
    if (args.json) return printJson(rows);
    table(
      ['QUEUE', 'OFFERED', 'ANSWERED', 'ABANDONED', 'CALLBACKS', 'SL', 'ASA', 'LONGEST', 'AVG TALK'],
      rows.map((r) => [
        r.queue,
        String(r.offered),
        String(r.answered),
        String(r.abandoned),
        String(r.callbacks),
        r.offered === 0 ? '-' : `${Math.round((100 * r.answeredWithinTarget) / r.offered)}%`,
        seconds(r.avgWaitMs),
        seconds(r.longestWaitMs),
        seconds(r.avgTalkMs),
      ]),
    );
  },
};

interface QueueCallJson {
  id: string;
  callId: string;
  queue: string;
  enteredAt: string;
  agentId: string | null;
  outcome: string | null;
  waitMs: number | null;
  talkMs: number | null;
  wrapCode: string | null;
}

const calls: Command = {
  summary: 'Call detail records of the queues, newest first: entry, wait, outcome, talk, wrap-up code.',
  synopsis: 'queues calls [--queue q] [--agent a] [--limit n]',
  details: '--agent takes an agent id or extension. An agent key lists the calls its agent answered.',
  options: {
    queue: { type: 'string', value: 'q', help: 'only this queue' },
    agent: { type: 'string', value: 'a', help: 'only calls this agent answered' },
    limit: { type: 'string', value: 'n', help: 'at most n (default 50)' },
  },
  positionals: [],
  api: true,
  async run(args) {
    const rows = listOf<QueueCallJson>(
      await clientFor(args).get<unknown>('/queue-calls', { queue: stringOpt(args, 'queue'), agent: stringOpt(args, 'agent'), limit: intOpt(args, 'limit') }),
      'queue calls',
    );
    if (args.json) return printJson(rows);
    table(
      ['ENTERED', 'QUEUE', 'OUTCOME', 'WAIT', 'TALK', 'WRAP CODE', 'CALL'],
      rows.map((r) => [when(r.enteredAt), r.queue, r.outcome ?? 'waiting', seconds(r.waitMs), seconds(r.talkMs), r.wrapCode ?? '-', r.callId]),
    );
  },
};

export const queuesCommands: Readonly<Record<string, Command>> = { list, show, push, stats, calls };
