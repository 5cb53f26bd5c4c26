/**
 * First-start demo data (product contract): the operator tenant `demo` with the two seed
 * hotlines, E購網 on 4008001111 and SKTickets on 4008002222, and the seeds' restaurant
 * 餐廳 on 4008003333 (all Asia/Taipei); their flows (egou-normal, egou-double11,
 * sktickets-normal, sktickets-incident, restaurant) pushed and published at v1, E購網
 * running egou-double11, SKTickets sktickets-incident and 餐廳 restaurant (which branches on
 * the `restaurant` schedule); SKTickets' incident presets on slot `banner`, which starts
 * empty (no incident at first start); the schedules `restaurant` and `office-hours`; and an
 * admin API key. A store seeded before a demo line existed gets it on its next start.
 *
 * Idempotent, and respectful of what people changed since: each item is created only when
 * it is missing and was never touched (the audit log says so), so a restart or a second
 * node seeds nothing twice and does not undo a deliberate change (a detached flow, cleared
 * presets, a removed schedule). The admin key is SURGELINE_ADMIN_KEY imported (idempotent)
 * when given; otherwise a new key is made only when the tenant has never had any key (the
 * first start, or the first start after upgrading a store that predates keys) and returned
 * so the app can print it — once, since only its hash is kept.
 *
 * Issue 4 adds the contact-center side: queues for E購網 (egou-orders, egou-returns) and
 * SKTickets (sktickets-incidents, sktickets-general), agents 1001–1004 (users with role agent,
 * skills, groups) and, when SURGELINE_DEMO_TRUNK is given, the tenant's default outbound
 * trunk; E購網's `comfort` slot (said while waiting) and `peak` slot, the seeds' peak-shifting
 * message that the E購網 queues' surge tier switches on. The agents' SIP password is SURGELINE_DEMO_PASSWORD when given (their HA1s follow it
 * when it changes); otherwise a password is generated when agents are first created and
 * returned once (only HA1s are kept). A removed demo agent or queue is not brought back.
 */
import { randomBytes } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import type { QueueConfigInput } from '../acd/queue-config.ts';
import type { Clock } from '../clock.ts';
import { hashCredentials } from '../sip/auth/digest.ts';
import { SKTICKETS_PRESETS } from '../announcements/sktickets-presets.ts';
import { EGOU_COMFORT_PRESETS, EGOU_COMFORT_SLOT, EGOU_PEAK_PRESETS, EGOU_PEAK_SLOT } from '../announcements/egou-presets.ts';
import { egouDouble11Flow, egouNormalFlow } from '../flows/demo/egou.ts';
import { RESTAURANT_QUEUE, restaurantFlow } from '../flows/demo/restaurant.ts';
import { skticketsIncidentFlow, skticketsNormalFlow } from '../flows/demo/sktickets.ts';
import type { FlowInput } from '../flows/schema.ts';
import { restaurant, weekdayOfficeHours } from '../schedules/presets.ts';
import { ConflictError, NotFoundError } from '../store/errors.ts';
import { agentsRepository } from '../store/repositories/agents.ts';
import { announcementsRepository } from '../store/repositories/announcements.ts';
import { apiKeysRepository } from '../store/repositories/api-keys.ts';
import { auditRepository } from '../store/repositories/audit.ts';
import { flowsRepository } from '../store/repositories/flows.ts';
import { linesRepository } from '../store/repositories/lines.ts';
import { queuesRepository } from '../store/repositories/queues.ts';
import { schedulesRepository } from '../store/repositories/schedules.ts';
import { tenantsRepository } from '../store/repositories/tenants.ts';
import { trunksRepository } from '../store/repositories/trunks.ts';
import { usersRepository } from '../store/repositories/users.ts';
import type { Database, Tenant } from '../store/schema.ts';

export const DEMO_LINES = [
  { name: 'E購網', number: '4008001111', flow: 'egou-double11' },
  { name: 'SKTickets', number: '4008002222', flow: 'sktickets-incident' },
  { name: '餐廳', number: '4008003333', flow: 'restaurant' },
] as const;

