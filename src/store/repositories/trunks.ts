/**
 * Outbound SIP trunks of a tenant (callbacks and transfers dial through them); `default` is
 * the one used unless a flow names another. Digest credentials are kept as HA1 only —
 * MD5(username:realm:password), what a digest client needs to answer a challenge for that
 * realm (RFC 2617 §3.2.2.2) — never the password. The realm defaults to the URI's host.
 * Setting a trunk again without a password keeps the stored HA1 when user and realm stay;
 * changing either needs the password again. Changes are audited under trunk:<name>,
 * never with the password or the HA1.
 */
import type { Kysely } from 'kysely';
import type { Clock } from '../../clock.ts';
import { computeHa1 } from '../../sip/auth/digest.ts';
import { parseUri } from '../../sip/uri.ts';
import { FOREIGN_KEY_VIOLATION, NotFoundError, ValidationError, sqlState } from '../errors.ts';
import { isUuid, requireId } from '../ids.ts';
import type { Database } from '../schema.ts';
import { auditRepository } from './audit.ts';

export const DEFAULT_TRUNK = 'default';

export interface TrunkView {
  id: string;
  tenantId: string;
  name: string;
  uri: string;
  username: string | null;
  realm: string | null;
  /** Whether digest credentials are stored. */
  credentials: boolean;
  callerId: string | null;
  createdAt: Date;
  updatedAt: Date;
}

/** What the dialler needs; the HA1 stays out of TrunkView so that views can be shown as they are. */
export interface TrunkDialInfo {
  uri: string;
  username: string | null;
  realm: string | null;
  ha1Md5: string | null;
  callerId: string | null;
}

export interface TrunkInput {
  /** Default 'default'. */
  name?: string;
  uri: string;
  username?: string | null;
  password?: string;
  realm?: string | null;
  callerId?: string | null;
}

export interface TrunksRepository {
  /** Creates or replaces. ValidationError. Audit 'trunk.set'. */
  set(tenantId: string, input: TrunkInput, by: string): Promise<TrunkView>;
  /** NotFoundError. */
  get(tenantId: string, name?: string): Promise<TrunkView>;
  /** NotFoundError. */
  dialInfo(tenantId: string, name?: string): Promise<TrunkDialInfo>;
  list(tenantId: string): Promise<TrunkView[]>;
  /** NotFoundError. Audit 'trunk.remove'. */
  remove(tenantId: string, name: string, by: string): Promise<void>;
}

const NAME = /^[a-z0-9][a-z0-9-]{0,62}$/;
const USER = /^[^\s:@]{1,128}$/;
const CALLER_ID = /^\+?[0-9]{2,20}$/;

/** The host of a sip:/sips: URI; ValidationError otherwise. */
function sipHost(uri: string): string {
  try {
    const parsed = parseUri(uri);
    if (parsed.scheme === 'sip' || parsed.scheme === 'sips') return parsed.host;
  } catch {
    // reported below
  }
  throw new ValidationError('uri', `a sip: or sips: URI such as sip:127.0.0.1:5090: ${JSON.stringify(uri)}`);
}

const COLUMNS = ['id', 'tenant_id', 'name', 'uri', 'username', 'realm', 'ha1_md5', 'caller_id', 'created_at', 'updated_at'] as const;

type Row = {
  id: string;
  tenant_id: string;
  name: string;
  uri: string;
  username: string | null;
  realm: string | null;
  ha1_md5: string | null;
  caller_id: string | null;
  created_at: Date;
  updated_at: Date;
};

