/**
 * The announcement slot cache over a real store (PGlite, seeded with the demo): a change
 * made elsewhere (another node: straight through the repository) is picked up by the
 * poll; a change announced on the bus re-reads the slot; versions never go backwards;
 * prime() loads a slot once. The poll runs on its own timer.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { realClock } from '../../src/clock.ts';
import { silentLogger } from '../../src/log.ts';
import { openStore, type Store } from '../../src/store/db.ts';
import { freshPgliteDataDir } from '../store/pglite-template.ts';
import { seedDemo } from '../../src/demo/seed.ts';
import { announcementsRepository, type AnnouncementsRepository } from '../../src/store/repositories/announcements.ts';
import { linesRepository } from '../../src/store/repositories/lines.ts';
import { EventBus } from '../../src/events/bus.ts';
import { AnnouncementCache } from '../../src/ivr/announcement-cache.ts';

const clock = realClock();
let dir: string;
let store: Store;
let tenantId: string;
let lineId: string;
let repo: AnnouncementsRepository;
before(async () => {
  dir = await freshPgliteDataDir('surgeline-annc-');
  store = await openStore({ dataDir: dir }, { clock });
  tenantId = (await seedDemo(store.db, clock)).tenantId;
  lineId = (await linesRepository(store.db, clock).lineForCall('4008002222'))!.lineId;
  repo = announcementsRepository(store.db, clock);
});
after(async () => {
  await store?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('prime loads the slot; a change made through the repository alone arrives with the next poll', async () => {
  // Counting source: prime must read each slot once.
  let gets = 0;
  const source = { get: (...a: Parameters<AnnouncementsRepository['get']>) => (gets++, repo.get(...a)), changedSince: (s: Date) => repo.changedSince(s) };
  const cache = new AnnouncementCache({ source, clock, log: silentLogger() });
  await Promise.all([cache.prime(tenantId, lineId, ['banner']), cache.prime(tenantId, lineId, ['banner'])]);
  await cache.prime(tenantId, lineId, ['banner']);
  assert.equal(gets, 1, 'one read for concurrent and later primes');
  const before = cache.current(tenantId, lineId, 'banner');
  assert.ok(before, 'primed');
  assert.equal(before.text, null, 'no incident at first start');

  const state = await repo.set(tenantId, lineId, 'banner', { preset: 'outage', values: { time: '15:00', url: 'x.example' }, by: 'other-node' });
  assert.equal(cache.current(tenantId, lineId, 'banner')?.version, before.version, 'not seen before a poll');
  await cache.poll();
  assert.equal(cache.current(tenantId, lineId, 'banner')?.version, state.version, 'the poll brought the new version');
  assert.equal(cache.current(tenantId, lineId, 'banner')?.text, state.text);
  await cache.stop();
});

test('the poll runs by itself every pollMs', async () => {
  const cache = new AnnouncementCache({ source: repo, clock, log: silentLogger(), pollMs: 50 });
  await cache.prime(tenantId, lineId, ['banner']);
  cache.start();
  const state = await repo.set(tenantId, lineId, 'banner', { preset: 'recovered', by: 'other-node' });
  for (let i = 0; i < 200 && cache.current(tenantId, lineId, 'banner')?.version !== state.version; i++) await sleep(20);
  assert.equal(cache.current(tenantId, lineId, 'banner')?.text, state.text, 'picked up without anyone calling poll()');
  await cache.stop();
});

test('an announcement.changed event re-reads the slot; an older state never replaces a newer one', async () => {
  const bus = new EventBus();
  // No poll within the test: only the event can bring the change.
  const cache = new AnnouncementCache({ source: repo, clock, log: silentLogger(), bus, pollMs: 600_000 });
  cache.start();
  await cache.prime(tenantId, lineId, ['banner']);
  const held = cache.current(tenantId, lineId, 'banner')!;
  const state = await repo.set(tenantId, lineId, 'banner', { text: '測試公告', by: 'api' });
  bus.publish({ type: 'announcement.changed', tenantId, lineId, slot: 'banner', version: state.version, text: state.text });
  for (let i = 0; i < 200 && cache.current(tenantId, lineId, 'banner')?.version !== state.version; i++) await sleep(10);
  assert.equal(cache.current(tenantId, lineId, 'banner')?.text, '測試公告', 'the event made the cache read the new state');
  assert.equal(cache.apply(tenantId, lineId, held), false, 'the older state is refused');
  assert.equal(cache.current(tenantId, lineId, 'banner')?.version, state.version, 'still the newer version');
  await cache.stop();
});
