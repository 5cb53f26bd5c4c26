/** Users of the caller's tenant (admins only). Passwords go in, never out (stored as scrypt hashes). */
import { z } from 'zod';
import { ADMIN } from '../auth.ts';
import type { Registrar } from '../route.ts';
import { idParam, role } from '../schemas.ts';

const password = z.string().min(8).max(200);

export function registerUserRoutes(r: Registrar): void {
  const params = z.object({ id: idParam });

  r.route({
    method: 'GET',
    path: '/users',
    summary: "The tenant's users",
    tag: 'users',
    access: ADMIN,
    handler: async ({ tenantId }) => r.ctx.services().users.list(tenantId),
  });

  r.route({
    method: 'POST',
    path: '/users',
    summary: 'Create a user',
    tag: 'users',
    access: ADMIN,
    status: 201,
    body: z.strictObject({
      username: z.string().min(1).max(100),
      displayName: z.string().min(1).max(200).optional(),
      role,
      password: password.optional(),
    }),
    handler: async ({ tenantId, principal, body }) => r.ctx.services().users.create(tenantId, body, principal.actor),
  });

  r.route({
    method: 'GET',
    path: '/users/{id}',
    summary: 'A user',
    tag: 'users',
    access: ADMIN,
    params,
    handler: async ({ tenantId, params }) => r.ctx.services().users.get(tenantId, params.id),
  });

  r.route({
    method: 'PATCH',
    path: '/users/{id}',
    summary: "Change a user's display name, role or password",
    tag: 'users',
    access: ADMIN,
    params,
    body: z.strictObject({ displayName: z.string().min(1).max(200).optional(), role: role.optional(), password: password.optional() }),
    handler: async ({ tenantId, principal, params, body }) => r.ctx.services().users.update(tenantId, params.id, body, principal.actor),
  });

  r.route({
    method: 'DELETE',
    path: '/users/{id}',
    summary: 'Delete a user',
    tag: 'users',
    access: ADMIN,
    status: 204,
    params,
    handler: async ({ tenantId, principal, params }) => r.ctx.services().users.remove(tenantId, params.id, principal.actor),
  });
}
