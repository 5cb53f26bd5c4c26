/** API keys of the caller's tenant (admins only): the plaintext is in the create answer and nowhere else. */
import { z } from 'zod';
import { isUuid } from '../../store/ids.ts';
import { ADMIN } from '../auth.ts';
import { ApiError } from '../errors.ts';
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
    body: z.strictObject({
      name: z.string().min(1).max(200),
      role,
      user: z.string().min(1).max(200).optional().describe("the user the key speaks for: a user id or user name, or an agent's extension; its role must be at least the key's"),
    }),
    handler: async ({ tenantId, principal, body }) => {
      const s = r.ctx.services();
      let userId: string | undefined;
      if (body.user !== undefined) {
        const ref = body.user;
        const agent = isUuid(ref) ? undefined : await s.agents.getByExtension(tenantId, ref);
        userId = agent ? agent.userId : isUuid(ref) ? (await s.users.get(tenantId, ref)).id : (await s.users.list(tenantId)).find((u) => u.username === ref)?.id;
        if (userId === undefined) throw new ApiError('not_found', `user: no user or agent ${ref}`);
      }
      // The store audits it (api-key.create) under the caller's name.
      return s.apiKeys.create(tenantId, { name: body.name, role: body.role, ...(userId !== undefined ? { userId } : {}) }, principal.actor);
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
