/**
 * Call recordings (issue 4 item 6, C16): listed and played only by admins and supervisors;
 * agents' keys get 403 on every recording route, their own calls included. The WAV
 * (stereo or mixed) is streamed as audio/wav from the data directory.
 */
import { z } from 'zod';
import { defined } from '../../defined.ts';
import type { RecordingView } from '../../store/repositories/recordings.ts';
import { resolveAgent } from '../acd.ts';
import type { AudioStore } from '../../storage/audio-store.ts';
import { sendWav } from '../audio.ts';
import { STAFF } from '../auth.ts';
import type { Registrar } from '../route.ts';
import { idParam, isoInstant, queryInt } from '../schemas.ts';

function view(rec: RecordingView) {
  const { tenantId: _, path: __, ...rest } = rec;
  return rest;
}

export function registerRecordingRoutes(r: Registrar, audio: AudioStore | undefined): void {
  const params = z.object({ id: idParam });

  r.route({
    method: 'GET',
    path: '/recordings',
    summary: 'Call recordings, newest first (admins, supervisors; cursor: ?before=<startedAt of the last one>)',
    tag: 'recordings',
    access: STAFF,
    query: z.strictObject({
      call: z.uuid().optional().describe('a call id'),
      agent: z.string().min(1).max(200).optional().describe('an agent id or extension'),
      queue: z.string().min(1).max(200).optional(),
      since: isoInstant.optional(),
      until: isoInstant.optional(),
      before: isoInstant.optional(),
      limit: queryInt(1, 500).optional(),
    }),
    handler: async ({ tenantId, query }) => {
      const s = r.ctx.services();
      const agentId = query.agent !== undefined ? (await resolveAgent(s, tenantId, query.agent)).id : undefined;
      const { queue, since, until, before } = query;
      const list = await s.recordings.list(tenantId, { ...defined({ callId: query.call, agentId, queue, since, until, before }), limit: query.limit ?? 50 });
      return list.map(view);
    },
  });

  r.route({
    method: 'GET',
    path: '/recordings/{id}',
    summary: 'A recording (admins, supervisors)',
    tag: 'recordings',
    access: STAFF,
    params,
    handler: async ({ tenantId, params }) => view(await r.ctx.services().recordings.get(tenantId, params.id)),
  });

  r.route({
    method: 'GET',
    path: '/recordings/{id}/audio',
    summary: 'The recording as audio/wav (admins, supervisors)',
    tag: 'recordings',
    access: STAFF,
    params,
    description: 'Answers audio/wav (the stored WAV, streamed), not JSON; errors are JSON as everywhere.',
    errors: { 502: 'the audio store failed', 503: 'this node has no audio store' },
    handler: async ({ tenantId, params, reply }) => {
      const rec = await r.ctx.services().recordings.get(tenantId, params.id);
      return sendWav(reply, audio, rec.path, `recording ${rec.id}`);
    },
  });
}
