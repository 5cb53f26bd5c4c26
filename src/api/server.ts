/**
 * The HTTP API (`/api/v1`). So far: health, which answers without a key (the product
 * contract) so that load balancers and monitors can probe a node. Errors, Fastify's own
 * included, always come back as `{ "error": { "code", "message" } }`.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import type { Logger } from '../log.ts';
import { ApiError, codeForStatus, errorBody } from './errors.ts';

export interface NodeStatus {
  /** Calls in progress (set up or established). */
  calls: number;
  /** Which store backs the node. */
  store: 'pglite' | 'postgres';
  sip: { invites: number; rejectedOverload: number; dropped: number };
  media: { workers: number; legs: number };
}

export interface ApiOptions {
  readonly host: string;
  readonly port: number;
  readonly logger: Logger;
  readonly version: string;
  readonly status: () => NodeStatus;
  readonly startedAt: number;
}

export async function startApi(opts: ApiOptions): Promise<FastifyInstance> {
  const app = Fastify({ logger: false, bodyLimit: 1 << 20 });

  app.setErrorHandler((err: Error & { statusCode?: number; validation?: unknown }, _req, reply) => {
    if (err instanceof ApiError) return reply.status(err.status).send(errorBody(err.code, err.message));
    const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 600 ? err.statusCode : 500;
    if (status >= 500) opts.logger.error({ err: String(err) }, 'api: request failed');
    return reply.status(status).send(errorBody(codeForStatus(status), status >= 500 ? 'internal error' : err.message));
  });
  app.setNotFoundHandler((req, reply) => {
    reply.status(404).send(errorBody('not_found', `no route for ${req.method} ${req.url.split('?')[0]}`));
  });

  app.get('/api/v1/health', async () => {
    const s = opts.status();
    return {
      status: s.media.workers > 0 ? 'ok' : 'degraded',
      version: opts.version,
      uptimeSeconds: Math.round((Date.now() - opts.startedAt) / 1000),
      ...s,
    };
  });

  await app.listen({ host: opts.host, port: opts.port });
  return app;
}
