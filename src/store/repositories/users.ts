/**
 * People of a tenant: admins, supervisors, agents. Passwords are kept as scrypt hashes
 * (RFC 7914) in the self-describing form `scrypt$N$r$p$salt$hash` (salt and hash base64url),
 * so the cost can be raised later without invalidating stored hashes: verification reads
 * the parameters from the hash itself. A password is optional (agents may sign in by SIP
 * registration only). Changes are audited under user:<id>; the hash never leaves this file.
 */
import { randomBytes, scrypt as scryptCb, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Clock } from '../../clock.ts';
import { FOREIGN_KEY_VIOLATION, NotFoundError, ValidationError, mapConflict, sqlState } from '../errors.ts';
import { isUuid, requireId } from '../ids.ts';
import { ROLES, type Database, type Role } from '../schema.ts';
import { auditRepository } from './audit.ts';

export interface UserView {
  id: string;
  tenantId: string;
  username: string;
  displayName: string;
  role: Role;
  createdAt: Date;
}

export interface UsersRepository {
  /** ConflictError when the username is taken in the tenant. Audit 'user.create'. */
  create(tenantId: string, input: { username: string; displayName?: string; role: Role; password?: string }, by: string): Promise<UserView>;
  list(tenantId: string): Promise<UserView[]>;
  /** NotFoundError. */
  get(tenantId: string, id: string): Promise<UserView>;
  /** NotFoundError. Audit 'user.update' (which fields, never the password). */
  update(tenantId: string, id: string, patch: { displayName?: string; role?: Role; password?: string }, by: string): Promise<UserView>;
  /** NotFoundError. Audit 'user.remove'. */
  remove(tenantId: string, id: string, by: string): Promise<void>;
  /** The user when the password matches; undefined for an unknown user, no password or a wrong one alike. */
  verifyPassword(tenantId: string, username: string, password: string): Promise<UserView | undefined>;
}

const USERNAME = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/;
const MIN_PASSWORD = 8;
const MAX_PASSWORD = 1024;
/** OWASP's scrypt floor (N=2^17, r=8, p=1) needs 128 MiB per hash; 2^15 keeps 32 MiB on a 2-core box. */
const COST = { N: 32768, r: 8, p: 1 } as const;
const KEY_LENGTH = 32;

function scrypt(password: string, salt: Buffer, keylen: number, options: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scryptCb(password, salt, keylen, options, (err, key) => (err ? reject(err) : resolve(key)));
  });
}

const maxmem = (N: number, r: number): number => 128 * N * r * 2;

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await scrypt(password, salt, KEY_LENGTH, { ...COST, maxmem: maxmem(COST.N, COST.r) });
  return `scrypt$${COST.N}$${COST.r}$${COST.p}$${salt.toString('base64url')}$${key.toString('base64url')}`;
}

const HASH = /^scrypt\$(\d+)\$(\d+)\$(\d+)\$([A-Za-z0-9_-]+)\$([A-Za-z0-9_-]+)$/;

export async function checkPassword(password: string, stored: string): Promise<boolean> {
  const m = HASH.exec(stored);
  if (!m) return false;
  const [N, r, p] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const salt = Buffer.from(m[4] ?? '', 'base64url');
  const expected = Buffer.from(m[5] ?? '', 'base64url');
  if (expected.length === 0 || N > 1 << 20 || r > 32 || p > 16) return false;
  const key = await scrypt(password, salt, expected.length, { N, r, p, maxmem: maxmem(N, r) });
  return timingSafeEqual(key, expected);
}

/** Spent on unknown users so that timing does not tell which usernames exist. */
let dummyHash: Promise<string> | undefined;

function checkRole(role: Role): void {
  if (!ROLES.includes(role)) throw new ValidationError('role', `one of ${ROLES.join(', ')}`);
}

function checkPasswordInput(password: string): void {
  if (password.length < MIN_PASSWORD) throw new ValidationError('password', `at least ${MIN_PASSWORD} characters`);
  if (password.length > MAX_PASSWORD) throw new ValidationError('password', `at most ${MAX_PASSWORD} characters`);
}

const VIEW_COLUMNS = ['id', 'tenant_id', 'username', 'display_name', 'role', 'created_at'] as const;

function toView(r: { id: string; tenant_id: string; username: string; display_name: string; role: Role; created_at: Date }): UserView {
  return { id: r.id, tenantId: r.tenant_id, username: r.username, displayName: r.display_name, role: r.role, createdAt: r.created_at };
}