const toView = (r: Row): TrunkView => ({
  id: r.id,
  tenantId: r.tenant_id,
  name: r.name,
  uri: r.uri,
  username: r.username,
  realm: r.realm,
  credentials: r.ha1_md5 !== null,
  callerId: r.caller_id,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

export function trunksRepository(db: Kysely<Database>, clock: Clock): TrunksRepository {
  const audit = auditRepository(db, clock);

  const row = async (tenantId: string, name: string): Promise<Row | undefined> =>
    isUuid(tenantId) ? db.selectFrom('trunks').select(COLUMNS).where('tenant_id', '=', tenantId).where('name', '=', name).executeTakeFirst() : undefined;

  const getRow = async (tenantId: string, name: string): Promise<Row> => {
    const r = await row(tenantId, name);
    if (!r) throw new NotFoundError('trunk', name);
    return r;
  };

  return {
    async set(tenantId, input, by) {
      requireId('tenant', tenantId);
      const name = input.name ?? DEFAULT_TRUNK;
      if (!NAME.test(name)) throw new ValidationError('name', 'lower-case letters, digits and "-", at most 63');
      const host = sipHost(input.uri);
      const username = input.username ?? null;
      if (username !== null && !USER.test(username)) throw new ValidationError('username', 'a SIP user name');
      if (input.password !== undefined && username === null) throw new ValidationError('username', 'needed with a password');
      if (input.password !== undefined && (input.password.length === 0 || input.password.length > 256)) throw new ValidationError('password', '1 to 256 characters');
      const callerId = input.callerId ?? null;
      if (callerId !== null && !CALLER_ID.test(callerId)) throw new ValidationError('callerId', 'a number');
      const realm = username === null ? null : (input.realm ?? host);
      const current = await row(tenantId, name);
      let ha1: string | null = null;
      if (input.password !== undefined && username !== null && realm !== null) ha1 = computeHa1('MD5', username, realm, input.password);
      else if (username !== null && current?.ha1_md5 && current.username === username && current.realm === realm) ha1 = current.ha1_md5;
      else if (username !== null) throw new ValidationError('password', 'needed for new digest credentials (user or realm changed)');
      const now = new Date(clock.wallNow());
      try {
        return await db.transaction().execute(async (trx) => {
          const values = { uri: input.uri, username, realm, ha1_md5: ha1, caller_id: callerId, updated_at: now };
          const saved = await trx
            .insertInto('trunks')
            .values({ tenant_id: tenantId, name, ...values, created_at: now })
            .onConflict((oc) => oc.columns(['tenant_id', 'name']).doUpdateSet(values))
            .returning(COLUMNS)
            .executeTakeFirstOrThrow();
          await audit.record(
            tenantId,
            {
              actor: by,
              action: 'trunk.set',
              subject: `trunk:${name}`,
              detail: { uri: input.uri, username, realm, callerId, password: input.password !== undefined ? 'set' : ha1 !== null ? 'kept' : 'none' },
            },
            trx,
          );
          return toView(saved);
        });
      } catch (err) {
        if (sqlState(err)?.code === FOREIGN_KEY_VIOLATION) throw new NotFoundError('tenant', tenantId);
        throw err;
      }
    },

    async get(tenantId, name = DEFAULT_TRUNK) {
      return toView(await getRow(tenantId, name));
    },

    async dialInfo(tenantId, name = DEFAULT_TRUNK) {
      const r = await getRow(tenantId, name);
      return { uri: r.uri, username: r.username, realm: r.realm, ha1Md5: r.ha1_md5, callerId: r.caller_id };
    },

    async list(tenantId) {
      if (!isUuid(tenantId)) return [];
      const rows = await db.selectFrom('trunks').select(COLUMNS).where('tenant_id', '=', tenantId).orderBy('name').execute();
      return rows.map(toView);
    },

    async remove(tenantId, name, by) {
      if (!isUuid(tenantId)) throw new NotFoundError('trunk', name);
      await db.transaction().execute(async (trx) => {
        const r = await trx.deleteFrom('trunks').where('tenant_id', '=', tenantId).where('name', '=', name).returning('id').executeTakeFirst();
        if (!r) throw new NotFoundError('trunk', name);
        await audit.record(tenantId, { actor: by, action: 'trunk.remove', subject: `trunk:${name}` }, trx);
      });
    },
  };
}
