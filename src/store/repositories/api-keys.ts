/**
 * API keys: `sl_<prefix>_<secret>`. The plaintext is returned once, at creation; the store
 * keeps sha256 of the whole key. A slow password hash (scrypt, argon2) exists to make
 * guessing low-entropy human passwords expensive; a key whose secret is 32 random bytes
 * (256 bits) cannot be guessed however fast the hash, so sha256 loses nothing and keeps
 * every authenticated request cheap. The prefix is not secret: it is shown in lists so that
 * people can tell keys apart, and it finds the row without scanning hashes.
 * Keys made elsewhere (SURGELINE_ADMIN_KEY may be any long random string) are imported:
 * their prefix is `ext_` + the first 12 hex of their sha256, so verify() still finds the row
 * by prefix — computed from the presented key's hash instead of read from its text.
 * Creation, import and revocation are audited under api-key:<id>.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Clock } from '../../clock.ts';
import { ConflictError, FOREIGN_KEY_VIOLATION, NotFoundError, ValidationError, mapConflict, sqlState } from '../errors.ts';
import { isUuid, requireId } from '../ids.ts';
import { ROLES, type Database, type Role } from '../schema.ts';
import { auditRepository } from './audit.ts';

const KEY = /^sl_([0-9a-f]{12})_([A-Za-z0-9_-]{43})$/;
/** An imported key: printable ASCII without spaces, long enough to carry real entropy. */
const EXTERNAL_KEY = /^[\x21-\x7e]{20,200}$/;
/** last_used_at is for people ("used 3 days ago"); writing it on every request would turn each read into a write. */
const LAST_USED_RESOLUTION_MS = 60_000;

export interface ApiKey {
  id: string;
  tenantId: string;
  name: string;
  role: Role;
  prefix: string;
  /** The user the key speaks for, if any. */
  userId: string | null;
  createdAt: Date;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
}

/** Who a verified key speaks for. */
export interface ApiKeyPrincipal {
  keyId: string;
  tenantId: string;
  role: Role;
  name: string;
  userId: string | null;
}

export interface NewApiKey {
  name: string;
  role: Role;
  /** The user it speaks for: of this tenant, with a role at least the key's (an agent key: an agent user). */
  userId?: string | null;
}

export interface ApiKeysRepository {
  /** `key` is the plaintext, available only here. */
  /** ValidationError for a user of a lesser role than the key's; NotFoundError for an unknown user. */
  create(tenantId: string, input: NewApiKey, by?: string): Promise<{ key: string; apiKey: ApiKey }>;
  /**
   * Stores a key chosen outside (20..200 printable characters, or an sl_ key). Idempotent:
   * the same key already in this tenant returns that row unchanged; in another tenant it is
   * a ConflictError.
   */
  import(tenantId: string, key: string, input: { name: string; role: Role }, by?: string): Promise<ApiKey>;
  /** Undefined for malformed, unknown or revoked keys alike. */
  verify(key: string): Promise<ApiKeyPrincipal | undefined>;
  /** Throws NotFoundError; revoking an already revoked key keeps the first revocation time. */
  revoke(tenantId: string, keyId: string, by?: string): Promise<void>;
  list(tenantId: string): Promise<ApiKey[]>;
}

export function hashKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

/** The prefix a key's row is stored under: its own for sl_ keys, derived from its hash for others. */
function prefixOf(key: string): string | undefined {
  const m = KEY.exec(key);
  if (m) return m[1];
  if (EXTERNAL_KEY.test(key)) return `ext_${hashKey(key).slice(0, 12)}`;
  return undefined;
}

type ApiKeyColumns = Pick<
  Database['api_keys'],
  'name' | 'role' | 'prefix' | 'user_id'
> & { id: string; tenant_id: string; created_at: Date; last_used_at: Date | null; revoked_at: Date | null };

function toApiKey(row: ApiKeyColumns): ApiKey {
  return {
    id: row.id,
    tenantId: row.tenant_id,
    name: row.name,
    role: row.role,
    prefix: row.prefix,
    userId: row.user_id,
    createdAt: row.created_at,
    lastUsedAt: row.last_used_at,
    revokedAt: row.revoked_at,
  };
}

const PUBLIC_COLUMNS = ['id', 'tenant_id', 'name', 'role', 'prefix', 'user_id', 'created_at', 'last_used_at', 'revoked_at'] as const;

/** admin > supervisor > agent: a key may not do more than the user it speaks for. */
const RANK: Record<Role, number> = { agent: 0, supervisor: 1, admin: 2 };

