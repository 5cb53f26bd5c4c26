/**
 * Agents: users with an extension (their SIP user name), SIP digest credentials and skills.
 * The SIP password is never stored: only HA1 = H(extension:realm:password) in MD5 and
 * SHA-256 (RFC 7616 §5.2 / RFC 8760), with realm = the tenant's slug, so the registrar can
 * verify a digest without the password. Changing the extension therefore needs the password
 * again. An agent created without `userId` gets its own user (role agent, username = the
 * extension) in the same transaction. Changes are audited under agent:<id>; the HA1s never
 * leave this file except through sipCredentials (the registrar's lookup).
 */
import type { Kysely } from 'kysely';
import type { Clock } from '../../clock.ts';
import { hashCredentials, type HashedCredentials } from '../../sip/auth/digest.ts';
import { FOREIGN_KEY_VIOLATION, NotFoundError, ValidationError, mapConflict, sqlState } from '../errors.ts';
import { isUuid, requireId } from '../ids.ts';
import type { Database } from '../schema.ts';
import { auditRepository } from './audit.ts';

export interface AgentView {
  id: string;
  tenantId: string;
  userId: string;
  username: string;
  displayName: string;
  extension: string;
  skills: Record<string, number>;
  groups: string[];
  /** null: the queue's wrapUpSeconds applies. */
  wrapUpSeconds: number | null;
  /** Whether a SIP password is set (the phone can register). */
  sip: boolean;
  createdAt: Date;
  updatedAt: Date;
}

export interface NewAgent {
  extension: string;
  /** SIP password; without one the agent cannot register a phone until one is set. */
  password?: string;
  /** An existing user of the tenant; default: a new user (role agent) named after the extension. */
  userId?: string;
  displayName?: string;
  skills?: Record<string, number>;
  groups?: string[];
  wrapUpSeconds?: number | null;
}

export interface AgentPatch {
  extension?: string;
  password?: string;
  displayName?: string;
  skills?: Record<string, number>;
  groups?: string[];
  wrapUpSeconds?: number | null;
}

/** What the registrar needs to check a digest for an agent. */
export interface AgentSipCredentials extends HashedCredentials {
  tenantId: string;
  agentId: string;
  extension: string;
  realm: string;
}

export interface AgentsRepository {
  /** ConflictError (extension or user already an agent, username taken), ValidationError, NotFoundError (tenant, user). Audit 'agent.create'. */
  create(tenantId: string, input: NewAgent, by: string): Promise<AgentView>;
  /** NotFoundError. */
  get(tenantId: string, id: string): Promise<AgentView>;
  getByExtension(tenantId: string, extension: string): Promise<AgentView | undefined>;
  /** By extension. */
  list(tenantId: string): Promise<AgentView[]>;
  /** NotFoundError, ConflictError, ValidationError (a new extension without the password). Audit 'agent.update' (fields, never the password). */
  update(tenantId: string, id: string, patch: AgentPatch, by: string): Promise<AgentView>;
  /** Removes the agent (its user stays). NotFoundError. Audit 'agent.remove'. */
  remove(tenantId: string, id: string, by: string): Promise<void>;
  /** Unscoped by design (a REGISTER names only realm and user): the agent `extension` of the tenant whose slug is `realm`. */
  sipCredentials(realm: string, extension: string): Promise<AgentSipCredentials | undefined>;
  /** Unscoped by design: every tenant's agent with this extension (a phone registering under a host that is no tenant's slug). */
  sipCredentialsByExtension(extension: string): Promise<AgentSipCredentials[]>;
}

const EXTENSION = /^[0-9]{2,15}$/;
const SKILL = /^[\p{L}\p{N}][\p{L}\p{N}_.-]{0,63}$/u;
const MIN_SIP_PASSWORD = 4;

export function checkSkills(skills: Record<string, number>): Record<string, number> {
  if (typeof skills !== 'object' || skills === null || Array.isArray(skills)) throw new ValidationError('skills', 'an object of skill → proficiency');
  const out: Record<string, number> = {};
  for (const [skill, level] of Object.entries(skills)) {
    if (!SKILL.test(skill)) throw new ValidationError('skills', `bad skill name ${JSON.stringify(skill)}`);
    if (!Number.isInteger(level) || level < 1 || level > 10) throw new ValidationError('skills', `${skill}: proficiency is an integer 1–10`);
    out[skill] = level;
  }
  return out;
}

function checkGroups(groups: string[]): string[] {
  if (!Array.isArray(groups)) throw new ValidationError('groups', 'a list of group names');
  for (const g of groups) if (typeof g !== 'string' || !SKILL.test(g)) throw new ValidationError('groups', `bad group name ${JSON.stringify(g)}`);
  return [...new Set(groups)];
}

function checkExtension(extension: string): void {
  if (!EXTENSION.test(extension)) throw new ValidationError('extension', '2 to 15 digits');
}

function checkSipPassword(password: string): void {
  if (password.length < MIN_SIP_PASSWORD || password.length > 256) throw new ValidationError('password', `${MIN_SIP_PASSWORD} to 256 characters`);
}

