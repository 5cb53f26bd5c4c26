/**
 * Flows and their versions. A push stores a new immutable version (only a document that
 * passes validateFlow: a broken flow never reaches the store, let alone a caller); a
 * publish points the flow at one version, which new calls run; a rollback points it back
 * at an earlier one. Every change is audited in its own transaction, and the publish
 * history that rollback needs is read back from that audit trail.
 * A flow ref is its id or its name (= the document's `name`, unique per tenant).
 */
import { sql, type Kysely } from 'kysely';
import type { Clock } from '../../clock.ts';
import { validateFlow, type FlowProblem } from '../../flows/validate.ts';
import { NotFoundError, UNIQUE_VIOLATION, ValidationError, sqlState } from '../errors.ts';
import { isUuid } from '../ids.ts';
import type { Database } from '../schema.ts';
import { auditRepository } from './audit.ts';

export interface FlowSummary {
  id: string;
  tenantId: string;
  name: string;
  publishedVersion: number | null;
  publishedAt: Date | null;
  latestVersion: number;
  createdAt: Date;
}

export interface FlowVersion {
  flowId: string;
  version: number;
  /** The FlowInput as pushed. */
  document: unknown;
  comment: string | null;
  createdBy: string;
  createdAt: Date;
}

/** A pushed or published document that validateFlow refuses; `problems` carry document paths. */
export class FlowInvalidError extends Error {
  override readonly name = 'FlowInvalidError';
  constructor(readonly problems: FlowProblem[]) {
    const first = problems[0];
    const more = problems.length > 1 ? ` (and ${problems.length - 1} more)` : '';
    super(`invalid flow: ${first ? `${first.path || '(flow)'}: ${first.message}` : 'unknown problem'}${more}`);
  }
}

export interface FlowsRepository {
  /** Validates; creates the flow named document.name if new, else appends version latest+1. Audit 'flow.push'. */
  push(tenantId: string, document: unknown, by: string, comment?: string): Promise<{ flow: FlowSummary; version: FlowVersion }>;
  list(tenantId: string): Promise<FlowSummary[]>;
  /** ref = flow id or name. NotFoundError. */
  get(tenantId: string, ref: string): Promise<FlowSummary>;
  /** Oldest first. */
  versions(tenantId: string, ref: string): Promise<FlowVersion[]>;
  version(tenantId: string, ref: string, version: number): Promise<FlowVersion>;
  /** version default latest; re-validates; audit 'flow.publish' {from, to}. */
  publish(tenantId: string, ref: string, version: number | undefined, by: string): Promise<FlowSummary>;
  /** to default: the version published before the current one, else current-1; audit 'flow.rollback' {from, to}. */
  rollback(tenantId: string, ref: string, version: number | undefined, by: string): Promise<FlowSummary>;
  /** The published document, for the runtime: undefined when never published. */
  published(tenantId: string, ref: string): Promise<{ flowId: string; name: string; version: number; document: unknown } | undefined>;
}

type Db = Kysely<Database>;

const subjectOf = (flowId: string): string => `flow:${flowId}`;

function summaryQuery(db: Db, tenantId: string) {
  return db
    .selectFrom('flows')
    .select((eb) => [
      'flows.id',
      'flows.tenant_id',
      'flows.name',
      'flows.published_version',
      'flows.published_at',
      'flows.created_at',
      eb
        .selectFrom('flow_versions')
        .select(sql<number>`coalesce(max(flow_versions.version), 0)::int`.as('v'))
        .whereRef('flow_versions.flow_id', '=', 'flows.id')
        .as('latest_version'),
    ])
    .where('flows.tenant_id', '=', tenantId);
}

type SummaryRow = {
  id: string;
  tenant_id: string;
  name: string;
  published_version: number | null;
  published_at: Date | null;
  created_at: Date;
  latest_version: number | null;
};

function toSummary(r: SummaryRow): FlowSummary {
  return {
    id: r.id,
    tenantId: r.tenant_id,
    name: r.name,
    publishedVersion: r.published_version,
    publishedAt: r.published_at,
    latestVersion: r.latest_version ?? 0,
    createdAt: r.created_at,
  };
}

