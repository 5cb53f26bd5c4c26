/**
 * Who is calling: an API key presented as `Authorization: Bearer <key>` (and, for the
 * /events WebSocket only, as `?key=` because browsers cannot set headers on an upgrade)
 * is verified against the store and becomes a Principal. Every tenant-scoped handler gets
 * the principal's tenantId and nothing else, so a key can only ever name its own tenant's
 * rows: tenant isolation holds by construction, not by per-route checks.
 */
import type { FastifyRequest } from 'fastify';
import type { ApiKeysRepository } from '../store/repositories/api-keys.ts';
import type { Role } from '../store/schema.ts';
import { ApiError } from './errors.ts';

export interface Principal {
  readonly keyId: string;
  readonly tenantId: string;
  readonly role: Role;
  /** The key's name. */
  readonly name: string;
  /** The user the key speaks for; null for a key of no one in particular. */
  readonly userId: string | null;
  /** How this principal is written in the audit log and in `created_by`. */
  readonly actor: string;
}

/** Who may call a route: anyone (no key), or keys with one of the roles. */
export type Access = 'public' | readonly Role[];

export const ALL_ROLES: readonly Role[] = ['admin', 'supervisor', 'agent'];
export const ADMIN: readonly Role[] = ['admin'];
export const STAFF: readonly Role[] = ['admin', 'supervisor'];

const BEARER = /^Bearer[ \t]+(\S+)[ \t]*$/i;

/** The key the request presents, or undefined. `?key=` is honoured only when `allowQueryKey`. */
export function presentedKey(req: FastifyRequest, allowQueryKey: boolean): string | undefined {
  const header = req.headers.authorization;
  if (header !== undefined) return BEARER.exec(header)?.[1];
  if (allowQueryKey) {
    const q = (req.query as Record<string, unknown> | undefined)?.['key'];
    if (typeof q === 'string' && q !== '') return q;
  }
  return undefined;
}

/** 401 for no key or one that is malformed, unknown or revoked; 403 when the role may not call the route. */
export async function authenticate(
  req: FastifyRequest,
  keys: ApiKeysRepository,
  roles: readonly Role[],
  allowQueryKey: boolean,
): Promise<Principal> {
  const key = presentedKey(req, allowQueryKey);
  if (key === undefined) throw new ApiError('unauthorized', 'an API key is required (Authorization: Bearer <key>)');
  const found = await keys.verify(key);
  if (!found) throw new ApiError('unauthorized', 'the API key is invalid or revoked');
  const principal: Principal = { ...found, actor: `key:${found.name}` };
  requireRole(principal, roles);
  return principal;
}

export function requireRole(principal: Principal, roles: readonly Role[], what?: string): void {
  if (!roles.includes(principal.role)) {
    throw new ApiError('forbidden', `role ${principal.role} may not ${what ?? 'call this route'} (needs ${roles.join(' or ')})`);
  }
}
