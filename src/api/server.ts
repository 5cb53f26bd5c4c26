/**
 * The HTTP API (`/api/v1`): health and the OpenAPI document without a key (the product
 * contract: load balancers and monitors probe a node), everything else behind a Bearer
 * API key, scoped to the key's tenant (auth.ts), declared through the registrar
 * (route.ts) so that validation and the OpenAPI document come from the same zod schemas.
 * Errors, Fastify's own and the store's included, always come back as
 * `{ "error": { "code", "message" } }`.
 */
import { registerPlanningRoutes } from './routes/planning.ts';
import { registerSimulateRoutes } from './routes/planning-simulate.ts';
import { registerReviewRoutes } from './routes/planning-review.ts';
import { localAudioStore, type AudioStore } from '../storage/audio-store.ts';
import Fastify, { type FastifyInstance } from 'fastify';
import websocket from '@fastify/websocket';
import { realClock, type Clock } from '../clock.ts';
import { EventBus } from '../events/bus.ts';
import type { IvrRuntime } from '../ivr/runtime.ts';
import type { Logger } from '../log.ts';
import type { Store } from '../store/db.ts';
import type { Tts } from '../tts/tts.ts';
import { ApiError, codeForStatus, errorBody, fromStoreError } from './errors.ts';
import { openApiDocument } from './openapi.ts';
import { API_PREFIX, Registrar, type ApiContext } from './route.ts';
import { services as makeServices, type Services } from './services.ts';
import { registerAnnouncementRoutes } from './routes/announcements.ts';
import { registerAuditRoutes } from './routes/audit.ts';
import { registerCallRecordingRoutes } from './routes/call-recording.ts';
import { registerCallSuperviseRoutes } from './routes/call-supervise.ts';
import { registerCallRoutes } from './routes/calls.ts';
import { registerEventRoutes } from './routes/events.ts';
import { registerFlowRoutes } from './routes/flows.ts';
import { registerKeyRoutes } from './routes/keys.ts';
import { registerLineRoutes } from './routes/lines.ts';
import { registerScheduleRoutes } from './routes/schedules.ts';
import { registerTenantRoutes } from './routes/tenants.ts';
import { registerUserRoutes } from './routes/users.ts';
import type { AcdLive } from './acd.ts';
import { registerAgentRoutes } from './routes/agents.ts';
import { registerCallbackRoutes } from './routes/callbacks.ts';
import { registerQueueRoutes } from './routes/queues.ts';
import { registerRecordingRoutes } from './routes/recordings.ts';
import { registerTrunkRoutes } from './routes/trunks.ts';
import { registerVoicemailRoutes } from './routes/voicemails.ts';
import { registerQueueCallRoutes } from './routes/queue-calls.ts';

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
  /** The node's store. Without it only health and the OpenAPI document answer (503 elsewhere). */
  readonly store?: Store;
  readonly clock?: Clock;
  /** Call events of this node; the API publishes announcement and flow changes on it and streams it at /events. */
  readonly bus?: EventBus;
  /** Live calls (journeys so far) and the caches to refresh after a change. */
  readonly runtime?: IvrRuntime;
  /** Reserved for prompt previews; unused so far. */
  readonly tts?: Tts;
  /** The live ACD (queue runtime): agents' live states and state changes, queue figures. Absent: states from the log, changes 503. */
  readonly acd?: AcdLive;
  /** Where voicemail and recording WAVs live (their stored paths are relative to it). Absent: audio routes 503. */
  readonly dataDir?: string;
  /** Where recordings and voicemails are read from (src/storage/audio-store.ts); default the data directory. */
  readonly audio?: AudioStore;
}

/**
 * A request body as JSON, refusing the keys of prototype poisoning (harmless to zod, which
 * builds new objects, but a trap for any code that merges a body into an object later).
 */
