/**
 * Flows as versioned documents: push (a new immutable version; a document with problems
 * is refused with 422 and the path of each), publish, instant rollback, and validation
 * without storing. After a publish or rollback the node's runtime drops its caches and a
 * `flow.published` event goes out; calls already running keep the version they started on.
 */
import { z } from 'zod';
import { flowSchema } from '../../flows/schema.ts';
import { validateFlow } from '../../flows/validate.ts';
import type { FlowSummary } from '../../store/repositories/flows.ts';
import { ALL_ROLES, STAFF } from '../auth.ts';
import type { ApiContext, Registrar } from '../route.ts';
import { flowParam, queryBool, queryInt } from '../schemas.ts';

function announcePublished(ctx: ApiContext, flow: FlowSummary): void {
  ctx.runtime?.flowPublished(flow.tenantId, flow.id);
  if (flow.publishedVersion !== null) {
    ctx.bus.publish({ type: 'flow.published', tenantId: flow.tenantId, flowId: flow.id, name: flow.name, version: flow.publishedVersion });
  }
}

export function registerFlowRoutes(r: Registrar): void {
  const params = z.object({ flow: flowParam });
  const which = z.strictObject({ version: z.number().int().min(1).optional() });

  r.route({
    method: 'GET',
    path: '/flows',
    summary: "The tenant's flows with their published and latest versions",
    tag: 'flows',
    access: ALL_ROLES,
    handler: async ({ tenantId }) => r.ctx.services().flows.list(tenantId),
  });

  r.route({
    method: 'POST',
    path: '/flows',
    summary: 'Push a flow document as a new version (a new flow when its name is new); ?publish=true publishes it',
    description: 'A document with problems is refused with 422 and `error.problems`: [{ path, node?, message }].',
    tag: 'flows',
    access: STAFF,
    status: 201,
    errors: { 422: 'the document has problems: error.problems lists each at its path' },
    query: z.strictObject({ publish: queryBool.optional(), comment: z.string().max(500).optional() }),
    body: z.unknown(),
    bodyDoc: flowSchema,
    handler: async ({ tenantId, principal, query, body }) => {
      const { flows } = r.ctx.services();
      const pushed = await flows.push(tenantId, body, principal.actor, query.comment);
      if (!query.publish) return pushed;
      const flow = await flows.publish(tenantId, pushed.flow.id, pushed.version.version, principal.actor);
      announcePublished(r.ctx, flow);
      return { flow, version: pushed.version };
    },
  });

  r.route({
    method: 'POST',
    path: '/flows/validate',
    summary: 'Check a flow document without storing it',
    tag: 'flows',
    access: ALL_ROLES,
    body: z.unknown(),
    bodyDoc: flowSchema,
    handler: async ({ body }) => {
      const v = validateFlow(body);
      return { ok: v.ok, problems: v.ok ? [] : v.problems, warnings: v.warnings };
    },
  });

  r.route({
    method: 'GET',
    path: '/flows/{flow}',
    summary: 'A flow',
    tag: 'flows',
    access: ALL_ROLES,
    params,
    handler: async ({ tenantId, params }) => r.ctx.services().flows.get(tenantId, params.flow),
  });

  r.route({
    method: 'GET',
    path: '/flows/{flow}/versions',
    summary: "A flow's versions, oldest first",
    tag: 'flows',
    access: ALL_ROLES,
    params,
    handler: async ({ tenantId, params }) => r.ctx.services().flows.versions(tenantId, params.flow),
  });

  r.route({
    method: 'GET',
    path: '/flows/{flow}/versions/{n}',
    summary: 'One version of a flow, with its document',
    tag: 'flows',
    access: ALL_ROLES,
    params: z.object({ flow: flowParam, n: queryInt(1, 1_000_000) }),
    handler: async ({ tenantId, params }) => r.ctx.services().flows.version(tenantId, params.flow, params.n),
  });

  r.route({
    method: 'POST',
    path: '/flows/{flow}/publish',
    summary: 'Publish a version (default: the latest); new calls run it',
    tag: 'flows',
    access: STAFF,
    params,
    body: which,
    emptyBody: {},
    errors: { 422: 'the version no longer validates' },
    handler: async ({ tenantId, principal, params, body }) => {
      const flow = await r.ctx.services().flows.publish(tenantId, params.flow, body.version, principal.actor);
      announcePublished(r.ctx, flow);
      return flow;
    },
  });

  r.route({
    method: 'POST',
    path: '/flows/{flow}/rollback',
    summary: 'Publish an earlier version (default: the one published before the current)',
    tag: 'flows',
    access: STAFF,
    params,
    body: which,
    emptyBody: {},
    errors: { 422: 'the version no longer validates' },
    handler: async ({ tenantId, principal, params, body }) => {
      const flow = await r.ctx.services().flows.rollback(tenantId, params.flow, body.version, principal.actor);
      announcePublished(r.ctx, flow);
      return flow;
    },
  });
}
