/**
 * Pause and resume the recording of a call in conversation (C16, "pause for payment data"):
 * while the caller reads out a card number the agent (or a supervisor) pauses, and resumes
 * afterwards. The WAV keeps its timeline with silence in the gap; the gap is stored with the
 * recording (GET /recordings/{id} → pauses), the call's journey says who paused and when,
 * and each change is audited. An agent's key may act only on its own call.
 */
import { type AcdLive, requireOwnAgent } from '../acd.ts';
import { ALL_ROLES } from '../auth.ts';
import { ApiError } from '../errors.ts';
import type { Registrar } from '../route.ts';
import { callRefParam } from '../schemas.ts';

export function registerCallRecordingRoutes(r: Registrar, acd: AcdLive | undefined): void {
  for (const action of ['pause', 'resume'] as const) {
    r.route({
      method: 'POST',
      path: `/calls/{id}/recording/${action}`,
      summary: action === 'pause' ? "Pause a call's recording, e.g. while the caller gives card details (an agent key: its own call)" : "Resume a paused call's recording (an agent key: its own call)",
      tag: 'calls',
      access: ALL_ROLES,
      params: callRefParam,
      errors: { 404: 'the call is not in conversation with an agent on this node', 409: 'the call is not recorded, or its recording is not running', 503: 'this node runs no queue runtime' },
      handler: async ({ tenantId, principal, params }) => {
        if (!acd?.conversation || !acd.pauseRecording) throw new ApiError('unavailable', 'this node runs no queue runtime: recordings cannot be paused here');
        const callId = r.ctx.runtime?.live(tenantId, params.id)?.id ?? params.id;
        const c = acd.conversation(tenantId, callId);
        if (!c) throw new ApiError('not_found', `call ${params.id} is not in conversation with an agent on this node`);
        if (principal.role === 'agent') {
          const me = await requireOwnAgent(r.ctx.services(), principal);
          if (me.id !== c.agentId) throw new ApiError('forbidden', `agent ${me.extension} is not on call ${callId}`);
        }
        const res = await acd.pauseRecording(tenantId, callId, action === 'pause', principal.actor);
        if (res.changed) {
          await r.ctx.services().audit.record(tenantId, { actor: principal.actor, action: `recording.${action}`, subject: `call:${callId}`, detail: { atMs: res.atMs, queue: c.queue } });
        }
        return res;
      },
    });
  }
}