export const DEMO_FLOWS: readonly FlowInput[] = [egouNormalFlow, egouDouble11Flow, skticketsNormalFlow, skticketsIncidentFlow, restaurantFlow];

export const DEMO_SCHEDULES = [
  { name: 'restaurant', schedule: () => restaurant() },
  { name: 'office-hours', schedule: () => weekdayOfficeHours() },
] as const;

/** The SKTickets slot the incident presets belong to (the incident flow's announcement node reads it). */
export const DEMO_BANNER_SLOT = 'banner';

/** The demo agents: SIP user = extension, in realm (SIP domain) `demo`. */
export const DEMO_AGENTS = [
  { extension: '1001', displayName: '小美 (1001)', skills: { orders: 9, returns: 6, payment: 5 }, groups: ['egou'] },
  { extension: '1002', displayName: '阿明 (1002)', skills: { orders: 6, returns: 9, payment: 8, incidents: 3 }, groups: ['egou', 'sktickets-backup'] },
  { extension: '1003', displayName: '小芳 (1003)', skills: { incidents: 9, general: 7, booking: 6, refunds: 5 }, groups: ['sktickets'] },
  { extension: '1004', displayName: '志豪 (1004)', skills: { incidents: 6, general: 8, booking: 8, refunds: 8, orders: 3 }, groups: ['sktickets', 'egou-backup'] },
] as const;

const CALLBACK_ON_MAX_WAIT = { kind: 'callback' } as const;

/** What the two E購網 queues share: the same agents, surge tier, callback on a long wait and recording. */
const EGOU_QUEUE_COMMON = {
  customerTypes: { vipPriorityBoost: 20, returningPriorityBoost: 5, sameAgentWithinSeconds: 600 },
  maxSize: 200,
  maxWaitSeconds: 900,
  onMaxWait: CALLBACK_ON_MAX_WAIT,
  agentGroups: ['egou'],
  announcements: { positionEverySeconds: 45, mode: 'rounded', callbackKey: '#', comfortSlot: EGOU_COMFORT_SLOT, peakShiftingSlot: EGOU_PEAK_SLOT },
  recording: { enabled: true, mode: 'stereo' },
  serviceLevel: { targetSeconds: 30 },
  tiers: [{ name: 'surge', when: { waitingAtLeast: 10 }, addGroups: ['egou-backup'], announcementPreset: { line: 'E購網', slot: EGOU_PEAK_SLOT, preset: 'surge' } }],
} satisfies Partial<QueueConfigInput>;

/**
 * The demo queues. Service level: answered within 30 s (the seeds). E購網's Double-11 surge
 * opens its backup group when callers pile up; SKTickets' incident queue has the seeds' three
 * alert levels (backup agents, then E購網's team, then everyone) and works callbacks in idle
 * periods first.
 */