export function parseJsonBody(text: string): unknown {
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text, function (this: unknown, key: string, value: unknown) {
      if (key === '__proto__') throw new ApiError('bad_request', 'body: "__proto__" cannot be used as a key');
      if (key === 'constructor' && typeof value === 'object' && value !== null && Object.hasOwn(value, 'prototype')) {
        throw new ApiError('bad_request', 'body: "constructor.prototype" cannot be used as a key');
      }
      return value;
    });
  } catch (err) {
    if (err instanceof ApiError) throw err;
    throw new ApiError('bad_request', `body: not valid JSON (${(err as Error).message})`);
  }
}

export async function startApi(opts: ApiOptions): Promise<FastifyInstance> {
  const app = Fastify({ logger: false, bodyLimit: 1 << 20 });
  const clock = opts.clock ?? realClock();

  // JSON only (text/plain would reach handlers as a string). An empty body with a JSON
  // content type is "no body" rather than an error: clients send that for POST …/publish.
  app.removeContentTypeParser(['application/json', 'text/plain']);
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => {
    try {
      done(null, parseJsonBody(body as string));
    } catch (err) {
      done(err as Error, undefined);
    }
  });

  app.setErrorHandler((err: Error & { statusCode?: number }, _req, reply) => {
    const mapped = fromStoreError(err);
    if (mapped) {
      if (mapped.code === 'unauthorized') void reply.header('www-authenticate', 'Bearer');
      return reply.status(mapped.status).send(errorBody(mapped.code, mapped.message, mapped.problems));
    }
    const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 600 ? err.statusCode : 500;
    if (status >= 500) opts.logger.error({ err: String(err), stack: err.stack }, 'api: request failed');
    return reply.status(status).send(errorBody(codeForStatus(status), status >= 500 ? 'internal error' : err.message));
  });
  app.setNotFoundHandler((req, reply) => {
    reply.status(404).send(errorBody('not_found', `no route for ${req.method} ${req.url.split('?')[0]}`));
  });

  await app.register(websocket, { options: { maxPayload: 64 * 1024 } });

  const services: Services | undefined = opts.store ? makeServices(opts.store.db, clock) : undefined;
  const ctx: ApiContext = {
    clock,
    bus: opts.bus ?? new EventBus(),
    runtime: opts.runtime,
    logger: opts.logger,
    services() {
      if (!services) throw new ApiError('unavailable', 'this node runs without a store');
      return services;
    },
  };
  const r = new Registrar(app, ctx);

  r.describe({ method: 'GET', path: '/health', summary: 'Node health (no key needed)', tag: 'node', access: 'public', status: 200 });
  app.get(`${API_PREFIX}/health`, async () => {
    const s = opts.status();
    return {
      status: s.media.workers > 0 ? 'ok' : 'degraded',
      version: opts.version,
      uptimeSeconds: Math.round((Date.now() - opts.startedAt) / 1000),
      ...s,
    };
  });

  registerTenantRoutes(r);
  registerUserRoutes(r);
  registerKeyRoutes(r);
  registerLineRoutes(r);
  registerFlowRoutes(r);
  registerAnnouncementRoutes(r);
  registerScheduleRoutes(r);
  registerCallRoutes(r);
  registerCallRecordingRoutes(r, opts.acd);
  registerCallSuperviseRoutes(r, opts.acd);
  registerAgentRoutes(r, opts.acd);
  registerQueueRoutes(r, opts.acd);
  registerQueueCallRoutes(r);
  registerCallbackRoutes(r);
  // Audio comes from the node's audio store; given only a data directory, from there.
  const audio = opts.audio ?? (opts.dataDir !== undefined ? localAudioStore(opts.dataDir) : undefined);
  registerVoicemailRoutes(r, audio);
  registerRecordingRoutes(r, audio);
  registerTrunkRoutes(r);
  registerPlanningRoutes(r);
  registerSimulateRoutes(r);
  registerReviewRoutes(r);
  registerAuditRoutes(r);
  registerEventRoutes(r);

  r.describe({ method: 'GET', path: '/openapi.json', summary: 'This document (no key needed)', tag: 'node', access: 'public', status: 200 });
  // Built once, after every route is recorded.
  const document = openApiDocument(r.routes, opts.version);
  app.get(`${API_PREFIX}/openapi.json`, async () => document);

  await app.listen({ host: opts.host, port: opts.port });
  return app;
}
