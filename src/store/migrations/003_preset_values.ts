/**
 * Default values for announcement presets ([時間], [網址], [預估時間]): a preset can carry
 * the values a switch uses when it gives none, so one command switches a line to its
 * outage text. jsonb of canonical variable names (time, url, eta) to raw values; they are
 * resolved (clock and relative times spoken in the line's zone) when the slot is switched.
 * `values` is an SQL keyword, hence default_values.
 */
import { sql, type Kysely } from 'kysely';
import type { Migration } from '../migrate.ts';

export const presetValues: Migration = {
  version: 3,
  name: 'preset_values',
  async up(db: Kysely<unknown>): Promise<void> {
    await sql`ALTER TABLE announcement_presets ADD COLUMN default_values jsonb NOT NULL DEFAULT '{}'::jsonb`.execute(db);
  },
};
