/**
 * First-start demo data (product contract): tenant `demo` with the two seed hotlines,
 * E購網 on 4008001111 and SKTickets on 4008002222, both in Asia/Taipei. Idempotent: what
 * exists is left as it is, so a restart or a second node seeds nothing twice.
 */
import type { Kysely } from 'kysely';
import type { Clock } from '../clock.ts';
import type { Database } from '../store/schema.ts';
import { tenantsRepository } from '../store/repositories/tenants.ts';
import { linesRepository } from '../store/repositories/lines.ts';

export const DEMO_LINES = [
  { name: 'E購網', number: '4008001111' },
  { name: 'SKTickets', number: '4008002222' },
] as const;

export interface SeedResult {
  readonly tenantId: string;
  /** True when this call created the tenant (a first start). */
  readonly created: boolean;
}

export async function seedDemo(db: Kysely<Database>, clock: Clock): Promise<SeedResult> {
  const tenants = tenantsRepository(db, clock);
  const lines = linesRepository(db, clock);
  let tenant = await tenants.findBySlug('demo');
  const created = tenant === undefined;
  tenant ??= await tenants.create({ slug: 'demo', name: 'Demo (E購網, SKTickets)' });
  const existing = await lines.listLines(tenant.id);
  for (const { name, number } of DEMO_LINES) {
    let line = existing.find((l) => l.name === name);
    line ??= await lines.createLine(tenant.id, { name, timeZone: 'Asia/Taipei' });
    if (!(await lines.findLineByNumber(tenant.id, number))) await lines.addNumber(tenant.id, line.id, number);
  }
  return { tenantId: tenant.id, created };
}
