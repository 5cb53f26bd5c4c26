/**
 * `surgeline agents …` (issue 4 item 10): the tenant's agents with their live state, one
 * agent in full, and putting an agent on break (with a reason code) or back to available —
 * GET /agents, GET /agents/{agent}, PUT /agents/{agent}/state. An agent is named by
 * extension or id. With an agent's own key, `agents state` changes only that agent.
 */
import { clientFor, listOf, path } from '../api-client.ts';
import { stringOpt, type Command } from '../args.ts';
import { UsageError } from '../errors.ts';
import { out, printJson, table, when } from '../output.ts';

interface AgentJson {
  id: string;
  extension: string;
  username: string;
  displayName: string;
  skills: Record<string, number>;
  groups: string[];
  wrapUpSeconds: number | null;
  sip: boolean;
  state: { state: string; since: string | null; reason: string | null; source: string };
}

const skillsText = (s: Record<string, number>): string => Object.entries(s).map(([k, v]) => `${k}:${v}`).join(',') || '-';
const stateText = (a: AgentJson): string => `${a.state.state}${a.state.reason ? ` (${a.state.reason})` : ''}`;

const list: Command = {
  summary: 'List agents with their state, skills and groups.',
  synopsis: 'agents list',
  options: {},
  positionals: [],
  api: true,
  async run(args) {
    const agents = listOf<AgentJson>(await clientFor(args).get<unknown>('/agents'), 'agents');
    if (args.json) return printJson(agents);
    table(
      ['EXT', 'NAME', 'STATE', 'SINCE', 'SKILLS', 'GROUPS'],
      agents.map((a) => [a.extension, a.displayName, stateText(a), when(a.state.since), skillsText(a.skills), a.groups.join(',') || '-']),
    );
  },
};

const show: Command = {
  summary: 'Show one agent: state, skills, groups, wrap-up and whether a SIP password is set.',
  synopsis: 'agents show <agent>',
  details: '<agent> is an extension (e.g. 1001) or an agent id.',
  options: {},
  positionals: ['agent'],
  api: true,
  async run(args) {
    const [ref] = args.positionals as [string];
    const a = await clientFor(args).get<AgentJson>(path`/agents/${ref}`);
    if (args.json) return printJson(a);
    out(`agent ${a.extension}  ${a.displayName} (user ${a.username})`);
    out(`  state:    ${stateText(a)} since ${when(a.state.since)}${a.state.source === 'log' ? ' (from the state log)' : ''}`);
    out(`  skills:   ${skillsText(a.skills)}`);
    out(`  groups:   ${a.groups.join(', ') || '-'}`);
    out(`  wrap-up:  ${a.wrapUpSeconds === null ? "the queue's" : `${a.wrapUpSeconds} s`}`);
    out(`  phone:    ${a.sip ? 'SIP password set' : 'no SIP password (cannot register)'}`);
    out(`  id:       ${a.id}`);
  },
};

const STATES = ['available', 'break'] as const;

const state: Command = {
  summary: 'Put an agent on break (with a reason) or back to available.',
  synopsis: 'agents state <agent> <available|break> [--reason r]',
  details:
    'A break asked for during a call is taken when the call ends. An offline agent (no phone registered)\ncannot be made available: its phone must register.\nExample: surgeline agents state 1001 break --reason lunch',
  options: { reason: { type: 'string', value: 'r', help: 'the break reason code (default "break")' } },
  positionals: ['agent', 'available|break'],
  api: true,
  async run(args) {
    const [ref, wanted] = args.positionals as [string, string];
    if (!(STATES as readonly string[]).includes(wanted)) throw new UsageError(`the state must be available or break, not "${wanted}"`);
    const reason = stringOpt(args, 'reason');
    if (reason !== undefined && wanted !== 'break') throw new UsageError('--reason goes with break');
    const body = wanted === 'break' ? { state: 'break', ...(reason !== undefined ? { reason } : {}) } : { state: 'available' };
    const a = await clientFor(args).put<AgentJson>(path`/agents/${ref}/state`, body);
    if (args.json) return printJson(a);
    out(`agent ${a.extension}: ${stateText(a)}`);
  },
};

/** "orders:8,returns:5" (or orders=8) → { orders: 8, returns: 5 }; "" → {} (no skills). */
export function parseSkills(text: string): Record<string, number> {
  const skills: Record<string, number> = {};
  for (const part of text.split(',').map((p) => p.trim()).filter((p) => p !== '')) {
    const m = /^([A-Za-z0-9_.-]{1,64})[:=]([1-9]|10)$/.exec(part);
    if (!m) throw new UsageError(`--skills: "${part}" is not skill:level with a level from 1 to 10 (e.g. orders:8)`);
    skills[m[1]!] = Number(m[2]);
  }
  return skills;
}

const set: Command = {
  summary: "Change an agent's skills, groups or wrap-up time (routing uses them at once).",
  synopsis: 'agents set <agent> [--skills s] [--groups g] [--wrap-up seconds]',
  details:
    '--skills replaces the skills: skill:level pairs, comma-separated, levels 1-10 ("" for none).\n--groups replaces the groups, comma-separated ("" for none).\nExample: surgeline agents set 1004 --skills incidents:7,orders:5 --groups sktickets,egou-backup',
  options: {
    skills: { type: 'string', value: 's', help: 'skill:level,… (replaces the skills)' },
    groups: { type: 'string', value: 'g', help: 'group,… (replaces the groups)' },
    'wrap-up': { type: 'string', value: 'seconds', help: "the agent's own wrap-up time" },
  },
  positionals: ['agent'],
  api: true,
  async run(args) {
    const [ref] = args.positionals as [string];
    const body: Record<string, unknown> = {};
    const skills = stringOpt(args, 'skills');
    if (skills !== undefined) body['skills'] = parseSkills(skills);
    const groups = stringOpt(args, 'groups');
    if (groups !== undefined) body['groups'] = groups.split(',').map((g) => g.trim()).filter((g) => g !== '');
    const wrap = stringOpt(args, 'wrap-up');
    if (wrap !== undefined) {
      if (!/^\d{1,4}$/.test(wrap)) throw new UsageError(`--wrap-up must be whole seconds, not "${wrap}"`);
      body['wrapUpSeconds'] = Number(wrap);
    }
    if (Object.keys(body).length === 0) throw new UsageError('nothing to change: give --skills, --groups or --wrap-up');
    const a = await clientFor(args).patch<AgentJson>(path`/agents/${ref}`, body);
    if (args.json) return printJson(a);
    out(`agent ${a.extension}: skills ${skillsText(a.skills)}; groups ${a.groups.join(',') || '-'}; wrap-up ${a.wrapUpSeconds === null ? "the queue's" : `${a.wrapUpSeconds} s`}`);
  },
};

export const agentsCommands: Readonly<Record<string, Command>> = { list, show, state, set };
