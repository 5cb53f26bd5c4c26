/**
 * `surgeline key …`: create an API key for your tenant (the secret is shown once), list
 * keys and revoke one (spec D: /keys, admin only).
 */
import { clientFor, listOf, path } from '../api-client.ts';
import { stringOpt, type Command } from '../args.ts';
import { UsageError } from '../errors.ts';
import { note, out, printJson, table, when } from '../output.ts';

const ROLES = ['admin', 'supervisor', 'agent'] as const;

interface ApiKeyJson {
  id: string;
  name: string;
  role: string;
  prefix?: string;
  createdAt: string;
  lastUsedAt?: string | null;
  revokedAt?: string | null;
}

const create: Command = {
  summary: 'Create an API key (shown once).',
  synopsis: 'key create --name n --role admin|supervisor|agent [--user u]',
  details:
    "Prints the key alone on stdout: it is stored hashed and never shown again.\n--user makes the key speak for a user (id, user name, or an agent's extension): an agent key is then that agent's.\nExample: export SURGELINE_API_KEY=$(surgeline key create --name ops-laptop --role supervisor)\nExample: surgeline key create --name desk-1001 --role agent --user 1001",
  options: {
    name: { type: 'string', value: 'n', help: 'what the key is for' },
    role: { type: 'string', value: 'r', help: 'admin, supervisor or agent' },
    user: { type: 'string', value: 'u', help: "the user it speaks for (role at least the key's)" },
  },
  positionals: [],
  api: true,
  async run(args) {
    const name = stringOpt(args, 'name');
    const role = stringOpt(args, 'role');
    if (name === undefined || name.trim() === '') throw new UsageError('key create needs --name');
    if (role === undefined) throw new UsageError(`key create needs --role (${ROLES.join(', ')})`);
    if (!(ROLES as readonly string[]).includes(role)) throw new UsageError(`--role must be one of ${ROLES.join(', ')}, not "${role}"`);
    const user = stringOpt(args, 'user');
    const res = await clientFor(args).post<{ key: string; apiKey: ApiKeyJson }>('/keys', { name, role, ...(user !== undefined ? { user } : {}) });
    if (args.json) return printJson(res);
    out(res.key);
    note(`created ${res.apiKey.role} key "${res.apiKey.name}" (id ${res.apiKey.id}); keep it now: it is not shown again`);
  },
};

const list: Command = {
  summary: 'List API keys (never their secrets).',
  synopsis: 'key list',
  options: {},
  positionals: [],
  api: true,
  async run(args) {
    const keys = listOf<ApiKeyJson>(await clientFor(args).get<unknown>('/keys'), 'keys');
    if (args.json) return printJson(keys);
    table(
      ['ID', 'NAME', 'ROLE', 'PREFIX', 'CREATED', 'LAST USED', 'REVOKED'],
      keys.map((k) => [k.id, k.name, k.role, k.prefix ?? '-', when(k.createdAt), when(k.lastUsedAt), when(k.revokedAt)]),
    );
  },
};

const revoke: Command = {
  summary: 'Revoke an API key by its id.',
  synopsis: 'key revoke <id>',
  options: {},
  positionals: ['id'],
  api: true,
  async run(args) {
    const id = args.positionals[0]!;
    const res = await clientFor(args).delete<unknown>(path`/keys/${id}`);
    if (args.json) return printJson(res ?? { revoked: id });
    out(`revoked key ${id}`);
  },
};

export const keyCommands: Readonly<Record<string, Command>> = { create, list, revoke };
