/**
 * Call detail records of the ACD (issue 4 §9): one per visit of a call to a queue, with its
 * wait, agent, talk and wrap-up time and outcome; the agent's wrap-up code for a call he took
 * (checked against the queue's wrapUpCodes when it has any); and per-queue figures for an
 * interval (offered, answered, abandoned, service level, average wait/talk/wrap). An agent's
 * key sees and codes only the calls he answered.
 */
import { z } from 'zod';
import { defined } from '../../defined.ts';
import type { QueueCallView } from '../../store/repositories/queue-calls.ts';
import { resolveAgent, requireOwnAgent } from '../acd.ts';
import { ALL_ROLES, STAFF, type Principal } from '../auth.ts';
import { ApiError } from '../errors.ts';
import type { Registrar } from '../route.ts';
import type { Services } from '../services.ts';
import { idParam, isoInstant, queryInt } from '../schemas.ts';

function view(q: QueueCallView) {
  const { tenantId: _, ...rest } = q;
  return rest;
}

export function registerQueueCallRoutes(r: Registrar): void {
  const params = z.object({ id: idParam });

  /** 404 for an agent key and a call he did not answer: nothing of others' calls is revealed. */
  const visible = async (s: Services, p: Principal, q: QueueCallView): Promise<QueueCallView> => {
    if (p.role !== 'agent') return q;
    const own = await requireOwnAgent(s, p);
    if (q.agentId !== own.id) throw new ApiError('not_found', `queue call not found: ${q.id}`);
    return q;
  };

  r.route({
    method: 'GET',
    path: '/queue-calls',
    summary: 'Call detail records of the queues, newest first (an agent key: the calls it answered; next page: ?before=<enteredAt of the last one>)',
    tag: 'queues',
    access: ALL_ROLES,
    query: z.strictObject({
      queue: z.string().min(1).max(200).optional(),
      agent: z.string().min(1).max(200).optional().describe('an agent id or extension'),
      call: z.uuid().optional().describe('the call record id (GET /calls/{id})'),
      since: isoInstant.optional(),
      until: isoInstant.optional(),
      before: isoInstant.optional(),
      limit: queryInt(1, 1000).optional(),
    }),
    handler: async ({ tenantId, principal, query }) => {
      const s = r.ctx.services();
      let agentId = query.agent !== undefined ? (await resolveAgent(s, tenantId, query.agent)).id : undefined;
      if (principal.role === 'agent') {
        const own = (await requireOwnAgent(s, principal)).id;
        if (agentId !== undefined && agentId !== own) return [];
        agentId = own;
      }
      const { queue, since, until, before } = query;
      const list = await s.queueCalls.list(tenantId, { ...defined({ queue, agentId, callId: query.call, since, until, before }), limit: query.limit ?? 50 });
      return list.map(view);
    },
  });

  r.route({
    method: 'GET',
    path: '/queue-calls/{id}',
    summary: 'One call detail record',
    tag: 'queues',
    access: ALL_ROLES,
    params,
    handler: async ({ tenantId, principal, params }) => {
      const s = r.ctx.services();
      return view(await visible(s, principal, await s.queueCalls.get(tenantId, params.id)));
    },
  });

  r.route({
    method: 'PUT',
    path: '/queue-calls/{id}/wrap-code',
    summary: "The wrap-up code of an answered call (the agent who took it, supervisors, admins); one of the queue's wrapUpCodes when it lists any",
    tag: 'queues',
    access: ALL_ROLES,
    params,
    body: z.strictObject({ code: z.string().min(1).max(64) }),
    errors: { 409: 'the call was not answered by an agent', 422: "a code not in the queue's wrapUpCodes" },
    handler: async ({ tenantId, principal, params, body }) => {
      const s = r.ctx.services();
      const q = await visible(s, principal, await s.queueCalls.get(tenantId, params.id));
      if (q.agentId === null) throw new ApiError('conflict', `queue call ${q.id} was not answered: it has no wrap-up`);
      const config = await s.queues.get(tenantId, q.queue).then((v) => v.config, () => undefined);
      const allowed = config?.wrapUpCodes ?? [];
      if (allowed.length > 0 && !allowed.includes(body.code)) {
        throw new ApiError('unprocessable', `code: one of ${allowed.join(', ')} (the wrap-up codes of queue ${q.queue})`);
      }
      return view(await s.queueCalls.setWrapCode(tenantId, q.id, body.code));
    },
  });

  r.route({
    method: 'GET',
    path: '/queue-stats',
    summary: 'Per queue, over the visits that entered in [since, until): offered, answered, abandoned, callbacks, voicemails, answered within the service-level target, average wait, talk and wrap-up, and how far the estimated wait told at entry was from the wait that followed (mean absolute error over answered calls)',
    tag: 'queues',
    access: STAFF,
    query: z.strictObject({
      since: isoInstant,
      until: isoInstant,
      serviceLevelSeconds: queryInt(1, 3600).optional().describe('the target of "answered within" (default 30 s, the seeds\' figure)'),
    }),
    handler: async ({ tenantId, query }) => {
      if (query.until <= query.since) throw new ApiError('bad_request', 'until: after since');
      return r.ctx.services().queueCalls.summary(tenantId, {
        since: query.since,
        until: query.until,
        serviceLevelMs: (query.serviceLevelSeconds ?? 30) * 1000,
      });
    },
  });
}
