/**
 * Queues (issue 4 item 2): a name (what flows' queue nodes reference) and a configuration
 * checked by queueConfigSchema (src/acd/queue-config.ts) — the same schema the store and the
 * router read, so the API refuses exactly what the runtime could not run, naming the field
 * ("requiredSkills.0.minProficiency: …"). Everyone reads; admins and supervisors change.
 * PUT creates or replaces (what `surgeline queues push` sends); a queue keeps its name.
 * Every change is published as queue.changed on the event stream.
 */
import { z } from 'zod';
import { queueConfigSchema } from '../../acd/queue-config.ts';
import type { QueueView } from '../../store/repositories/queues.ts';
import { NotFoundError } from '../../store/errors.ts';
import type { AcdLive } from '../acd.ts';
import { ALL_ROLES, STAFF } from '../auth.ts';
import { ApiError } from '../errors.ts';
import type { Registrar } from '../route.ts';

const queueParam = z.string().min(1).max(200).describe('a queue name or id');

const view = (q: QueueView) => ({ id: q.id, name: q.name, config: q.config, createdAt: q.createdAt, updatedAt: q.updatedAt });

export function registerQueueRoutes(r: Registrar, acd: AcdLive | undefined): void {
  const params = z.object({ queue: queueParam });
  /** Published so that wallboards (and a queue runtime that follows it) see the change. */
  const changed = (tenantId: string, queue: string, action: 'created' | 'updated' | 'removed'): void =>
    r.ctx.bus.publish({ type: 'queue.changed', tenantId, queue, action });

  r.route({
    method: 'GET',
    path: '/queues',
    summary: "The tenant's queues with their configuration",
    tag: 'queues',
    access: ALL_ROLES,
    handler: async ({ tenantId }) => (await r.ctx.services().queues.list(tenantId)).map(view),
  });

  r.route({
    method: 'POST',
    path: '/queues',
    summary: 'Create a queue (409 when the name is taken)',
    tag: 'queues',
    access: STAFF,
    status: 201,
    body: queueConfigSchema,
    handler: async ({ tenantId, principal, body }) => {
      const q = await r.ctx.services().queues.create(tenantId, body, principal.actor);
      changed(tenantId, q.name, 'created');
      return view(q);
    },
  });

  r.route({
    method: 'GET',
    path: '/queues/{queue}',
    summary: 'A queue',
    tag: 'queues',
    access: ALL_ROLES,
    params,
    handler: async ({ tenantId, params }) => view(await r.ctx.services().queues.get(tenantId, params.queue)),
  });

  r.route({
    method: 'PUT',
    path: '/queues/{queue}',
    summary: "Create or replace a queue's configuration (the name in the body must be the queue's)",
    tag: 'queues',
    access: STAFF,
    params,
    body: queueConfigSchema,
    handler: async ({ tenantId, principal, params, body }) => {
      const s = r.ctx.services();
      const current = await s.queues.get(tenantId, params.queue).catch((err: unknown) => {
        if (err instanceof NotFoundError) return undefined;
        throw err;
      });
      if (!current) {
        if (body.name !== params.queue) throw new ApiError('bad_request', `name: must be the queue named in the path (${params.queue})`);
        const created = await s.queues.create(tenantId, body, principal.actor);
        changed(tenantId, created.name, 'created');
        return view(created);
      }
      if (body.name !== current.name) throw new ApiError('bad_request', `name: a queue keeps its name (${current.name}); create a new queue instead`);
      const updated = await s.queues.update(tenantId, current.id, body, principal.actor);
      changed(tenantId, updated.name, 'updated');
      return view(updated);
    },
  });

  r.route({
    method: 'DELETE',
    path: '/queues/{queue}',
    summary: 'Remove a queue (flows naming it then find no queue)',
    tag: 'queues',
    access: STAFF,
    status: 204,
    params,
    handler: async ({ tenantId, principal, params }) => {
      const s = r.ctx.services();
      const q = await s.queues.get(tenantId, params.queue);
      await s.queues.remove(tenantId, q.id, principal.actor);
      changed(tenantId, q.name, 'removed');
    },
  });

  if (acd?.queueLive) {
    const live = acd.queueLive.bind(acd);
    r.route({
      method: 'GET',
      path: '/queues/{queue}/live',
      summary: 'Live figures: waiting, longest wait, agents by state, service level over 15 and 60 minutes',
      tag: 'queues',
      access: ALL_ROLES,
      params,
      errors: { 503: 'the queue does not run on this node' },
      handler: async ({ tenantId, params }) => {
        const q = await r.ctx.services().queues.get(tenantId, params.queue);
        const figures = await live(tenantId, q.name);
        if (!figures) throw new ApiError('unavailable', `queue ${q.name} does not run on this node`);
        return figures;
      },
    });
  }
}