/** A flow by id or name in a tenant (also used by lines to attach one). NotFoundError. */
export async function findSummary(db: Db, tenantId: string, ref: string): Promise<FlowSummary> {
  if (!isUuid(tenantId)) throw new NotFoundError('flow', ref);
  // An id wins over a (strange) flow named like another flow's id.
  const row = await summaryQuery(db, tenantId)
    .where((eb) => (isUuid(ref) ? eb.or([eb('flows.id', '=', ref), eb('flows.name', '=', ref)]) : eb('flows.name', '=', ref)))
    .orderBy(sql`flows.name = ${ref}`)
    .executeTakeFirst();
  if (!row) throw new NotFoundError('flow', ref);
  return toSummary(row);
}

/** Takes the flow row's lock: publish/rollback/push of one flow are serialised. */
async function lockFlow(trx: Db, tenantId: string, ref: string): Promise<FlowSummary> {
  const flow = await findSummary(trx, tenantId, ref);
  await trx.selectFrom('flows').select('id').where('id', '=', flow.id).forUpdate().execute();
  // Re-read under the lock: another transaction may have published meanwhile.
  return findSummary(trx, tenantId, flow.id);
}

function toVersion(r: {
  flow_id: string;
  version: number;
  document: unknown;
  comment: string | null;
  created_by: string;
  created_at: Date;
}): FlowVersion {
  return { flowId: r.flow_id, version: r.version, document: r.document, comment: r.comment, createdBy: r.created_by, createdAt: r.created_at };
}

async function readVersion(db: Db, tenantId: string, flowId: string, version: number): Promise<FlowVersion> {
  const row = Number.isInteger(version)
    ? await db
        .selectFrom('flow_versions')
        .selectAll()
        .where('tenant_id', '=', tenantId)
        .where('flow_id', '=', flowId)
        .where('version', '=', version)
        .executeTakeFirst()
    : undefined;
  if (!row) throw new NotFoundError('flow version', `${flowId} v${version}`);
  return toVersion(row);
}

/**
 * The stack of published versions, replayed from the audit trail: a publish pushes its
 * version; a rollback to a version on the stack pops back to it (else pushes it). So
 * repeated rollbacks walk back through history instead of flipping between two versions.
 */
async function publishHistory(trx: Db, tenantId: string, flowId: string): Promise<number[]> {
  const rows = await trx
    .selectFrom('audit_log')
    .select(['action', 'detail'])
    .where('tenant_id', '=', tenantId)
    .where('subject', '=', subjectOf(flowId))
    .where('action', 'in', ['flow.publish', 'flow.rollback'])
    .orderBy('seq')
    .execute();
  const stack: number[] = [];
  for (const { action, detail } of rows) {
    const to = detail['to'];
    if (typeof to !== 'number') continue;
    const at = stack.lastIndexOf(to);
    if (action === 'flow.rollback' && at >= 0) stack.length = at + 1;
    else if (stack.at(-1) !== to) stack.push(to);
  }
  return stack;
}

