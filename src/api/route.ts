/**
 * One registrar for every /api/v1 route. A route is declared once — method, path,
 * summary, who may call it, zod schemas for params, query and body — and that single
 * declaration both checks requests (401/403, then 400 naming the field) and describes the
 * route in the OpenAPI document (openapi.ts reads `routes`). Handlers receive the caller's
 * tenantId from the verified key, never from the request.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { WebSocket } from 'ws';
import { z } from 'zod';
import type { Clock } from '../clock.ts';
import type { EventBus } from '../events/bus.ts';
import type { IvrRuntime } from '../ivr/runtime.ts';
import type { Logger } from '../log.ts';
import type { Role } from '../store/schema.ts';
import { authenticate, type Access, type Principal } from './auth.ts';
import { ApiError } from './errors.ts';
import type { Services } from './services.ts';

export const API_PREFIX = '/api/v1';

export type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

type Schema = z.ZodType;
type Out<S> = S extends z.ZodType ? z.output<S> : undefined;

export interface Call<P, Q, B> {
  readonly params: Out<P>;
  readonly query: Out<Q>;
  readonly body: Out<B>;
  /** The verified caller. */
  readonly principal: Principal;
  /** The caller's tenant: the only tenant a handler may touch. */
  readonly tenantId: string;
  readonly req: FastifyRequest;
  readonly reply: FastifyReply;
}

export interface RouteDef<P extends Schema | undefined, Q extends Schema | undefined, B extends Schema | undefined> {
  readonly method: Method;
  /** Relative to /api/v1, OpenAPI style: `/lines/{line}`. */
  readonly path: string;
  readonly summary: string;
  readonly tag: string;
  /** Keyed routes only: the two public ones (health, the document) are served outside and described. */
  readonly access: readonly Role[];
  readonly params?: P;
  readonly query?: Q;
  readonly body?: B;
  /** Body schema shown in the OpenAPI document when it differs from the one checked here. */
  readonly bodyDoc?: Schema;
  /** Used when the request has no body at all (e.g. publish with no options). */
  readonly emptyBody?: unknown;
  /** Success status (default 200; 204 sends no body). */
  readonly status?: number;
  readonly description?: string;
  /** Error answers beyond the usual 400/401/403/404, for the document: status → when. */
  readonly errors?: Readonly<Record<number, string>>;
  readonly handler: (call: Call<P, Q, B>) => Promise<unknown>;
}

export interface WsRouteDef<Q extends Schema | undefined> {
  readonly path: string;
  readonly summary: string;
  readonly tag: string;
  readonly access: readonly Role[];
  readonly query?: Q;
  readonly description?: string;
  readonly handler: (socket: WebSocket, call: Omit<Call<undefined, Q, undefined>, 'reply'>) => void;
}

/** What openapi.ts needs to know about a registered route. */
export interface RouteInfo {
  readonly method: Method;
  readonly path: string;
  readonly summary: string;
  readonly tag: string;
  readonly access: Access;
  readonly params?: Schema;
  readonly query?: Schema;
  readonly body?: Schema;
  readonly status: number;
  readonly description?: string;
  readonly errors?: Readonly<Record<number, string>>;
  readonly websocket?: boolean;
}

export interface ApiContext {
  readonly clock: Clock;
  readonly bus: EventBus;
  readonly runtime: IvrRuntime | undefined;
  readonly logger: Logger;
  /** The repositories; throws 503 when the node runs without a store. */
  services(): Services;
}

/** "nodes.menu1.timeout: expected number" — the field first, as the product contract asks. */
export function describeIssue(where: string, error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return `${where}: invalid`;
  const path = issue.path.map(String).join('.');
  let message = issue.message;
  if (issue.code === 'unrecognized_keys') return `${path ? `${path}.` : ''}${issue.keys[0]}: unknown field`;
  if (message.startsWith('Invalid input: ')) message = message.slice('Invalid input: '.length);
  return `${path || where}: ${message}`;
}

function check<S extends Schema | undefined>(schema: S, value: unknown, where: string): Out<S> {
  if (!schema) return undefined as Out<S>;
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new ApiError('bad_request', describeIssue(where, parsed.error));
  return parsed.data as Out<S>;
}

const toFastifyPath = (path: string): string => API_PREFIX + path.replace(/\{([^}]+)\}/g, ':$1');

export class Registrar {
  readonly routes: RouteInfo[] = [];

  constructor(
    private readonly app: FastifyInstance,
    readonly ctx: ApiContext,
  ) {}

  /** Records a route that is served outside the registrar (health, the OpenAPI document). */
  describe(info: RouteInfo): void {
    this.routes.push(info);
  }

  route<P extends Schema | undefined = undefined, Q extends Schema | undefined = undefined, B extends Schema | undefined = undefined>(
    def: RouteDef<P, Q, B>,
  ): void {
    const status = def.status ?? 200;
    this.routes.push({
      method: def.method,
      path: def.path,
      summary: def.summary,
      tag: def.tag,
      access: def.access,
      ...(def.params ? { params: def.params } : {}),
      ...(def.query ? { query: def.query } : {}),
      ...(def.bodyDoc ?? def.body ? { body: (def.bodyDoc ?? def.body)! } : {}),
      status,
      ...(def.description ? { description: def.description } : {}),
      ...(def.errors ? { errors: def.errors } : {}),
    });
    this.app.route({
      method: def.method,
      url: toFastifyPath(def.path),
      handler: async (req, reply) => {
        const principal = await authenticate(req, this.ctx.services().apiKeys, def.access, false);
        const params = check(def.params as P, req.params, 'params');
        const query = check(def.query as Q, req.query, 'query');
        const rawBody = req.body === undefined && def.emptyBody !== undefined ? def.emptyBody : req.body;
        const body = check(def.body as B, rawBody, 'body');
        const result = await def.handler({
          params,
          query,
          body,
          principal,
          tenantId: principal.tenantId,
          req,
          reply,
        });
        if (status === 204) return reply.status(204).send();
        return reply.status(status).send(result);
      },
    });
  }

  /** A WebSocket route: authentication happens before the upgrade, so a bad key gets an HTTP 401/403. */
  websocket<Q extends Schema | undefined = undefined>(def: WsRouteDef<Q>): void {
    this.routes.push({
      method: 'GET',
      path: def.path,
      summary: def.summary,
      tag: def.tag,
      access: def.access,
      ...(def.query ? { query: def.query } : {}),
      status: 101,
      ...(def.description ? { description: def.description } : {}),
      websocket: true,
    });
    const principals = new WeakMap<FastifyRequest, Principal>();
    const queries = new WeakMap<FastifyRequest, Out<Q>>();
    this.app.route({
      method: 'GET',
      url: toFastifyPath(def.path),
      preValidation: async (req) => {
        principals.set(req, await authenticate(req, this.ctx.services().apiKeys, def.access, true));
        queries.set(req, check(def.query as Q, req.query, 'query'));
      },
      handler: async () => {
        throw new ApiError('bad_request', `${def.path} is a WebSocket: send an upgrade request`);
      },
      wsHandler: (socket, req) => {
        const principal = principals.get(req)!;
        def.handler(socket, { params: undefined, query: queries.get(req) as Out<Q>, body: undefined, principal, tenantId: principal.tenantId, req });
      },
    });
  }
}
