/**
 * The CLI's side of the HTTP API (spec D): requests under /api/v1 with the Bearer key, and
 * the API's `{ error: { code, message, problems? } }` turned into a CliError (exit 1) whose
 * message is the server's, with each problem of a 422 on its own line under its path.
 */
import { CliError, UsageError } from './errors.ts';
import { stringOpt, type ParsedArgs } from './args.ts';

export const DEFAULT_API_URL = 'http://127.0.0.1:8080';

export interface ApiTarget {
  /** Base of the API, ending in /api/v1 (no slash after). */
  readonly base: string;
  readonly key: string;
}

export interface Problem {
  path: string;
  message: string;
}

/** Where the API is and which key to send: flags, then SURGELINE_API_URL / SURGELINE_API_KEY (else SURGELINE_ADMIN_KEY). */
export function apiTarget(args: ParsedArgs, env: NodeJS.ProcessEnv = process.env): ApiTarget {
  const url = stringOpt(args, 'api-url') ?? env.SURGELINE_API_URL ?? DEFAULT_API_URL;
  const key = stringOpt(args, 'api-key') ?? (env.SURGELINE_API_KEY || undefined) ?? (env.SURGELINE_ADMIN_KEY || undefined);
  if (!key) throw new UsageError('no API key: pass --api-key or set SURGELINE_API_KEY (or SURGELINE_ADMIN_KEY)');
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UsageError(`--api-url: "${url}" is not a URL (e.g. http://127.0.0.1:8080)`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new UsageError(`--api-url: "${url}" must be http: or https:`);
  const root = parsed.href.replace(/\/+$/, '');
  return { base: root.endsWith('/api/v1') ? root : `${root}/api/v1`, key };
}

/** A path with each interpolated value percent-encoded: path`/flows/${ref}/versions/${n}`. */
export function path(strings: TemplateStringsArray, ...values: Array<string | number>): string {
  return strings.reduce((out, s, i) => out + s + (i < values.length ? encodeURIComponent(String(values[i])) : ''), '');
}

type Query = Record<string, string | number | boolean | undefined>;

export class ApiClient {
  constructor(readonly target: ApiTarget) {}

  get<T>(p: string, query?: Query): Promise<T> {
    return this.request<T>('GET', p, { query });
  }

  post<T>(p: string, body?: unknown, query?: Query): Promise<T> {
    return this.request<T>('POST', p, { body, query });
  }

  put<T>(p: string, body?: unknown): Promise<T> {
    return this.request<T>('PUT', p, { body });
  }

  patch<T>(p: string, body?: unknown): Promise<T> {
    return this.request<T>('PATCH', p, { body });
  }

  delete<T>(p: string): Promise<T> {
    return this.request<T>('DELETE', p, {});
  }

  url(p: string, query?: Query): URL {
    const url = new URL(this.target.base + p);
    for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined) url.searchParams.set(k, String(v));
    return url;
  }

  async request<T>(method: string, p: string, opts: { body?: unknown; query?: Query | undefined }): Promise<T> {
    const url = this.url(p, opts.query);
    const headers: Record<string, string> = { authorization: `Bearer ${this.target.key}`, accept: 'application/json' };
    if (opts.body !== undefined) headers['content-type'] = 'application/json';
    let res: Response;
    try {
      res = await fetch(url, { method, headers, ...(opts.body !== undefined ? { body: JSON.stringify(opts.body) } : {}) });
    } catch (err) {
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      throw new CliError(`cannot reach the API at ${this.target.base}: ${cause?.code ?? cause?.message ?? (err as Error).message}`);
    }
    const text = await res.text();
    let body: unknown;
    try {
      body = text === '' ? undefined : JSON.parse(text);
    } catch {
      body = undefined;
    }
    if (!res.ok) throw apiError(res.status, method, p, body);
    if (body === undefined && text !== '') throw new CliError(`${method} ${p}: the API answered ${res.status} with something that is not JSON`);
    return body as T;
  }
}

/** The CliError for an error answer: the server's message, then a 422's problems one per line. */
export function apiError(status: number, method: string, p: string, body: unknown): CliError {
  const error = isRecord(body) && isRecord(body.error) ? body.error : undefined;
  if (error === undefined || typeof error.message !== 'string') {
    return new CliError(`${method} ${p}: the API answered ${status} without an error message`);
  }
  const code = typeof error.code === 'string' ? error.code : String(status);
  const lines = [`${error.message} (${status} ${code})`];
  if (Array.isArray(error.problems)) lines.push(...error.problems.map((x) => `  ${formatProblem(x)}`));
  return new CliError(lines.join('\n'));
}

/** "<path>: <message>", the form every validation problem is printed in. */
export function formatProblem(problem: unknown): string {
  if (!isRecord(problem)) return String(problem);
  const where = typeof problem.path === 'string' && problem.path !== '' ? problem.path : '(document)';
  return `${where}: ${typeof problem.message === 'string' ? problem.message : JSON.stringify(problem)}`;
}

export function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/** A list answer, whether the API sends the array itself or wraps it as { <name>: [...] }. */
export function listOf<T>(body: unknown, name: string): T[] {
  if (Array.isArray(body)) return body as T[];
  if (isRecord(body) && Array.isArray(body[name])) return body[name] as T[];
  if (isRecord(body) && Array.isArray(body.items)) return body.items as T[];
  throw new CliError(`unexpected answer from the API: expected a list of ${name}`);
}

/** The client for a parsed API command. */
export function clientFor(args: ParsedArgs): ApiClient {
  return new ApiClient(apiTarget(args));
}