export function flowsRepository(db: Db, clock: Clock): FlowsRepository {
  const audit = auditRepository(db, clock);

  /** Points the flow at `to` (already checked to exist and validate) and audits it. */
  const setPublished = async (trx: Db, tenantId: string, flow: FlowSummary, to: number, action: string, by: string): Promise<FlowSummary> => {
    const doc = await readVersion(trx, tenantId, flow.id, to);
    const check = validateFlow(doc.document);
    if (!check.ok) throw new FlowInvalidError(check.problems);
    await trx
      .updateTable('flows')
      .set({ published_version: to, published_at: new Date(clock.wallNow()) })
      .where('tenant_id', '=', tenantId)
      .where('id', '=', flow.id)
      .execute();
    await audit.record(
      tenantId,
      { actor: by, action, subject: subjectOf(flow.id), detail: { name: flow.name, from: flow.publishedVersion, to } },
      trx,
    );
    return findSummary(trx, tenantId, flow.id);
  };

  const pushOnce = (tenantId: string, document: unknown, name: string, by: string, comment: string | undefined) =>
    db.transaction().execute(async (trx) => {
      const now = new Date(clock.wallNow());
      let flowId = (
        await trx
          .selectFrom('flows')
          .select('id')
          .where('tenant_id', '=', tenantId)
          .where('name', '=', name)
          .forUpdate()
          .executeTakeFirst()
      )?.id;
      flowId ??= (
        await trx
          .insertInto('flows')
          .values({ tenant_id: tenantId, name, created_at: now })
          .returning('id')
          .executeTakeFirstOrThrow()
      ).id;
      const latest = await trx
        .selectFrom('flow_versions')
        .select(sql<number>`coalesce(max(version), 0)::int`.as('v'))
        .where('flow_id', '=', flowId)
        .executeTakeFirstOrThrow();
      const row = await trx
        .insertInto('flow_versions')
        .values({
          tenant_id: tenantId,
          flow_id: flowId,
          version: latest.v + 1,
          document: JSON.stringify(document),
          comment: comment ?? null,
          created_by: by,
          created_at: now,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      await audit.record(
        tenantId,
        { actor: by, action: 'flow.push', subject: subjectOf(flowId), detail: { name, version: row.version, ...(comment ? { comment } : {}) } },
        trx,
      );
      return { flow: await findSummary(trx, tenantId, flowId), version: toVersion(row) };
    });

  return {
    async push(tenantId, document, by, comment) {
      const check = validateFlow(document);
      if (!check.ok) throw new FlowInvalidError(check.problems);
      if (!isUuid(tenantId)) throw new NotFoundError('tenant', tenantId);
      const name = check.flow.name;
      if (name.length > 200) throw new ValidationError('name', 'at most 200 characters');
      for (let attempt = 0; ; attempt++) {
        try {
          return await pushOnce(tenantId, document, name, by, comment);
        } catch (err) {
          const s = sqlState(err);
          // Two first pushes of one name race on the unique (tenant, name): the loser appends instead.
          if (s?.code === UNIQUE_VIOLATION && attempt < 2) continue;
          if (s?.code === '23503') throw new NotFoundError('tenant', tenantId);
          throw err;
        }
      }
    },

    async list(tenantId) {
      if (!isUuid(tenantId)) return [];
      const rows = await summaryQuery(db, tenantId).orderBy('flows.name').execute();
      return rows.map(toSummary);
    },

    get: (tenantId, ref) => findSummary(db, tenantId, ref),

    async versions(tenantId, ref) {
      const flow = await findSummary(db, tenantId, ref);
      const rows = await db
        .selectFrom('flow_versions')
        .selectAll()
        .where('tenant_id', '=', tenantId)
        .where('flow_id', '=', flow.id)
        .orderBy('version')
        .execute();
      return rows.map(toVersion);
    },

    async version(tenantId, ref, version) {
      const flow = await findSummary(db, tenantId, ref);
      return readVersion(db, tenantId, flow.id, version);
    },

    publish(tenantId, ref, version, by) {
      return db.transaction().execute(async (trx) => {
        const flow = await lockFlow(trx, tenantId, ref);
        return setPublished(trx, tenantId, flow, version ?? flow.latestVersion, 'flow.publish', by);
      });
    },

    rollback(tenantId, ref, version, by) {
      return db.transaction().execute(async (trx) => {
        const flow = await lockFlow(trx, tenantId, ref);
        const current = flow.publishedVersion;
        if (current === null) throw new ValidationError('flow', `${flow.name} has never been published`);
        let to = version;
        if (to === undefined) {
          const stack = await publishHistory(trx, tenantId, flow.id);
          if (stack.at(-1) === current && stack.length >= 2) to = stack.at(-2);
          else if (current > 1) to = current - 1;
          else throw new ValidationError('version', `${flow.name}: no version published before v${current}`);
        }
        if (to === current) throw new ValidationError('version', `${flow.name} v${to} is already published`);
        if (to === undefined || to > current) throw new ValidationError('version', `rollback goes to an earlier version than v${current} (to go forward, publish)`);
        return setPublished(trx, tenantId, flow, to, 'flow.rollback', by);
      });
    },

    async published(tenantId, ref) {
      const flow = await findSummary(db, tenantId, ref);
      if (flow.publishedVersion === null) return undefined;
      const v = await readVersion(db, tenantId, flow.id, flow.publishedVersion);
      return { flowId: flow.id, name: flow.name, version: v.version, document: v.document };
    },
  };
}
