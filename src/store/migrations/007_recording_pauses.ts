/**
 * Where a recording was paused (C16, "pause for payment data"): the stretches, in ms from the
 * start of the file, that hold silence because an agent or supervisor paused the recording
 * while the caller gave card details. Kept with the recording so QA review can show the gap
 * and an auditor can see that it was deliberate.
 */
import { sql, type Kysely } from 'kysely';
import type { Migration } from '../migrate.ts';

export const recordingPauses: Migration = {
  version: 7,
  name: 'recording_pauses',
  async up(db: Kysely<unknown>): Promise<void> {
    await sql`ALTER TABLE recordings ADD COLUMN pauses jsonb NOT NULL DEFAULT '[]'::jsonb`.execute(db);
  },
};
