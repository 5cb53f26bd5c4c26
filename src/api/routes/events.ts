/**
 * GET /api/v1/events: a WebSocket streaming the caller's tenant's events (call started,
 * journey steps, ended; announcement changed; flow published) as JSON text frames. The
 * subscription is by the key's tenant, so no frame of another tenant can reach it.
 */
import { z } from 'zod';
import { ALL_ROLES } from '../auth.ts';
import type { Registrar } from '../route.ts';

/** A client that stops reading is cut off rather than buffered without bound. */
const MAX_BUFFERED_BYTES = 4 << 20;

export function registerEventRoutes(r: Registrar): void {
  r.websocket({
    path: '/events',
    summary: "WebSocket: the tenant's call, announcement, flow and ACD (agent state, queue, tier, callback) events as JSON text frames",
    description: 'The key goes in `Authorization: Bearer <key>` or, for clients that cannot set headers, in `?key=`.',
    tag: 'events',
    access: ALL_ROLES,
    query: z.object({ key: z.string().optional().describe('the API key, when no Authorization header can be sent') }),
    handler: (socket, { tenantId }) => {
      const unsubscribe = r.ctx.bus.subscribe(tenantId, (event) => {
        if (socket.readyState !== socket.OPEN) return;
        if (socket.bufferedAmount > MAX_BUFFERED_BYTES) {
          socket.close(1013, 'too slow');
          return;
        }
        socket.send(JSON.stringify(event));
      });
      socket.on('close', unsubscribe);
      socket.on('error', unsubscribe);
      // Incoming frames are not part of the protocol; they are ignored.
      socket.on('message', () => {});
    },
  });
}
