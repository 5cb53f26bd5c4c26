/**
 * Live announcement slots of a line (incident mode): read them, switch one to a preset
 * or a free text with its [時間]/[網址]/[預估時間] values and an optional expiry, and edit the
 * presets. After a change this node's runtime gets the new state at once (its callers hear
 * it on their next arrival at the slot) and an `announcement.changed` event goes out; other
 * nodes pick it up by polling the store.
 */
import { z } from 'zod';
import type { VariableName } from '../../announcements/template.ts';
import { ALL_ROLES, STAFF } from '../auth.ts';
import type { Registrar } from '../route.ts';
import { isoInstant, lineParam, slotParam } from '../schemas.ts';

const value = z.string().min(1).max(500);

/** The template variables by the names people write them (the seeds' Chinese, or ASCII). */
const values = z
  .strictObject({
    時間: value.optional(),
    網址: value.optional(),
    預估時間: value.optional(),
    time: value.optional(),
    url: value.optional(),
    estimate: value.optional(),
    eta: value.optional(),
  })
  .transform((v) => {
    const out: Partial<Record<VariableName, string>> = {};
    const time = v.時間 ?? v.time;
    const url = v.網址 ?? v.url;
    const eta = v.預估時間 ?? v.estimate ?? v.eta;
    if (time !== undefined) out.time = time;
    if (url !== undefined) out.url = url;
    if (eta !== undefined) out.eta = eta;
    return out;
  });

const change = z.strictObject({
  preset: z.string().min(1).max(100).optional(),
  text: z.string().max(2000).nullable().optional().describe('a free text (null or empty: the slot falls silent)'),
  values: values.optional().describe('a time as HH:MM or +2h (spoken as a clock time in the line zone), a URL; they override the preset\'s defaults'),
  expiresAt: isoInstant.nullable().optional().describe('ISO 8601 instant after which the slot reads as empty'),
});

const presets = z
  .array(
    z.strictObject({
      name: z.string().min(1).max(100),
      text: z.string().max(2000).nullable(),
      values: values.optional().describe('defaults used when a switch gives none: a time as HH:MM or +2h (from the switch), a URL'),
    }),
  )
  .max(50)
  .transform((list) => list.map(({ values: v, ...p }) => (v && Object.keys(v).length > 0 ? { ...p, values: v } : p)));

export function registerAnnouncementRoutes(r: Registrar): void {
  const lineOnly = z.object({ line: lineParam });
  const lineSlot = z.object({ line: lineParam, slot: slotParam });

  r.route({
    method: 'GET',
    path: '/lines/{line}/announcements',
    summary: "Every announcement slot of a line that has been set",
    tag: 'announcements',
    access: ALL_ROLES,
    params: lineOnly,
    handler: async ({ tenantId, params }) => {
      const s = r.ctx.services();
      const line = await s.lines.resolveLine(tenantId, params.line);
      return s.announcements.list(tenantId, line.id);
    },
  });

  r.route({
    method: 'GET',
    path: '/lines/{line}/announcements/{slot}',
    summary: 'The state of one slot (version 0 when never set)',
    tag: 'announcements',
    access: ALL_ROLES,
    params: lineSlot,
    handler: async ({ tenantId, params }) => {
      const s = r.ctx.services();
      const line = await s.lines.resolveLine(tenantId, params.line);
      return s.announcements.get(tenantId, line.id, params.slot);
    },
  });

  r.route({
    method: 'PUT',
    path: '/lines/{line}/announcements/{slot}',
    summary: 'Switch a slot to a preset or a free text (with values and an optional expiry)',
    description: 'Give exactly one of `preset` and `text`. Every new call hears the new text.',
    tag: 'announcements',
    access: STAFF,
    params: lineSlot,
    body: change,
    handler: async ({ tenantId, principal, params, body }) => {
      const s = r.ctx.services();
      const line = await s.lines.resolveLine(tenantId, params.line);
      const state = await s.announcements.set(tenantId, line.id, params.slot, {
        ...(body.preset !== undefined ? { preset: body.preset } : {}),
        ...(body.text !== undefined ? { text: body.text } : {}),
        values: body.values ?? {},
        expiresAt: body.expiresAt ? body.expiresAt.getTime() : null,
        by: principal.actor,
      });
      r.ctx.runtime?.announcementChanged(tenantId, line.id, state);
      r.ctx.bus.publish({ type: 'announcement.changed', tenantId, lineId: line.id, slot: state.slot, version: state.version, text: state.text });
      return state;
    },
  });

  r.route({
    method: 'GET',
    path: '/lines/{line}/announcements/{slot}/presets',
    summary: "A slot's presets (e.g. normal, outage, recovered)",
    tag: 'announcements',
    access: ALL_ROLES,
    params: lineSlot,
    handler: async ({ tenantId, params }) => {
      const s = r.ctx.services();
      const line = await s.lines.resolveLine(tenantId, params.line);
      return s.announcements.presets(tenantId, line.id, params.slot);
    },
  });

  r.route({
    method: 'PUT',
    path: '/lines/{line}/announcements/{slot}/presets',
    summary: "Replace a slot's presets (text null: the slot is silent under that preset)",
    tag: 'announcements',
    access: STAFF,
    params: lineSlot,
    body: presets,
    handler: async ({ tenantId, principal, params, body }) => {
      const s = r.ctx.services();
      const line = await s.lines.resolveLine(tenantId, params.line);
      await s.announcements.setPresets(tenantId, line.id, params.slot, body, principal.actor);
      return s.announcements.presets(tenantId, line.id, params.slot);
    },
  });
}
