/**
 * The tenant's outbound SIP trunk (issue 4 item 7), used by callbacks and transfers: its
 * URI, digest user and caller ID (admins only). The password goes in and is kept as HA1 for
 * the realm (given, else the URI's host) — it and the HA1 never come back; `credentials`
 * says whether some are stored. Setting the trunk again without a password keeps the stored
 * HA1 while user and realm stay the same.
 */
import { z } from 'zod';
import type { TrunkView } from '../../store/repositories/trunks.ts';
import { ADMIN } from '../auth.ts';
import type { Registrar } from '../route.ts';

function view(t: TrunkView) {
  const { tenantId: _, ...rest } = t;
  return rest;
}

export function registerTrunkRoutes(r: Registrar): void {
  r.route({
    method: 'GET',
    path: '/trunk',
    summary: "The tenant's outbound trunk (never its password or HA1)",
    tag: 'trunks',
    access: ADMIN,
    handler: async ({ tenantId }) => view(await r.ctx.services().trunks.get(tenantId)),
  });

  r.route({
    method: 'PUT',
    path: '/trunk',
    summary: "Set the tenant's outbound trunk; a password is stored as HA1 for the realm",
    tag: 'trunks',
    access: ADMIN,
    body: z.strictObject({
      uri: z.string().min(4).max(500).describe('e.g. sip:127.0.0.1:5090 or sip:carrier.example.com'),
      username: z.string().min(1).max(128).nullable().optional(),
      password: z.string().min(1).max(256).optional().describe('stored as HA1 only'),
      realm: z.string().min(1).max(200).nullable().optional().describe("the digest realm; default the URI's host"),
      callerId: z.string().regex(/^\+?[0-9]{2,20}$/, 'a number').nullable().optional(),
    }),
    handler: async ({ tenantId, principal, body }) => view(await r.ctx.services().trunks.set(tenantId, body, principal.actor)),
  });
}