function checkWrapUp(s: number | null | undefined): void {
  if (s !== undefined && s !== null && (!Number.isInteger(s) || s < 0 || s > 3600)) throw new ValidationError('wrapUpSeconds', 'an integer 0–3600');
}

interface Row {
  id: string;
  tenant_id: string;
  user_id: string;
  extension: string;
  skills: Record<string, number>;
  groups: string[];
  wrap_up_seconds: number | null;
  sip_ha1_md5: string | null;
  created_at: Date;
  updated_at: Date;
  username: string;
  display_name: string;
}

function toView(r: Row): AgentView {
  return {
    id: r.id,
    tenantId: r.tenant_id,
    userId: r.user_id,
    username: r.username,
    displayName: r.display_name,
    extension: r.extension,
    skills: r.skills,
    groups: r.groups,
    wrapUpSeconds: r.wrap_up_seconds,
    sip: r.sip_ha1_md5 !== null,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

export function agentsRepository(db: Kysely<Database>, clock: Clock): AgentsRepository {
  const audit = auditRepository(db, clock);

  const select = (q: Kysely<Database>) =>
    q
      .selectFrom('agents')
      .innerJoin('users', (j) => j.onRef('users.id', '=', 'agents.user_id').onRef('users.tenant_id', '=', 'agents.tenant_id'))
      .select([
        'agents.id',
        'agents.tenant_id',
        'agents.user_id',
        'agents.extension',
        'agents.skills',
        'agents.groups',
        'agents.wrap_up_seconds',
        'agents.sip_ha1_md5',
        'agents.created_at',
        'agents.updated_at',
        'users.username',
        'users.display_name',
      ]);

  const get = async (tenantId: string, id: string, q: Kysely<Database> = db): Promise<AgentView> => {
    const row =
      isUuid(tenantId) && isUuid(id)
        ? await select(q).where('agents.tenant_id', '=', tenantId).where('agents.id', '=', id).executeTakeFirst()
        : undefined;
    if (!row) throw new NotFoundError('agent', id);
    return toView(row);
  };

  const realmOf = async (q: Kysely<Database>, tenantId: string): Promise<string> => {
    const t = await q.selectFrom('tenants').select('slug').where('id', '=', tenantId).executeTakeFirst();
    if (!t) throw new NotFoundError('tenant', tenantId);
    return t.slug;
  };

  const credentials = async (where: { realm?: string; extension: string }): Promise<AgentSipCredentials[]> => {
    if (!EXTENSION.test(where.extension)) return [];
    let q = db
      .selectFrom('agents')
      .innerJoin('tenants', 'tenants.id', 'agents.tenant_id')
      .select(['agents.tenant_id', 'agents.id', 'agents.extension', 'agents.sip_ha1_md5', 'agents.sip_ha1_sha256', 'tenants.slug'])
      .where('agents.extension', '=', where.extension)
      .where('agents.sip_ha1_md5', 'is not', null);
    if (where.realm !== undefined) q = q.where('tenants.slug', '=', where.realm);
    const rows = await q.orderBy('tenants.slug').execute();
    return rows.map((r) => ({
      tenantId: r.tenant_id,
      agentId: r.id,
      extension: r.extension,
      realm: r.slug,
      ha1Md5: r.sip_ha1_md5 ?? '',
      ha1Sha256: r.sip_ha1_sha256 ?? '',
    }));
  };

  return {
    async create(tenantId, input, by) {
      requireId('tenant', tenantId);
      checkExtension(input.extension);
      if (input.password !== undefined) checkSipPassword(input.password);
      if (input.userId !== undefined) requireId('user', input.userId);
      const skills = checkSkills(input.skills ?? {});
      const groups = checkGroups(input.groups ?? []);
      checkWrapUp(input.wrapUpSeconds);
      const now = new Date(clock.wallNow());
      try {
        return await db.transaction().execute(async (trx) => {
          const realm = await realmOf(trx, tenantId);
          let userId = input.userId;
          if (userId === undefined) {
            const user = await trx
              .insertInto('users')
              .values({
                tenant_id: tenantId,
                username: input.extension,
                display_name: input.displayName ?? input.extension,
                role: 'agent',
                password_hash: null,
                created_at: now,
              })
              .returning('id')
              .executeTakeFirstOrThrow();
            userId = user.id;
            await audit.record(
              tenantId,
              { actor: by, action: 'user.create', subject: `user:${userId}`, detail: { username: input.extension, role: 'agent', password: false } },
              trx,
            );
          } else if (input.displayName !== undefined) {
            await trx.updateTable('users').set({ display_name: input.displayName }).where('tenant_id', '=', tenantId).where('id', '=', userId).execute();
          }
          const ha1 = input.password === undefined ? undefined : hashCredentials(input.extension, realm, input.password);
          const row = await trx
            .insertInto('agents')
            .values({
              tenant_id: tenantId,
              user_id: userId,
              extension: input.extension,
              sip_ha1_md5: ha1?.ha1Md5 ?? null,
              sip_ha1_sha256: ha1?.ha1Sha256 ?? null,
              skills: JSON.stringify(skills),
              groups: JSON.stringify(groups),
              wrap_up_seconds: input.wrapUpSeconds ?? null,
              created_at: now,
              updated_at: now,
            })
            .returning('id')
            .executeTakeFirstOrThrow();
          await audit.record(
            tenantId,
            {
              actor: by,
              action: 'agent.create',
              subject: `agent:${row.id}`,
              detail: { extension: input.extension, userId, skills, groups, wrapUpSeconds: input.wrapUpSeconds ?? null, sip: ha1 !== undefined },
            },
            trx,
          );
          return get(tenantId, row.id, trx);
        });
      } catch (err) {
        if (sqlState(err)?.code === FOREIGN_KEY_VIOLATION) throw new NotFoundError(input.userId !== undefined ? 'user' : 'tenant', input.userId ?? tenantId);
        throw mapConflict(err, `agent ${input.extension}`);
      }
    },

    get: (tenantId, id) => get(tenantId, id),

    async getByExtension(tenantId, extension) {
      if (!isUuid(tenantId) || !EXTENSION.test(extension)) return undefined;
      const row = await select(db).where('agents.tenant_id', '=', tenantId).where('agents.extension', '=', extension).executeTakeFirst();
      return row ? toView(row) : undefined;
    },

    async list(tenantId) {
      if (!isUuid(tenantId)) return [];
      const rows = await select(db).where('agents.tenant_id', '=', tenantId).orderBy('agents.extension').execute();
      return rows.map(toView);
    },

    async update(tenantId, id, patch, by) {
      if (patch.extension !== undefined) checkExtension(patch.extension);
      if (patch.password !== undefined) checkSipPassword(patch.password);
      const skills = patch.skills === undefined ? undefined : checkSkills(patch.skills);
      const groups = patch.groups === undefined ? undefined : checkGroups(patch.groups);
      checkWrapUp(patch.wrapUpSeconds);
      if (patch.displayName !== undefined && patch.displayName.trim() === '') throw new ValidationError('displayName', 'must not be empty');
      const current = await get(tenantId, id);
      const extension = patch.extension ?? current.extension;
      if (extension !== current.extension && patch.password === undefined && current.sip) {
        // HA1 covers the user name: the old credentials cannot be carried over.
        throw new ValidationError('password', 'a new extension needs the SIP password again');
      }
      try {
        return await db.transaction().execute(async (trx) => {
          const realm = await realmOf(trx, tenantId);
          const ha1 = patch.password === undefined ? undefined : hashCredentials(extension, realm, patch.password);
          const updated = await trx
            .updateTable('agents')
            .set({
              extension,
              ...(ha1 !== undefined ? { sip_ha1_md5: ha1.ha1Md5, sip_ha1_sha256: ha1.ha1Sha256 } : {}),
              ...(skills !== undefined ? { skills: JSON.stringify(skills) } : {}),
              ...(groups !== undefined ? { groups: JSON.stringify(groups) } : {}),
              ...(patch.wrapUpSeconds !== undefined ? { wrap_up_seconds: patch.wrapUpSeconds } : {}),
              updated_at: new Date(clock.wallNow()),
            })
            .where('tenant_id', '=', tenantId)
            .where('id', '=', id)
            .returning('user_id')
            .executeTakeFirst();
          if (!updated) throw new NotFoundError('agent', id);
          if (patch.displayName !== undefined) {
            await trx.updateTable('users').set({ display_name: patch.displayName }).where('tenant_id', '=', tenantId).where('id', '=', updated.user_id).execute();
          }
          const detail: Record<string, unknown> = {};
          for (const [k, v] of Object.entries({ extension: patch.extension, displayName: patch.displayName, skills, groups, wrapUpSeconds: patch.wrapUpSeconds })) {
            if (v !== undefined) detail[k] = v;
          }
          if (patch.password !== undefined) detail['password'] = 'changed';
          await audit.record(tenantId, { actor: by, action: 'agent.update', subject: `agent:${id}`, detail }, trx);
          return get(tenantId, id, trx);
        });
      } catch (err) {
        throw mapConflict(err, `agent ${extension}`);
      }
    },

    async remove(tenantId, id, by) {
      if (!isUuid(tenantId) || !isUuid(id)) throw new NotFoundError('agent', id);
      await db.transaction().execute(async (trx) => {
        const row = await trx.deleteFrom('agents').where('tenant_id', '=', tenantId).where('id', '=', id).returning('extension').executeTakeFirst();
        if (!row) throw new NotFoundError('agent', id);
        await audit.record(tenantId, { actor: by, action: 'agent.remove', subject: `agent:${id}`, detail: { extension: row.extension } }, trx);
      });
    },

    async sipCredentials(realm, extension) {
      return (await credentials({ realm, extension }))[0];
    },

    sipCredentialsByExtension: (extension) => credentials({ extension }),
  };
}