export function usersRepository(db: Kysely<Database>, clock: Clock): UsersRepository {
  const audit = auditRepository(db, clock);

  const get = async (tenantId: string, id: string): Promise<UserView> => {
    const row =
      isUuid(tenantId) && isUuid(id)
        ? await db.selectFrom('users').select(VIEW_COLUMNS).where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst()
        : undefined;
    if (!row) throw new NotFoundError('user', id);
    return toView(row);
  };

  return {
    async create(tenantId, { username, displayName, role, password }, by) {
      requireId('tenant', tenantId);
      if (!USERNAME.test(username)) throw new ValidationError('username', 'letters, digits, ".", "_", "@" and "-", at most 64');
      checkRole(role);
      if (password !== undefined) checkPasswordInput(password);
      const passwordHash = password === undefined ? null : await hashPassword(password);
      try {
        return await db.transaction().execute(async (trx) => {
          const row = await trx
            .insertInto('users')
            .values({
              tenant_id: tenantId,
              username,
              display_name: displayName ?? username,
              role,
              password_hash: passwordHash,
              created_at: new Date(clock.wallNow()),
            })
            .returning(VIEW_COLUMNS)
            .executeTakeFirstOrThrow();
          await audit.record(
            tenantId,
            { actor: by, action: 'user.create', subject: `user:${row.id}`, detail: { username, role, password: passwordHash !== null } },
            trx,
          );
          return toView(row);
        });
      } catch (err) {
        if (sqlState(err)?.code === FOREIGN_KEY_VIOLATION) throw new NotFoundError('tenant', tenantId);
        throw mapConflict(err, `user ${username}`);
      }
    },

    async list(tenantId) {
      if (!isUuid(tenantId)) return [];
      const rows = await db.selectFrom('users').select(VIEW_COLUMNS).where('tenant_id', '=', tenantId).orderBy('username').execute();
      return rows.map(toView);
    },

    get,

    async update(tenantId, id, patch, by) {
      if (patch.role !== undefined) checkRole(patch.role);
      if (patch.password !== undefined) checkPasswordInput(patch.password);
      if (patch.displayName !== undefined && patch.displayName.trim() === '') throw new ValidationError('displayName', 'must not be empty');
      await get(tenantId, id);
      const passwordHash = patch.password === undefined ? undefined : await hashPassword(patch.password);
      return db.transaction().execute(async (trx) => {
        const row = await trx
          .updateTable('users')
          .set({
            ...(patch.displayName !== undefined ? { display_name: patch.displayName } : {}),
            ...(patch.role !== undefined ? { role: patch.role } : {}),
            ...(passwordHash !== undefined ? { password_hash: passwordHash } : {}),
          })
          .where('tenant_id', '=', tenantId)
          .where('id', '=', id)
          .returning(VIEW_COLUMNS)
          .executeTakeFirst();
        if (!row) throw new NotFoundError('user', id);
        const detail: Record<string, unknown> = {};
        if (patch.displayName !== undefined) detail['displayName'] = patch.displayName;
        if (patch.role !== undefined) detail['role'] = patch.role;
        if (patch.password !== undefined) detail['password'] = 'changed';
        await audit.record(tenantId, { actor: by, action: 'user.update', subject: `user:${id}`, detail }, trx);
        return toView(row);
      });
    },

    async remove(tenantId, id, by) {
      if (!isUuid(tenantId) || !isUuid(id)) throw new NotFoundError('user', id);
      await db.transaction().execute(async (trx) => {
        const row = await trx.deleteFrom('users').where('tenant_id', '=', tenantId).where('id', '=', id).returning('username').executeTakeFirst();
        if (!row) throw new NotFoundError('user', id);
        await audit.record(tenantId, { actor: by, action: 'user.remove', subject: `user:${id}`, detail: { username: row.username } }, trx);
      });
    },

    async verifyPassword(tenantId, username, password) {
      const row = isUuid(tenantId)
        ? await db
            .selectFrom('users')
            .select([...VIEW_COLUMNS, 'password_hash'])
            .where('tenant_id', '=', tenantId)
            .where('username', '=', username)
            .executeTakeFirst()
        : undefined;
      if (!row || row.password_hash === null || password.length > MAX_PASSWORD) {
        dummyHash ??= hashPassword('not a password of anyone');
        await checkPassword(password.slice(0, MAX_PASSWORD), await dummyHash);
        return undefined;
      }
      return (await checkPassword(password, row.password_hash)) ? toView(row) : undefined;
    },
  };
}
