/**
 * Voicemails ("leave a message", issue 4 item 5): listed newest first with the caller's
 * number, time, IVR path and digits; the WAV is served as audio/wav to admins and
 * supervisors; they assign a message to a person (a user id, or an agent by id or
 * extension) and mark it done. An agent's key sees the messages assigned to its agent's user.
 */
import { z } from 'zod';
import { defined } from '../../defined.ts';
import { isUuid } from '../../store/ids.ts';
import type { VoicemailView } from '../../store/repositories/voicemails.ts';
import { VOICEMAIL_STATES } from '../../store/schema.ts';
import { requireOwnAgent } from '../acd.ts';
import type { AudioStore } from '../../storage/audio-store.ts';
import { sendWav } from '../audio.ts';
import { ALL_ROLES, STAFF, type Principal } from '../auth.ts';
import { ApiError } from '../errors.ts';
import type { Registrar } from '../route.ts';
import type { Services } from '../services.ts';
import { idParam, isoInstant, lineParam, queryInt } from '../schemas.ts';

function view(v: VoicemailView) {
  const { tenantId: _, path: __, ...rest } = v;
  return rest;
}

export function registerVoicemailRoutes(r: Registrar, audio: AudioStore | undefined): void {
  const params = z.object({ id: idParam });

  const visible = async (s: Services, p: Principal, v: VoicemailView): Promise<VoicemailView> => {
    if (p.role !== 'agent') return v;
    const own = await requireOwnAgent(s, p);
    if (v.assignedTo !== own.userId) throw new ApiError('not_found', `voicemail not found: ${v.id}`);
    return v;
  };

  /** A user id, or an agent's id or extension (its user). */
  const assignee = async (s: Services, tenantId: string, ref: string): Promise<string> => {
    if (isUuid(ref)) {
      const agent = await s.agents.get(tenantId, ref).catch(() => undefined);
      return agent ? agent.userId : (await s.users.get(tenantId, ref)).id;
    }
    const agent = await s.agents.getByExtension(tenantId, ref);
    if (!agent) throw new ApiError('not_found', `assignedTo: no user or agent ${ref}`);
    return agent.userId;
  };

  r.route({
    method: 'GET',
    path: '/voicemails',
    summary: 'Voicemails, newest first (an agent key: those assigned to it; cursor: ?before=<recordedAt of the last one>)',
    tag: 'voicemails',
    access: ALL_ROLES,
    query: z.strictObject({
      state: z.enum(VOICEMAIL_STATES).optional(),
      line: lineParam.optional(),
      queue: z.string().min(1).max(200).optional(),
      assignedTo: z.uuid().optional().describe('a user id'),
      since: isoInstant.optional(),
      until: isoInstant.optional(),
      before: isoInstant.optional(),
      limit: queryInt(1, 500).optional(),
    }),
    handler: async ({ tenantId, principal, query }) => {
      const s = r.ctx.services();
      const lineId = query.line !== undefined ? (await s.lines.resolveLine(tenantId, query.line)).id : undefined;
      let assignedTo = query.assignedTo;
      if (principal.role === 'agent') {
        const own = (await requireOwnAgent(s, principal)).userId;
        if (assignedTo !== undefined && assignedTo !== own) return [];
        assignedTo = own;
      }
      const list = await s.voicemails.list(tenantId, {
        ...defined({ state: query.state, lineId, queue: query.queue, assignedTo, since: query.since, until: query.until, before: query.before }),
        limit: query.limit ?? 50,
      });
      return list.map(view);
    },
  });

  r.route({
    method: 'GET',
    path: '/voicemails/{id}',
    summary: 'A voicemail',
    tag: 'voicemails',
    access: ALL_ROLES,
    params,
    handler: async ({ tenantId, principal, params }) => {
      const s = r.ctx.services();
      return view(await visible(s, principal, await s.voicemails.get(tenantId, params.id)));
    },
  });

  r.route({
    method: 'GET',
    path: '/voicemails/{id}/audio',
    summary: 'The message as audio/wav (admins, supervisors)',
    tag: 'voicemails',
    access: STAFF,
    params,
    description: 'Answers audio/wav (the stored WAV, streamed), not JSON; errors are JSON as everywhere.',
    errors: { 502: 'the audio store failed', 503: 'this node has no audio store' },
    handler: async ({ tenantId, params, reply }) => {
      const v = await r.ctx.services().voicemails.get(tenantId, params.id);
      return sendWav(reply, audio, v.path, `voicemail ${v.id}`);
    },
  });

  r.route({
    method: 'PATCH',
    path: '/voicemails/{id}',
    summary: 'Assign a voicemail (a user id, or an agent id or extension; null unassigns) and/or mark it done',
    tag: 'voicemails',
    access: STAFF,
    params,
    body: z.strictObject({ assignedTo: z.string().min(1).max(200).nullable().optional(), state: z.literal('done').optional() }),
    handler: async ({ tenantId, params, body }) => {
      const s = r.ctx.services();
      let v = await s.voicemails.get(tenantId, params.id);
      if (body.assignedTo !== undefined) v = await s.voicemails.assign(tenantId, v.id, body.assignedTo === null ? null : await assignee(s, tenantId, body.assignedTo));
      if (body.state === 'done') v = await s.voicemails.done(tenantId, v.id);
      return view(v);
    },
  });
}