export const DEMO_QUEUES: readonly QueueConfigInput[] = [
  {
    name: 'egou-orders',
    displayName: 'E購網 訂單查詢',
    priority: 50,
    requiredSkills: [{ skill: 'orders', minProficiency: 5 }],
    strategy: 'longest-idle',
    relax: [{ afterSeconds: 60, minProficiency: 1 }],
    ...EGOU_QUEUE_COMMON,
  },
  {
    name: 'egou-returns',
    displayName: 'E購網 退換貨與付款',
    priority: 50,
    requiredSkills: [{ skill: 'returns', minProficiency: 3 }],
    strategy: 'best-skill',
    relax: [{ afterSeconds: 90, dropSkills: ['returns'] }],
    ...EGOU_QUEUE_COMMON,
  },
  {
    name: 'sktickets-incidents',
    displayName: 'SKTickets 系統異常',
    priority: 70,
    requiredSkills: [{ skill: 'incidents', minProficiency: 3 }],
    strategy: 'least-occupied',
    relax: [{ afterSeconds: 120, minProficiency: 1 }],
    maxSize: 300,
    maxWaitSeconds: 600,
    onMaxWait: CALLBACK_ON_MAX_WAIT,
    onFull: CALLBACK_ON_MAX_WAIT,
    agentGroups: ['sktickets'],
    announcements: { positionEverySeconds: 45, mode: 'less-than', callbackKey: '#' },
    recording: { enabled: true, mode: 'mixed' },
    serviceLevel: { targetSeconds: 30 },
    tiers: [
      { name: 'alert', when: { waitingAtLeast: 5 }, addGroups: ['sktickets-backup'] },
      { name: 'surge', when: { waitingAtLeast: 15 }, addGroups: ['sktickets-backup', 'egou'] },
      { name: 'emergency', when: { longestWaitSecondsAtLeast: 300 }, addGroups: ['sktickets-backup', 'egou', 'egou-backup'] },
    ],
    callbacks: { maxAttempts: 3, retrySpacingSeconds: 600, idleFirst: true },
  },
  {
    name: 'sktickets-general',
    displayName: 'SKTickets 一般客服',
    priority: 40,
    requiredSkills: [{ skill: 'general', minProficiency: 1 }],
    strategy: 'round-robin',
    relax: [{ afterSeconds: 120, dropSkills: ['general'] }],
    maxSize: 200,
    maxWaitSeconds: 900,
    onMaxWait: CALLBACK_ON_MAX_WAIT,
    agentGroups: ['sktickets'],
    announcements: { positionEverySeconds: 60, mode: 'rounded', callbackKey: '#' },
    recording: { enabled: false, mode: 'stereo' },
    serviceLevel: { targetSeconds: 30 },
    callbacks: { maxAttempts: 3, retrySpacingSeconds: 600, idleFirst: true },
  },

  {
    // The restaurant line's booking (2, skill booking) and staff (0) options end here.
    name: RESTAURANT_QUEUE,
    displayName: '餐廳 訂位與服務',
    priority: 30,
    strategy: 'longest-idle',
    relax: [{ afterSeconds: 60, dropSkills: ['booking'] }],
    maxSize: 50,
    maxWaitSeconds: 600,
    onMaxWait: { kind: 'voicemail' },
    agentGroups: [],
    announcements: { positionEverySeconds: 45, mode: 'rounded', callbackKey: '#' },
    serviceLevel: { targetSeconds: 30 },
  },
];

/** The demo tenant's outbound trunk, when SURGELINE_DEMO_TRUNK names one. */
export const DEMO_TRUNK = 'default';

const SEED = 'seed';

export interface SeedOptions {
  /** SURGELINE_ADMIN_KEY: imported as the demo tenant's admin key (idempotent). */
  adminKey?: string;
  /** SURGELINE_DEMO_PASSWORD: the SIP password of agents 1001–1004 (their HA1s follow it). */
  demoPassword?: string;
  /** SURGELINE_DEMO_TRUNK: a SIP URI the demo tenant's default outbound trunk points at. */
  demoTrunk?: string;
}

export interface SeedResult {
  readonly tenantId: string;
  /** True when this call created the tenant (a first start). */
  readonly created: boolean;
  /** A newly generated admin key, present only on the start that created it: print it once. */
  readonly adminKey?: string;
  /** A generated SIP password of the demo agents this call created: print it once. */
  readonly demoPassword?: string;
}