export function apiKeysRepository(db: Kysely<Database>, clock: Clock): ApiKeysRepository {
  const audit = auditRepository(db, clock);
  const recorded = async (apiKey: ApiKey, action: string, by: string): Promise<ApiKey> => {
    await audit.record(apiKey.tenantId, { actor: by, action, subject: `api-key:${apiKey.id}`, detail: { name: apiKey.name, role: apiKey.role, prefix: apiKey.prefix, ...(apiKey.userId ? { userId: apiKey.userId } : {}) } });
    return apiKey;
  };
  return {
    async create(tenantId, { name, role, userId = null }, by = 'system') {
      requireId('tenant', tenantId);
      if (!ROLES.includes(role)) throw new ValidationError('role', `one of ${ROLES.join(', ')}`);
      if (name.trim() === '') throw new ValidationError('name', 'must not be empty');
      if (userId !== null) {
        const user = isUuid(userId)
          ? await db.selectFrom('users').select(['role']).where('tenant_id', '=', tenantId).where('id', '=', userId).executeTakeFirst()
          : undefined;
        if (!user) throw new NotFoundError('user', userId);
        if (RANK[role] > RANK[user.role]) throw new ValidationError('role', `at most the user's role (${user.role})`);
      }
      // 48 bits of prefix: a collision is rare enough that one retry on the unique index is plenty.
      for (let attempt = 0; ; attempt++) {
        const prefix = randomBytes(6).toString('hex');
        const key = `sl_${prefix}_${randomBytes(32).toString('base64url')}`;
        try {
          const row = await db
            .insertInto('api_keys')
            .values({
              tenant_id: tenantId,
              name,
              role,
              key_hash: hashKey(key),
              prefix,
              user_id: userId,
              created_at: new Date(clock.wallNow()),
            })
            .returning(PUBLIC_COLUMNS)
            .executeTakeFirstOrThrow();
          return { key, apiKey: await recorded(toApiKey(row), 'api-key.create', by) };
        } catch (err) {
          const s = sqlState(err);
          if (s?.code === FOREIGN_KEY_VIOLATION) throw new NotFoundError('tenant', tenantId);
          if (s?.code === '23505' && s.constraint === 'api_keys_prefix_key' && attempt < 2) continue;
          throw err;
        }
      }
    },

    async import(tenantId, key, { name, role }, by = 'system') {
      requireId('tenant', tenantId);
      if (!ROLES.includes(role)) throw new ValidationError('role', `one of ${ROLES.join(', ')}`);
      if (name.trim() === '') throw new ValidationError('name', 'must not be empty');
      const prefix = prefixOf(key);
      if (prefix === undefined) throw new ValidationError('key', '20 to 200 printable characters without spaces');
      const hash = hashKey(key);
      const existing = await db.selectFrom('api_keys').select([...PUBLIC_COLUMNS, 'key_hash']).where('prefix', '=', prefix).executeTakeFirst();
      if (existing) {
        if (existing.tenant_id === tenantId && existing.key_hash === hash) return toApiKey(existing);
        throw new ConflictError('this key (or one with its prefix) is already in use', 'api_keys_prefix_key');
      }
      try {
        const row = await db
          .insertInto('api_keys')
          .values({ tenant_id: tenantId, name, role, key_hash: hash, prefix, user_id: null, created_at: new Date(clock.wallNow()) })
          .returning(PUBLIC_COLUMNS)
          .executeTakeFirstOrThrow();
        return await recorded(toApiKey(row), 'api-key.import', by);
      } catch (err) {
        if (sqlState(err)?.code === FOREIGN_KEY_VIOLATION) throw new NotFoundError('tenant', tenantId);
        throw mapConflict(err, 'api key');
      }
    },

    async verify(key) {
      const prefix = prefixOf(key);
      if (prefix === undefined) return undefined;
      // Unscoped by design: the key is what tells us the tenant.
      const row = await db
        .selectFrom('api_keys')
        .select(['id', 'tenant_id', 'name', 'role', 'key_hash', 'user_id', 'last_used_at', 'revoked_at'])
        .where('prefix', '=', prefix)
        .executeTakeFirst();
      if (!row) return undefined;
      // Constant-time: the prefix is public, so timing must not reveal how much of the secret matched.
      const presented = Buffer.from(hashKey(key), 'hex');
      const stored = Buffer.from(row.key_hash, 'hex');
      if (presented.length !== stored.length || !timingSafeEqual(presented, stored)) return undefined;
      if (row.revoked_at !== null) return undefined;
      const now = clock.wallNow();
      if (row.last_used_at === null || now - row.last_used_at.getTime() >= LAST_USED_RESOLUTION_MS) {
        await db
          .updateTable('api_keys')
          .set({ last_used_at: new Date(now) })
          .where('tenant_id', '=', row.tenant_id)
          .where('id', '=', row.id)
          .execute();
      }
      return { keyId: row.id, tenantId: row.tenant_id, role: row.role, name: row.name, userId: row.user_id };
    },

    async revoke(tenantId, keyId, by = 'system') {
      if (!isUuid(tenantId) || !isUuid(keyId)) throw new NotFoundError('api key', keyId);
      const existing = await db
        .selectFrom('api_keys')
        .select(PUBLIC_COLUMNS)
        .where('tenant_id', '=', tenantId)
        .where('id', '=', keyId)
        .executeTakeFirst();
      if (!existing) throw new NotFoundError('api key', keyId);
      if (existing.revoked_at !== null) return;
      await db
        .updateTable('api_keys')
        .set({ revoked_at: new Date(clock.wallNow()) })
        .where('tenant_id', '=', tenantId)
        .where('id', '=', keyId)
        .where('revoked_at', 'is', null)
        .execute();
      await recorded(toApiKey(existing), 'api-key.revoke', by);
    },

    async list(tenantId) {
      if (!isUuid(tenantId)) return [];
      const rows = await db
        .selectFrom('api_keys')
        .select(PUBLIC_COLUMNS)
        .where('tenant_id', '=', tenantId)
        .orderBy('created_at')
        .orderBy('prefix')
        .execute();
      return rows.map(toApiKey);
    },
  };
}
