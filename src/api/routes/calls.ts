/**
 * Call records with their journeys. A call running on this node is answered from the
 * runtime (its journey up to now); otherwise from the store. A call is found by our id or
 * by the SIP Call-ID of any of its legs.
 */
import { z } from 'zod';
import { defined } from '../../defined.ts';
import type { CallRecord } from '../../store/repositories/calls.ts';
import { ALL_ROLES } from '../auth.ts';
import type { Registrar } from '../route.ts';
import { idParam, isoInstant, lineParam, queryBool, queryInt } from '../schemas.ts';

export function registerCallRoutes(r: Registrar): void {
  r.route({
    method: 'GET',
    path: '/calls',
    summary: 'Call records, newest first (next page: ?before=<startedAt>&beforeId=<id> of the last one)',
    tag: 'calls',
    access: ALL_ROLES,
    query: z.strictObject({
      line: lineParam.optional(),
      since: isoInstant.optional(),
      until: isoInstant.optional(),
      active: queryBool.optional(),
      limit: queryInt(1, 500).optional(),
      before: isoInstant.optional(),
      beforeId: idParam.max(100).optional().describe('with before: the id of the last call of the previous page'),
    }),
    handler: async ({ tenantId, query }) => {
      const s = r.ctx.services();
      const lineId = query.line !== undefined ? (await s.lines.resolveLine(tenantId, query.line)).id : undefined;
      const limit = query.limit ?? 50;
      const stored = await s.calls.list(tenantId, {
        ...defined({ lineId, since: query.since, until: query.until, active: query.active, before: query.before }),
        ...(query.before && query.beforeId ? { beforeId: query.beforeId } : {}),
        limit,
      });
      const runtime = r.ctx.runtime;
      if (!runtime) return stored;
      // Live calls carry the freshest journey; ones not yet written are added when they fit the query.
      const byId = new Map<string, CallRecord>(stored.map((c) => [c.id, runtime.live(tenantId, c.id) ?? c]));
      if (query.active !== false) {
        for (const c of runtime.liveList(tenantId)) {
          if (byId.has(c.id)) continue;
          const t = c.startedAt.getTime();
          if (lineId !== undefined && c.lineId !== lineId) continue;
          if (query.since && t < query.since.getTime()) continue;
          if (query.until && t >= query.until.getTime()) continue;
          if (query.before && (t > query.before.getTime() || (t === query.before.getTime() && (!query.beforeId || c.id >= query.beforeId)))) continue;
          byId.set(c.id, c);
        }
      }
      return [...byId.values()]
        .sort((a, b) => b.startedAt.getTime() - a.startedAt.getTime() || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0))
        .slice(0, limit);
    },
  });

  r.route({
    method: 'GET',
    path: '/calls/{id}',
    summary: 'A call record with its journey, by our id or any leg\'s SIP Call-ID',
    tag: 'calls',
    access: ALL_ROLES,
    params: z.object({ id: idParam.max(500) }),
    handler: async ({ tenantId, params }) => {
      const live = r.ctx.runtime?.live(tenantId, params.id);
      if (live) return live;
      const stored = await r.ctx.services().calls.get(tenantId, params.id);
      return r.ctx.runtime?.live(tenantId, stored.id) ?? stored;
    },
  });
}