export async function seedDemo(db: Kysely<Database>, clock: Clock, options: SeedOptions = {}): Promise<SeedResult> {
  const tenants = tenantsRepository(db, clock);
  const lines = linesRepository(db, clock);
  const flows = flowsRepository(db, clock);
  const announcements = announcementsRepository(db, clock);
  const schedules = schedulesRepository(db, clock);
  const keys = apiKeysRepository(db, clock);
  const audit = auditRepository(db, clock);

  const { tenant, created } = await demoTenant(tenants);
  const tenantId = tenant.id;
  /** Whether `action` (any, when omitted) was ever recorded on `subject`. */
  const touched = async (subject: string, action?: string): Promise<boolean> => {
    const entries = await audit.list(tenantId, { subject, limit: 1000 });
    return entries.some((e) => action === undefined || e.action === action);
  };

  // Flows first: lines attach to them.
  for (const doc of DEMO_FLOWS) {
    let flow = await flows.get(tenantId, doc.name).catch((err: unknown) => {
      if (err instanceof NotFoundError) return undefined;
      throw err;
    });
    flow ??= (await flows.push(tenantId, doc, SEED, 'demo seed')).flow;
    if (flow.publishedVersion === null && (await flows.version(tenantId, flow.id, 1)).createdBy === SEED) {
      await flows.publish(tenantId, flow.id, 1, SEED);
      continue;
    }
    // An upgrade changed a demo flow: a store whose copy nobody but the seed ever pushed,
    // published or rolled back gets the new version, published; anyone's edit keeps theirs.
    const latest = await flows.version(tenantId, flow.id, flow.latestVersion);
    if (canonical(latest.document) === canonical(doc)) continue;
    const entries = await audit.list(tenantId, { subject: `flow:${flow.id}`, limit: 1000 });
    if (entries.some((e) => e.actor !== SEED) || flow.publishedVersion !== flow.latestVersion) continue;
    const pushed = await flows.push(tenantId, doc, SEED, 'demo seed: the demo flow changed with an upgrade');
    await flows.publish(tenantId, flow.id, pushed.version.version, SEED);
  }

  const existing = await lines.listLines(tenantId);
  for (const { name, number, flow } of DEMO_LINES) {
    let line = existing.find((l) => l.name === name);
    const holder = await lines.routeDialled(number);
    if (line === undefined) {
      // Its number is another line's (a demo line renamed, or a number given away before an
      // upgrade added this demo line, as 餐廳 was): leave it there, and make no line without it.
      if (holder !== undefined) continue;
      line = await lines.createLine(tenantId, { name, timeZone: 'Asia/Taipei' }, SEED);
    }
    if (holder === undefined) await lines.addNumber(tenantId, line.id, number, SEED);
    if (line.flow_id === null && !(await touched(`line:${line.id}`, 'line.flow'))) {
      await lines.setFlow(tenantId, line.id, flow, SEED);
    }
  }

  const skt = await lines.findLineByNumber(tenantId, '4008002222');
  if (skt && !(await touched(`announcement:${skt.id}/${DEMO_BANNER_SLOT}`, 'announcement.presets'))) {
    await announcements.setPresets(tenantId, skt.id, DEMO_BANNER_SLOT, [...SKTICKETS_PRESETS], SEED);
  }

  // E購網's waiting messages: peak-shifting (switched on by the surge tier) and comfort.
  const egou = await lines.findLineByNumber(tenantId, '4008001111');
  if (egou && !(await touched(`announcement:${egou.id}/${EGOU_PEAK_SLOT}`, 'announcement.presets'))) {
    await announcements.setPresets(tenantId, egou.id, EGOU_PEAK_SLOT, [...EGOU_PEAK_PRESETS], SEED);
  }
  if (egou && !(await touched(`announcement:${egou.id}/${EGOU_COMFORT_SLOT}`))) {
    await announcements.setPresets(tenantId, egou.id, EGOU_COMFORT_SLOT, [...EGOU_COMFORT_PRESETS], SEED);
    await announcements.set(tenantId, egou.id, EGOU_COMFORT_SLOT, { preset: 'default', values: {}, expiresAt: null, by: SEED, timeZone: egou.time_zone });
  }

  for (const { name, schedule } of DEMO_SCHEDULES) {
    if (!(await touched(`schedule:${name}`))) await schedules.put(tenantId, name, schedule(), SEED);
  }

  // Queues before agents: nothing depends on the order, but an agent logging in finds them.
  const queues = queuesRepository(db, clock);
  for (const config of DEMO_QUEUES) {
    if (!(await touched(`queue:${config.name}`))) await queues.create(tenantId, config, SEED);
  }

  const demoPassword = await seedAgents(db, clock, tenant, options.demoPassword || undefined);

  if (options.demoTrunk !== undefined && options.demoTrunk !== '') {
    const trunks = trunksRepository(db, clock);
    const current = await trunks.get(tenantId, DEMO_TRUNK).catch((err: unknown) => {
      if (err instanceof NotFoundError) return undefined;
      throw err;
    });
    if (current?.uri !== options.demoTrunk) {
      try {
        await trunks.set(tenantId, { name: DEMO_TRUNK, uri: options.demoTrunk, ...(current?.callerId ? { callerId: current.callerId } : {}) }, SEED);
      } catch (err) {
        throw new Error(`SURGELINE_DEMO_TRUNK: ${(err as Error).message}`);
      }
    }
  }

  let adminKey: string | undefined;
  if (options.adminKey !== undefined && options.adminKey !== '') {
    await keys.import(tenantId, options.adminKey, { name: 'admin (SURGELINE_ADMIN_KEY)', role: 'admin' }, SEED);
  } else {
    // Counts revoked keys too: revoking every key is a decision, not a reason to mint a new one.
    const any = await db.selectFrom('api_keys').select('id').where('tenant_id', '=', tenantId).limit(1).executeTakeFirst();
    if (!any) adminKey = (await keys.create(tenantId, { name: 'admin (first start)', role: 'admin' }, SEED)).key;
  }

  return {
    tenantId,
    created,
    ...(adminKey !== undefined ? { adminKey } : {}),
    ...(demoPassword !== undefined ? { demoPassword } : {}),
  };
}

