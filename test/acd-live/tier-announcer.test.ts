/**
 * What a staffing tier change does to the event stream and the announcements
 * (src/acd/live/tier-announcer.ts), over the seeded demo in a real store: queue.tier is
 * published; a level naming SKTickets' outage preset switches the banner (audited as the tier);
 * releasing it restores what the banner was — silence here, or the preset an operator had set.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { Writable } from 'node:stream';
import { ManualClock } from '../../src/clock.ts';
import { createLogger } from '../../src/log.ts';
import { openStore, type Store } from '../../src/store/db.ts';
import { seedDemo } from '../../src/demo/seed.ts';
import type { CallEvent } from '../../src/events/bus.ts';
import { announcementsRepository } from '../../src/store/repositories/announcements.ts';
import { auditRepository } from '../../src/store/repositories/audit.ts';
import { linesRepository } from '../../src/store/repositories/lines.ts';
import { queuesRepository } from '../../src/store/repositories/queues.ts';
import { tierAnnouncer } from '../../src/acd/live/tier-announcer.ts';
import type { TierChange } from '../../src/acd/live/tier-watch.ts';
import { freshPgliteDataDir } from '../store/pglite-template.ts';

const clock = new ManualClock();
let dir: string;
let store: Store;

before(async () => {
  dir = await freshPgliteDataDir('surgeline-tier-announcer-');
  store = await openStore({ dataDir: dir }, { clock });
});
after(async () => {
  await store?.close();
  rmSync(dir, { recursive: true, force: true });
});

const OUTAGE = { line: '4008002222', slot: 'banner', preset: 'outage' };
const up: TierChange = { queue: 'sktickets-incidents', level: 1, name: 'alert', at: 1, preset: OUTAGE, previousPreset: undefined };
const down: TierChange = { queue: 'sktickets-incidents', level: 0, name: null, at: 2, preset: undefined, previousPreset: OUTAGE };

test('a tier naming a preset switches the banner and publishes queue.tier; its release restores the banner', async () => {
  const { tenantId } = await seedDemo(store.db, clock);
  const line = await linesRepository(store.db, clock).resolveLine(tenantId, '4008002222');
  const banner = () => announcementsRepository(store.db, clock).get(tenantId, line.id, 'banner');
  const events: CallEvent[] = [];
  const t = tierAnnouncer({ db: store.db, clock, log: createLogger({ level: 'silent', destination: new Writable({ write: (_c, _e, cb) => cb() }) }), tenantId, publish: (e) => events.push(e) });

  assert.equal((await banner()).preset, null);
  t.onTier(up);
  await t.idle();
  assert.deepEqual(events, [{ type: 'queue.tier', tenantId, queue: 'sktickets-incidents', at: 1, level: 1, name: 'alert' }]);
  const on = await banner();
  assert.equal(on.preset, 'outage');
  assert.match(on.text ?? '', /系統發生技術問題/);
  const audit = await auditRepository(store.db, clock).list(tenantId, { limit: 5 });
  assert.ok(audit.some((e) => e.actor === 'tier:sktickets-incidents' && e.action === 'announcement.set'), 'audited as the tier');

  t.onTier(down);
  await t.idle();
  const off = await banner();
  assert.deepEqual([off.preset, off.text], [null, null], 'silent again, as before the tier');

  // An operator had the banner on "recovered": the tier's release brings that back.
  await announcementsRepository(store.db, clock).set(tenantId, line.id, 'banner', { preset: 'recovered', values: {}, expiresAt: null, by: 'alice' });
  t.onTier({ ...up, at: 3 });
  t.onTier({ ...down, at: 4 });
  await t.idle();
  assert.equal((await banner()).preset, 'recovered');
  assert.equal(events.length, 4);
});

test("the demo: E購網's surge tier turns on the seeds' peak-shifting message and its release turns it off", async () => {
  const { tenantId } = await seedDemo(store.db, clock);
  const q = await queuesRepository(store.db, clock).get(tenantId, 'egou-orders');
  const preset = q.config.tiers[0]?.announcementPreset;
  assert.deepEqual(preset, { line: 'E購網', slot: 'peak', preset: 'surge' }, 'the surge tier names the line by its name');
  const line = await linesRepository(store.db, clock).resolveLine(tenantId, '4008001111');
  const peak = () => announcementsRepository(store.db, clock).get(tenantId, line.id, 'peak');
  const comfort = await announcementsRepository(store.db, clock).get(tenantId, line.id, 'comfort');
  assert.match(comfort.text ?? '', /感謝您的耐心等候/, 'the comfort slot speaks from the first start');
  const logs: string[] = [];
  const t = tierAnnouncer({ db: store.db, clock, log: createLogger({ level: 'warn', destination: new Writable({ write: (c, _e, cb) => (logs.push(String(c)), cb()) }) }), tenantId, publish: () => undefined });
  assert.equal((await peak()).text, null, 'silent in normal times');
  t.onTier({ queue: 'egou-orders', level: 1, name: 'surge', at: 10, preset, previousPreset: undefined });
  await t.idle();
  assert.match((await peak()).text ?? '', /建議您在一小時後再撥打/, 'the peak-shifting message is on');
  t.onTier({ queue: 'egou-orders', level: 0, name: null, at: 11, preset: undefined, previousPreset: preset });
  await t.idle();
  const off = await peak();
  assert.deepEqual([off.preset, off.text], [null, null], 'silent again, as before the surge');
  assert.deepEqual(logs, [], 'no warning: the line was found');
});
