/**
 * The estimated wait a caller was told on entering a queue (C9), kept with the visit so the
 * estimate can be checked against the wait that followed: per call in the CDR API, as a mean
 * absolute error in the queue statistics, and by the live drill (bench/acd-drill.ts, issue 4's
 * "EWT mean absolute error ≤ 20 %"). Null when no estimate was spoken (the call was answered
 * before the first announcement, or the queue had no service history and no staffed agent).
 */
import { sql, type Kysely } from 'kysely';
import type { Migration } from '../migrate.ts';

export const announcedEwt: Migration = {
  version: 6,
  name: 'announced_ewt',
  async up(db: Kysely<unknown>): Promise<void> {
    await sql`ALTER TABLE queue_calls ADD COLUMN announced_ewt_ms integer CHECK (announced_ewt_ms >= 0)`.execute(db);
  },
};