/**
 * Agents 1001–1004: each created once (a removed one stays removed), as a user of its own or
 * an existing user of that name; with `password`, existing ones get their HA1s brought in
 * line with it. Returns the password it generated, if it created agents without one.
 */
async function seedAgents(db: Kysely<Database>, clock: Clock, tenant: Tenant, password: string | undefined): Promise<string | undefined> {
  const agents = agentsRepository(db, clock);
  const users = usersRepository(db, clock);
  let generated: string | undefined;
  for (const demo of DEMO_AGENTS) {
    const existing = await agents.getByExtension(tenant.id, demo.extension);
    if (existing !== undefined) {
      if (password === undefined) continue;
      const creds = await agents.sipCredentials(tenant.slug, demo.extension);
      if (creds?.ha1Md5 !== hashCredentials(demo.extension, tenant.slug, password).ha1Md5) {
        await agents.update(tenant.id, existing.id, { password }, SEED);
      }
      continue;
    }
    const seededBefore = await db
      .selectFrom('audit_log')
      .select('id')
      .where('tenant_id', '=', tenant.id)
      .where('action', '=', 'agent.create')
      .where(sql<string>`detail->>'extension'`, '=', demo.extension)
      .limit(1)
      .executeTakeFirst();
    if (seededBefore !== undefined) continue;
    const user = (await users.list(tenant.id)).find((u) => u.username === demo.extension);
    const pw = password ?? (generated ??= randomBytes(9).toString('base64url'));
    await agents.create(
      tenant.id,
      {
        extension: demo.extension,
        password: pw,
        ...(user !== undefined ? { userId: user.id } : { displayName: demo.displayName }),
        skills: { ...demo.skills },
        groups: [...demo.groups],
      },
      SEED,
    );
  }
  return generated;
}

/** The demo tenant, created on the first start as the operator; a store from before operators gets it marked. */
async function demoTenant(tenants: ReturnType<typeof tenantsRepository>): Promise<{ tenant: Tenant; created: boolean }> {
  let tenant = await tenants.findBySlug('demo');
  if (tenant === undefined) {
    try {
      return { tenant: await tenants.create({ slug: 'demo', name: 'Demo (E購網, SKTickets)', operator: true }, SEED), created: true };
    } catch (err) {
      // Another node seeding the same PostgreSQL at the same moment won the race.
      if (!(err instanceof ConflictError)) throw err;
      tenant = await tenants.findBySlug('demo');
      if (tenant === undefined) throw err;
    }
  }
  if (!tenant.operator && !(await tenants.list()).some((t) => t.operator)) {
    tenant = await tenants.setOperator(tenant.id, true, SEED);
  }
  return { tenant, created: false };
}

/** JSON with object keys sorted: PostgreSQL's jsonb does not keep the order a document was written in. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : v,
  );
}
