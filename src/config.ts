import { parseArgs } from 'node:util';
import path from 'node:path';
import { z } from 'zod';

/** Where every port and path of a node comes from: flags first, then SURGELINE_* environment, then defaults. */
export interface Config {
  readonly host: string;
  readonly sipPort: number;
  readonly httpPort: number;
  readonly rtpPorts: readonly [number, number];
  readonly dataDir: string;
  /** PostgreSQL instead of the embedded store (PGlite in dataDir). */
  readonly databaseUrl?: string | undefined;
  readonly maxCalls: number;
  readonly mediaWorkers?: number | undefined;
  /** Nice value for media worker threads (negative needs root or CAP_SYS_NICE; refused values are logged and ignored). */
  readonly mediaNice: number;
  /** Seconds without RTP from an agent's phone before its call is ended (0: never). */
  readonly agentRtpTimeout: number;
  /** Seconds between in-dialog OPTIONS to an agent's phone in a call; no answer, 481 or 408 ends the call (0: never). */
  readonly agentKeepalive: number;
  readonly logLevel: string;
  /** Digest algorithms offered to phones, in order (RFC 8760 §2.4: the UAC takes the first it supports). */
  readonly digestAlgorithms: readonly ('MD5' | 'SHA-256')[];
  /** Base URL of an HTTP audio store for recordings and voicemails (PUT/GET/DELETE); none: the data directory. */
  readonly audioStore?: string | undefined;
  /** Authorization header for the audio store; from the environment only (SURGELINE_AUDIO_STORE_AUTH), never a flag. */
  readonly audioStoreAuth?: string | undefined;
}

const portSchema = z.coerce.number().int().min(1).max(65535);

export const rangeSchema = z
  .string()
  .regex(/^\d+-\d+$/, 'expected a port range such as 20000-29999')
  .transform((s, ctx) => {
    const [lo, hi] = s.split('-').map(Number) as [number, number];
    if (lo < 1024 || hi > 65535 || lo >= hi || hi - lo < 3) {
      ctx.addIssue({ code: 'custom', message: `bad RTP port range ${s}: need 1024 <= low < high <= 65535 and room for two legs` });
      return z.NEVER;
    }
    return [lo, hi] as const;
  });

