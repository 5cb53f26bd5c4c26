/**
 * `surgeline trunk show|set` (issue 4 items 7 and 10): the tenant's outbound trunk, which
 * callbacks and transfers dial through — GET/PUT /trunk (admins). The password is sent once
 * and kept by the server only as a digest HA1; it is never shown.
 */
import { clientFor } from '../api-client.ts';
import { stringOpt, type Command } from '../args.ts';
import { out, printJson } from '../output.ts';

interface TrunkJson {
  uri: string;
  username: string | null;
  realm: string | null;
  callerId: string | null;
  /** Whether digest credentials are stored. */
  credentials: boolean;
}

function print(t: TrunkJson): void {
  out(`trunk ${t.uri}`);
  out(`  username:  ${t.username ?? '-'}${t.credentials ? ' (password stored as HA1)' : ''}`);
  out(`  realm:     ${t.realm ?? "the URI's host"}`);
  out(`  caller ID: ${t.callerId ?? "the caller's number"}`);
}

const show: Command = {
  summary: "Show the tenant's outbound trunk (never its password).",
  synopsis: 'trunk show',
  options: {},
  positionals: [],
  api: true,
  async run(args) {
    const t = await clientFor(args).get<TrunkJson>('/trunk');
    if (args.json) return printJson(t);
    print(t);
  },
};

const set: Command = {
  summary: "Point the tenant's outbound trunk at a SIP URI, with digest credentials and a caller ID.",
  synopsis: 'trunk set <uri> [--username u] [--password p] [--realm r] [--caller-id n]',
  details: 'Example: surgeline trunk set sip:carrier.example.com --username acct42 --password s3cret --caller-id 4008001111',
  options: {
    username: { type: 'string', value: 'u', help: 'digest user name' },
    password: { type: 'string', value: 'p', help: 'digest password (stored as HA1 only)' },
    realm: { type: 'string', value: 'r', help: "digest realm (default the URI's host)" },
    'caller-id': { type: 'string', value: 'n', help: 'the number callees see' },
  },
  positionals: ['uri'],
  api: true,
  async run(args) {
    const [uri] = args.positionals as [string];
    const body: Record<string, unknown> = { uri };
    for (const [opt, field] of [['username', 'username'], ['password', 'password'], ['realm', 'realm'], ['caller-id', 'callerId']] as const) {
      const v = stringOpt(args, opt);
      if (v !== undefined) body[field] = v;
    }
    const t = await clientFor(args).put<TrunkJson>('/trunk', body);
    if (args.json) return printJson(t);
    print(t);
  },
};

export const trunkCommands: Readonly<Record<string, Command>> = { show, set };
