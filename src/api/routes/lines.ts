/**
 * Lines and their numbers. A line is named in paths by its id or by one of its numbers.
 * Supervisors may attach a flow to a line; renaming, zones and numbers are for admins.
 */
import { z } from 'zod';
import { ConflictError } from '../../store/errors.ts';
import { normalizeDigits } from '../../store/repositories/lines.ts';
import type { Line, PhoneNumber } from '../../store/schema.ts';
import { ADMIN, ALL_ROLES, STAFF, requireRole } from '../auth.ts';
import type { Registrar } from '../route.ts';
import type { Services } from '../services.ts';
import { flowParam, lineParam } from '../schemas.ts';

const timeZone = z.string().min(1).max(100).describe('IANA time zone, e.g. Asia/Taipei');
const digits = z.string().min(2).max(40).describe('dialled digits, optionally with a leading +');

function numberView(n: PhoneNumber) {
  return { digits: n.digits, lineId: n.line_id, createdAt: n.created_at };
}

export async function lineView(s: Services, line: Line) {
  const numbers = await s.lines.listNumbers(line.tenant_id, line.id);
  return {
    id: line.id,
    name: line.name,
    timeZone: line.time_zone,
    flowId: line.flow_id,
    numbers: numbers.map((n) => n.digits),
    createdAt: line.created_at,
  };
}

export function registerLineRoutes(r: Registrar): void {
  const params = z.object({ line: lineParam });

  r.route({
    method: 'GET',
    path: '/lines',
    summary: "The tenant's lines with their numbers and flow",
    tag: 'lines',
    access: ALL_ROLES,
    handler: async ({ tenantId }) => {
      const s = r.ctx.services();
      return Promise.all((await s.lines.listLines(tenantId)).map((l) => lineView(s, l)));
    },
  });

  r.route({
    method: 'POST',
    path: '/lines',
    summary: 'Create a line, optionally with numbers and a flow',
    tag: 'lines',
    access: ADMIN,
    status: 201,
    body: z.strictObject({
      name: z.string().min(1).max(200),
      timeZone,
      numbers: z.array(digits).max(100).optional(),
      flow: flowParam.optional(),
    }),
    handler: async ({ tenantId, principal, body }) => {
      const s = r.ctx.services();
      // Everything that can be refused is checked before the line exists, so a refusal
      // does not leave half a line behind (numbers are unique across tenants).
      const wanted = (body.numbers ?? []).map(normalizeDigits);
      for (const d of wanted) {
        if (await s.lines.routeDialled(d)) throw new ConflictError(`number ${d} already exists`, 'numbers_digits_key');
      }
      if (body.flow !== undefined) await s.flows.get(tenantId, body.flow);
      let line = await s.lines.createLine(tenantId, { name: body.name, timeZone: body.timeZone }, principal.actor);
      for (const d of wanted) await s.lines.addNumber(tenantId, line.id, d, principal.actor);
      if (body.flow !== undefined) line = await s.lines.setFlow(tenantId, line.id, body.flow, principal.actor);
      return lineView(s, line);
    },
  });

  r.route({
    method: 'GET',
    path: '/lines/{line}',
    summary: 'A line',
    tag: 'lines',
    access: ALL_ROLES,
    params,
    handler: async ({ tenantId, params }) => {
      const s = r.ctx.services();
      return lineView(s, await s.lines.resolveLine(tenantId, params.line));
    },
  });

  r.route({
    method: 'PATCH',
    path: '/lines/{line}',
    summary: "Rename a line, change its zone (admins) or attach a flow (admins, supervisors; null detaches)",
    tag: 'lines',
    access: STAFF,
    params,
    body: z.strictObject({ name: z.string().min(1).max(200).optional(), timeZone: timeZone.optional(), flow: flowParam.nullable().optional() }),
    handler: async ({ tenantId, principal, params, body }) => {
      const s = r.ctx.services();
      if (body.name !== undefined || body.timeZone !== undefined) requireRole(principal, ADMIN, 'rename a line or change its zone');
      let line = await s.lines.resolveLine(tenantId, params.line);
      if (body.name !== undefined || body.timeZone !== undefined) {
        line = await s.lines.updateLine(
          tenantId,
          line.id,
          { ...(body.name !== undefined ? { name: body.name } : {}), ...(body.timeZone !== undefined ? { timeZone: body.timeZone } : {}) },
          principal.actor,
        );
      }
      if (body.flow !== undefined) line = await s.lines.setFlow(tenantId, line.id, body.flow, principal.actor);
      return lineView(s, line);
    },
  });

  r.route({
    method: 'GET',
    path: '/lines/{line}/numbers',
    summary: "A line's numbers",
    tag: 'lines',
    access: ALL_ROLES,
    params,
    handler: async ({ tenantId, params }) => {
      const s = r.ctx.services();
      const line = await s.lines.resolveLine(tenantId, params.line);
      return (await s.lines.listNumbers(tenantId, line.id)).map(numberView);
    },
  });

  r.route({
    method: 'POST',
    path: '/lines/{line}/numbers',
    summary: 'Add a number to a line (409 when any tenant has it)',
    tag: 'lines',
    access: ADMIN,
    status: 201,
    params,
    body: z.strictObject({ number: digits }),
    handler: async ({ tenantId, principal, params, body }) => {
      const s = r.ctx.services();
      const line = await s.lines.resolveLine(tenantId, params.line);
      return numberView(await s.lines.addNumber(tenantId, line.id, body.number, principal.actor));
    },
  });

  r.route({
    method: 'DELETE',
    path: '/numbers/{digits}',
    summary: 'Remove a number from its line',
    tag: 'lines',
    access: ADMIN,
    status: 204,
    params: z.object({ digits }),
    handler: async ({ tenantId, principal, params }) => r.ctx.services().lines.removeNumber(tenantId, params.digits, principal.actor),
  });
}
