/**
 * The audit log: who changed what, when. Every repository method that changes a tenant's
 * configuration writes one entry, in the same transaction as the change when it has one
 * (pass `trx`), so a change and its record are committed together or not at all.
 * Subjects name what changed as `<kind>:<id or name>`: flow:<id>, line:<id>,
 * schedule:<name>, announcement:<lineId>/<slot>, user:<id>, api-key:<id>, tenant:<id>.
 */
import type { Kysely } from 'kysely';
import type { Clock } from '../../clock.ts';
import { isUuid } from '../ids.ts';
import type { Database } from '../schema.ts';

export interface AuditEntry {
  id: string;
  tenantId: string;
  actor: string;
  action: string;
  subject: string;
  detail: Record<string, unknown>;
  at: Date;
}

export interface AuditRepository {
  record(
    tenantId: string,
    entry: { actor: string; action: string; subject: string; detail?: Record<string, unknown> },
    trx?: Kysely<Database>,
  ): Promise<void>;
  /** Newest first; limit default 100, at most 1000. */
  list(tenantId: string, q: { since?: Date; subject?: string; limit?: number }): Promise<AuditEntry[]>;
}

export function auditRepository(db: Kysely<Database>, clock: Clock): AuditRepository {
  return {
    async record(tenantId, { actor, action, subject, detail }, trx) {
      await (trx ?? db)
        .insertInto('audit_log')
        .values({
          tenant_id: tenantId,
          actor,
          action,
          subject,
          detail: JSON.stringify(detail ?? {}),
          at: new Date(clock.wallNow()),
        })
        .execute();
    },

    async list(tenantId, { since, subject, limit }) {
      if (!isUuid(tenantId)) return [];
      const n = Math.min(Math.max(1, Math.floor(limit ?? 100)), 1000);
      let q = db.selectFrom('audit_log').selectAll().where('tenant_id', '=', tenantId);
      if (since !== undefined) q = q.where('at', '>=', since);
      if (subject !== undefined) q = q.where('subject', '=', subject);
      const rows = await q.orderBy('at', 'desc').orderBy('seq', 'desc').limit(n).execute();
      return rows.map((r) => ({
        id: r.id,
        tenantId: r.tenant_id,
        actor: r.actor,
        action: r.action,
        subject: r.subject,
        detail: r.detail,
        at: r.at,
      }));
    },
  };
}