const configSchema = z.object({
  host: z.string().min(1),
  sipPort: portSchema,
  httpPort: portSchema,
  rtpPorts: rangeSchema,
  dataDir: z.string().min(1),
  databaseUrl: z.string().regex(/^postgres(ql)?:\/\//, 'expected postgres://user@host:port/database').optional(),
  maxCalls: z.coerce.number().int().min(1),
  mediaWorkers: z.coerce.number().int().min(1).max(64).optional(),
  mediaNice: z.coerce.number().int().min(-20).max(19),
  agentRtpTimeout: z.coerce.number().int().min(0).max(3600),
  agentKeepalive: z.coerce.number().int().min(0).max(3600),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']),
  audioStore: z.url({ protocol: /^https?$/, error: 'expected an http:// or https:// base URL' }).optional(),
  digestAlgorithms: z
    .string()
    .transform((s) => s.split(',').map((a) => a.trim().toUpperCase()))
    .pipe(z.array(z.enum(['MD5', 'SHA-256'])).min(1)),
});

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

export const CONFIG_FLAGS = {
  host: { type: 'string', env: 'SURGELINE_HOST', default: '127.0.0.1', help: 'address to bind SIP, RTP and HTTP' },
  'sip-port': { type: 'string', env: 'SURGELINE_SIP_PORT', default: '5060', help: 'SIP port (UDP and TCP)' },
  'http-port': { type: 'string', env: 'SURGELINE_HTTP_PORT', default: '8080', help: 'HTTP API and console port' },
  'rtp-ports': { type: 'string', env: 'SURGELINE_RTP_PORTS', default: '20000-29999', help: 'RTP port range, low-high' },
  'data-dir': { type: 'string', env: 'SURGELINE_DATA_DIR', default: './data', help: 'embedded store, prompts, recordings' },
  'database-url': { type: 'string', env: 'DATABASE_URL', default: undefined, help: 'PostgreSQL instead of the embedded store' },
  'max-calls': { type: 'string', env: 'SURGELINE_MAX_CALLS', default: '5000', help: 'calls in progress before new INVITEs get 503' },
  'media-workers': { type: 'string', env: 'SURGELINE_MEDIA_WORKERS', default: undefined, help: 'media worker threads (default: cores - 1, at least 1)' },
  'media-nice': { type: 'string', env: 'SURGELINE_MEDIA_NICE', default: '-10', help: 'nice value of media threads, so packets keep their 20 ms pace on a busy host' },
  'agent-rtp-timeout': { type: 'string', env: 'SURGELINE_AGENT_RTP_TIMEOUT', default: '0', help: "seconds without audio from an agent's phone before its call is ended (0: never)" },
  'agent-keepalive': {
    type: 'string',
    env: 'SURGELINE_AGENT_KEEPALIVE',
    default: '30',
    help: "seconds between OPTIONS probes to an agent's phone in a call; a phone that stops answering ends the call (0: never)",
  },
  'log-level': { type: 'string', env: 'SURGELINE_LOG_LEVEL', default: 'info', help: 'fatal|error|warn|info|debug|trace|silent' },
  'sip-digest': { type: 'string', env: 'SURGELINE_SIP_DIGEST', default: 'MD5', help: 'digest algorithms offered to phones, in order (MD5, SHA-256)' },
  'audio-store': {
    type: 'string',
    env: 'SURGELINE_AUDIO_STORE',
    default: undefined,
    help: 'http(s) base URL that takes recordings and voicemails by PUT (Authorization from SURGELINE_AUDIO_STORE_AUTH); default: keep them in the data dir',
  },
} as const;

type FlagName = keyof typeof CONFIG_FLAGS;

export function loadConfig(argv: string[], env: NodeJS.ProcessEnv = process.env): Config {
  const options = Object.fromEntries(Object.keys(CONFIG_FLAGS).map((k) => [k, { type: 'string' as const }]));
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({ args: argv, options, strict: true, allowPositionals: false }));
  } catch (err) {
    throw new ConfigError((err as Error).message);
  }
  const pick = (flag: FlagName): string | undefined => {
    const v = values[flag];
    if (typeof v === 'string') return v;
    return env[CONFIG_FLAGS[flag].env] ?? CONFIG_FLAGS[flag].default;
  };
  const parsed = configSchema.safeParse({
    host: pick('host'),
    sipPort: pick('sip-port'),
    httpPort: pick('http-port'),
    rtpPorts: pick('rtp-ports'),
    dataDir: pick('data-dir'),
    databaseUrl: pick('database-url'),
    maxCalls: pick('max-calls'),
    mediaWorkers: pick('media-workers'),
    mediaNice: pick('media-nice'),
    agentRtpTimeout: pick('agent-rtp-timeout'),
    agentKeepalive: pick('agent-keepalive'),
    logLevel: pick('log-level'),
    digestAlgorithms: pick('sip-digest'),
    audioStore: pick('audio-store'),
  });
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ConfigError(`invalid ${issue.path.join('.')}: ${issue.message}`);
  }
  const audioStoreAuth = env['SURGELINE_AUDIO_STORE_AUTH'] || undefined;
  return { ...parsed.data, dataDir: path.resolve(parsed.data.dataDir), ...(audioStoreAuth !== undefined ? { audioStoreAuth } : {}) };
}

export function configHelp(): string {
  return Object.entries(CONFIG_FLAGS)
    .map(([flag, f]) => `  --${flag.padEnd(14)} ${f.env.padEnd(24)} ${f.help}${f.default ? ` (default ${f.default})` : ''}`)
    .join('\n');
}
