/**
 * Tenants: a key sees its own tenant; admins of the operator tenant (the installation's
 * first, `demo`) see every tenant and create new ones, each with its first admin key
 * (shown once, like every key).
 */
import { z } from 'zod';
import type { Tenant } from '../../store/schema.ts';
import { ADMIN, STAFF } from '../auth.ts';
import { ApiError } from '../errors.ts';
import type { Registrar } from '../route.ts';

export function tenantView(t: Tenant) {
  return { id: t.id, slug: t.slug, name: t.name, operator: t.operator, createdAt: t.created_at };
}

export function registerTenantRoutes(r: Registrar): void {
  r.route({
    method: 'GET',
    path: '/tenants',
    summary: "The caller's tenant; every tenant for admins of the operator tenant",
    tag: 'tenants',
    access: STAFF,
    handler: async ({ tenantId, principal }) => {
      const { tenants } = r.ctx.services();
      const own = await tenants.get(tenantId);
      if (own.operator && principal.role === 'admin') return (await tenants.list()).map(tenantView);
      return [tenantView(own)];
    },
  });

  r.route({
    method: 'POST',
    path: '/tenants',
    summary: 'Create a tenant and its first admin key (operator tenant admins only)',
    tag: 'tenants',
    access: ADMIN,
    status: 201,
    body: z.strictObject({ slug: z.string().min(1).max(63), name: z.string().min(1).max(200) }),
    handler: async ({ tenantId, principal, body }) => {
      const { tenants, apiKeys, audit } = r.ctx.services();
      const own = await tenants.get(tenantId);
      if (!own.operator) throw new ApiError('forbidden', 'only admins of the operator tenant may create tenants');
      const tenant = await tenants.create(body, principal.actor);
      const { key } = await apiKeys.create(tenant.id, { name: 'admin', role: 'admin' }, principal.actor);
      // The new tenant's log has the creation; the operator's own log says who made which tenant.
      await audit.record(tenantId, { actor: principal.actor, action: 'tenant.create', subject: `tenant:${tenant.id}`, detail: { slug: tenant.slug } });
      return { tenant: tenantView(tenant), adminKey: key };
    },
  });
}
