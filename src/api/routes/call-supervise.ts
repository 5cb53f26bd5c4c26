/**
 * Supervisor listen / whisper / barge on a call in conversation (C11): POST rings the
 * supervisor's phone (a registered extension) and joins it in the mode given, or changes the
 * mode of the supervisor already on the call; GET shows who supervises; DELETE hangs the
 * supervisor up. Admins and supervisors only; every join, change and leave is audited.
 */
import { z } from 'zod';
import { SUPERVISE_MODES } from '../../acd/live/supervision.ts';
import type { AcdLive, SupervisionLike } from '../acd.ts';
import { STAFF } from '../auth.ts';
import { ApiError } from '../errors.ts';
import type { Registrar } from '../route.ts';
import { callRefParam } from '../schemas.ts';

export function registerCallSuperviseRoutes(r: Registrar, acd: AcdLive | undefined): void {
  const params = callRefParam;
  const errors = { 404: 'the call is not in conversation with an agent on this node (or has no supervisor)', 503: 'this node runs no queue runtime' };
  const resolve = (tenantId: string, id: string): { sup: SupervisionLike; callId: string } => {
    const sup = acd?.supervision?.(tenantId);
    if (!sup) throw new ApiError('unavailable', 'this node runs no queue runtime for the tenant: calls cannot be supervised here');
    return { sup, callId: r.ctx.runtime?.live(tenantId, id)?.id ?? id };
  };

  r.route({
    method: 'POST',
    path: '/calls/{id}/supervise',
    summary: "Listen to, whisper to the agent on, or barge into a call: rings the supervisor's phone (or changes the mode of the supervisor on it)",
    tag: 'calls',
    access: STAFF,
    params,
    body: z.strictObject({
      extension: z.string().regex(/^[0-9A-Za-z_.-]{1,32}$/).describe("the supervisor's registered extension"),
      mode: z.enum(SUPERVISE_MODES).default('listen').describe('listen: hears both; whisper: the agent hears the supervisor too; barge: both do'),
    }),
    errors: { ...errors, 409: "another supervisor is on the call, the extension is the call's agent, or the phone did not answer" },
    handler: async ({ tenantId, principal, params, body }) => {
      const { sup, callId } = resolve(tenantId, params.id);
      const before = sup.get(callId);
      const view = await sup.supervise(callId, body.extension, body.mode, principal.actor);
      if (before?.mode !== view.mode) {
        await r.ctx.services().audit.record(tenantId, { actor: principal.actor, action: before ? 'call.supervise-mode' : 'call.supervise', subject: `call:${callId}`, detail: { extension: view.extension, mode: view.mode } });
      }
      return view;
    },
  });

  r.route({
    method: 'GET',
    path: '/calls/{id}/supervise',
    summary: 'Who supervises the call, in which mode, since when',
    tag: 'calls',
    access: STAFF,
    params,
    errors,
    handler: async ({ tenantId, params }) => {
      const { sup, callId } = resolve(tenantId, params.id);
      const view = sup.get(callId);
      if (!view) throw new ApiError('not_found', `call ${params.id} has no supervisor on this node`);
      return view;
    },
  });

  r.route({
    method: 'DELETE',
    path: '/calls/{id}/supervise',
    summary: "Hang the supervisor up (caller and agent go on talking)",
    tag: 'calls',
    access: STAFF,
    status: 204,
    params,
    errors,
    handler: async ({ tenantId, principal, params }) => {
      const { sup, callId } = resolve(tenantId, params.id);
      const view = sup.get(callId);
      await sup.stop(callId);
      await r.ctx.services().audit.record(tenantId, { actor: principal.actor, action: 'call.supervise-end', subject: `call:${callId}`, detail: { extension: view?.extension ?? null } });
    },
  });
}
