/** API keys of the caller's tenant (admins only): the plaintext is in the create answer and nowhere else. */
import { z } from 'zod';
import { ADMIN } from '../auth.ts';
import type { Registrar } from '../route.ts';
import { idParam, role } from '../schemas.ts';

export function registerKeyRoutes(r: Registrar): void {
  r.route({
    method: 'GET',
    path: '/keys',
    summary: "The tenant's API keys (prefix, role, last use; never the secret)",
    tag: 'keys',
    access: ADMIN,
    handler: async ({ tenantId }) => r.ctx.services().apiKeys.list(tenantId),
  });

  r.route({
    method: 'POST',
    path: '/keys',
    summary: 'Create an API key; the answer holds the key, shown only this once',
    tag: 'keys',
    access: ADMIN,
    status: 201,
    body: z.strictObject({ name: z.string().min(1).max(200), role }),
    handler: async ({ tenantId, principal, body }) => {
      // The store audits it (api-key.create) under the caller's name.
      return r.ctx.services().apiKeys.create(tenantId, body, principal.actor);
    },
  });

  r.route({
    method: 'DELETE',
    path: '/keys/{id}',
    summary: 'Revoke an API key',
    tag: 'keys',
    access: ADMIN,
    status: 204,
    params: z.object({ id: idParam }),
    handler: async ({ tenantId, principal, params }) => {
      await r.ctx.services().apiKeys.revoke(tenantId, params.id, principal.actor);
    },
  });
}
