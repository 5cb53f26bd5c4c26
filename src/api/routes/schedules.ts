/**
 * Named schedules of a tenant (weekly hours, holidays, one time zone) and whether one is
 * open at an instant — the same evaluation the flows' schedule branch uses.
 */
import { z } from 'zod';
import { isOpen, nextChange } from '../../schedules/evaluate.ts';
import { scheduleSchema } from '../../schedules/schedule.ts';
import { STAFF } from '../auth.ts';
import type { Registrar } from '../route.ts';
import { isoInstant } from '../schemas.ts';

const name = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$/, 'letters, digits, _ . - (at most 100)');

export function registerScheduleRoutes(r: Registrar): void {
  const params = z.object({ name });

  r.route({
    method: 'GET',
    path: '/schedules',
    summary: "The tenant's schedules",
    tag: 'schedules',
    access: STAFF,
    handler: async ({ tenantId }) => r.ctx.services().schedules.list(tenantId),
  });

  r.route({
    method: 'GET',
    path: '/schedules/{name}',
    summary: 'A schedule',
    tag: 'schedules',
    access: STAFF,
    params,
    handler: async ({ tenantId, params }) => r.ctx.services().schedules.get(tenantId, params.name),
  });

  r.route({
    method: 'PUT',
    path: '/schedules/{name}',
    summary: 'Create or replace a schedule',
    tag: 'schedules',
    access: STAFF,
    params,
    body: z.unknown(),
    bodyDoc: scheduleSchema,
    handler: async ({ tenantId, principal, params, body }) => r.ctx.services().schedules.put(tenantId, params.name, body, principal.actor),
  });

  r.route({
    method: 'DELETE',
    path: '/schedules/{name}',
    summary: 'Delete a schedule',
    tag: 'schedules',
    access: STAFF,
    status: 204,
    params,
    handler: async ({ tenantId, principal, params }) => r.ctx.services().schedules.remove(tenantId, params.name, principal.actor),
  });

  r.route({
    method: 'GET',
    path: '/schedules/{name}/status',
    summary: 'Open or closed at an instant (default now), why, and when that next changes',
    tag: 'schedules',
    access: STAFF,
    params,
    query: z.strictObject({ at: isoInstant.optional() }),
    handler: async ({ tenantId, params, query }) => {
      const { schedule } = await r.ctx.services().schedules.get(tenantId, params.name);
      const at = query.at?.getTime() ?? r.ctx.clock.wallNow();
      const state = isOpen(schedule, at);
      const next = nextChange(schedule, at);
      return {
        at: new Date(at),
        open: state.open,
        reason: state.reason,
        ...(state.holiday !== undefined ? { holiday: state.holiday } : {}),
        nextChange: next === undefined ? null : new Date(next),
      };
    },
  });
}
