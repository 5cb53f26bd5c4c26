/** The audit log of the caller's tenant: who changed what, newest first (admins and supervisors). */
import { z } from 'zod';
import { STAFF } from '../auth.ts';
import type { Registrar } from '../route.ts';
import { isoInstant, queryInt } from '../schemas.ts';

export function registerAuditRoutes(r: Registrar): void {
  r.route({
    method: 'GET',
    path: '/audit',
    summary: 'Audit entries, newest first (subject e.g. flow:<id>, line:<id>, schedule:<name>)',
    tag: 'audit',
    access: STAFF,
    query: z.strictObject({ since: isoInstant.optional(), subject: z.string().min(1).max(300).optional(), limit: queryInt(1, 1000).optional() }),
    handler: async ({ tenantId, query }) =>
      r.ctx.services().audit.list(tenantId, {
        ...(query.since ? { since: query.since } : {}),
        ...(query.subject !== undefined ? { subject: query.subject } : {}),
        ...(query.limit !== undefined ? { limit: query.limit } : {}),
      }),
  });
}
