/**
 * Callback requests (product contract: GET /api/v1/callbacks lists them with the caller's
 * number, line, times and state) — the outbound team's worklist (issue 4 item 4). Admins and
 * supervisors see and work all of them: schedule one by hand, cancel one, or mark one done
 * after calling the customer themselves. An agent's key sees only the callbacks its agent
 * worked (agentId). Lines are named by id or number. Changes made here are published as
 * callback.changed on the event stream.
 */
import { z } from 'zod';
import { defined } from '../../defined.ts';
import type { CallbackView } from '../../store/repositories/callbacks.ts';
import { CALLBACK_STATES } from '../../store/schema.ts';
import { requireOwnAgent } from '../acd.ts';
import { ALL_ROLES, STAFF, type Principal } from '../auth.ts';
import { ApiError } from '../errors.ts';
import type { Registrar } from '../route.ts';
import type { Services } from '../services.ts';
import { idParam, isoInstant, lineParam, queryInt } from '../schemas.ts';

const callbackState = z.enum(CALLBACK_STATES);

function view(c: CallbackView) {
  const { tenantId: _, claimedBy: __, ...rest } = c;
  return rest;
}

export function registerCallbackRoutes(r: Registrar): void {
  const params = z.object({ id: idParam });
  /** Changes made here go on the event stream like the runtime's. */
  const published = (c: CallbackView): CallbackView => {
    r.ctx.bus.publish({ type: 'callback.changed', tenantId: c.tenantId, callbackId: c.id, at: c.updatedAt.getTime(), state: c.state, kind: c.kind, lineId: c.lineId, queue: c.queue });
    return c;
  };

  /** An agent key's own callbacks only; 404 for others' (as if they did not exist). */
  const visible = async (s: Services, p: Principal, c: CallbackView): Promise<CallbackView> => {
    if (p.role !== 'agent') return c;
    const own = await requireOwnAgent(s, p);
    if (c.agentId !== own.id) throw new ApiError('not_found', `callback not found: ${c.id}`);
    return c;
  };

  r.route({
    method: 'GET',
    path: '/callbacks',
    summary: 'Callback requests, newest first: caller number, line, times, state (cursor: ?before=<requestedAt of the last one>)',
    tag: 'callbacks',
    access: ALL_ROLES,
    query: z.strictObject({
      state: z
        .string()
        .transform((s) => s.split(','))
        .pipe(z.array(callbackState))
        .optional()
        .describe(`one state or several, comma-separated: ${CALLBACK_STATES.join(', ')}`),
      line: lineParam.optional(),
      queue: z.string().min(1).max(200).optional(),
      since: isoInstant.optional(),
      until: isoInstant.optional(),
      before: isoInstant.optional(),
      limit: queryInt(1, 500).optional(),
    }),
    handler: async ({ tenantId, principal, query }) => {
      const s = r.ctx.services();
      const lineId = query.line !== undefined ? (await s.lines.resolveLine(tenantId, query.line)).id : undefined;
      const limit = query.limit ?? 50;
      const q = {
        ...defined({ state: query.state, lineId, queue: query.queue, since: query.since, until: query.until }),
      };
      if (principal.role !== 'agent') {
        return (await s.callbacks.list(tenantId, { ...q, ...(query.before ? { before: query.before } : {}), limit })).map(view);
      }
      // The store filters by tenant, state, line and queue; an agent's own rows are picked here, page by page.
      const own = await requireOwnAgent(s, principal);
      const found: CallbackView[] = [];
      let before = query.before;
      for (let pages = 0; found.length < limit && pages < 20; pages++) {
        const page = await s.callbacks.list(tenantId, { ...q, ...(before ? { before } : {}), limit: 500 });
        found.push(...page.filter((c) => c.agentId === own.id));
        if (page.length < 500) break;
        before = page.at(-1)!.requestedAt;
      }
      return found.slice(0, limit).map(view);
    },
  });

  r.route({
    method: 'POST',
    path: '/callbacks',
    summary: 'Schedule a callback by hand (kind scheduled); it is stored before the answer',
    tag: 'callbacks',
    access: STAFF,
    status: 201,
    body: z.strictObject({
      number: z.string().regex(/^\+?[0-9]{2,32}$/, 'a phone number: digits, optionally with a leading +'),
      line: lineParam,
      queue: z.string().min(1).max(200).optional(),
      dueAt: isoInstant,
      maxAttempts: z.number().int().min(1).max(100).optional(),
    }),
    handler: async ({ tenantId, body }) => {
      const s = r.ctx.services();
      const line = await s.lines.resolveLine(tenantId, body.line);
      if (body.queue !== undefined) await s.queues.get(tenantId, body.queue);
      const cb = published(await s.callbacks.create(tenantId, {
        lineId: line.id,
        callerNumber: body.number,
        kind: 'scheduled',
        dueAt: body.dueAt,
        ...(body.queue !== undefined ? { queue: body.queue } : {}),
        ...(body.maxAttempts !== undefined ? { maxAttempts: body.maxAttempts } : {}),
      }));
      return view(cb);
    },
  });

  r.route({
    method: 'GET',
    path: '/callbacks/{id}',
    summary: 'A callback request with its IVR path, digits, voicemail, attempts and result',
    tag: 'callbacks',
    access: ALL_ROLES,
    params,
    handler: async ({ tenantId, principal, params }) => {
      const s = r.ctx.services();
      return view(await visible(s, principal, await s.callbacks.get(tenantId, params.id)));
    },
  });

  r.route({
    method: 'PATCH',
    path: '/callbacks/{id}',
    summary: 'Cancel a callback, or mark it done (worked by hand); both only while it is pending or due',
    tag: 'callbacks',
    access: STAFF,
    params,
    body: z.strictObject({ state: z.enum(['cancelled', 'done']), result: z.string().min(1).max(500).optional() }),
    errors: { 409: 'the callback is in a state that cannot change so' },
    handler: async ({ tenantId, principal, params, body }) => {
      const s = r.ctx.services();
      if (body.state === 'cancelled') return view(published(await s.callbacks.cancel(tenantId, params.id, principal.actor)));
      const at = new Date(r.ctx.clock.wallNow());
      const result = body.result ?? `done by ${principal.actor}`;
      // Worked outside the dialler: claim it (pending/due → in-progress) so no worker dials it meanwhile, then close it.
      // One the dialler is working (in-progress) is its to finish: 409.
      const claimed = await s.callbacks.claim(tenantId, params.id, at, principal.actor);
      if (!claimed) {
        const now = await s.callbacks.get(tenantId, params.id);
        throw new ApiError('conflict', `callback ${params.id} is ${now.state}: only a pending or due callback can be marked done`);
      }
      return view(published(await s.callbacks.complete(tenantId, params.id, { at, result })));
    },
  });
}
