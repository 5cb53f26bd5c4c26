/**
 * Child process of callbacks.test.ts: opens the embedded store in the given directory,
 * creates one callback, prints its id and kills itself with SIGKILL at once — no close, no
 * flush, as a crash right after the caller heard "we will call you back" would.
 */
import { ManualClock } from '../../src/clock.ts';
import { openStore } from '../../src/store/db.ts';
import { callbacksRepository } from '../../src/store/repositories/callbacks.ts';
import { linesRepository } from '../../src/store/repositories/lines.ts';
import { tenantsRepository } from '../../src/store/repositories/tenants.ts';

const dir = process.argv[2];
if (!dir) throw new Error('usage: callback-writer.ts <dataDir>');
const clock = new ManualClock();
const store = await openStore({ dataDir: dir }, { clock });
const t = await tenantsRepository(store.db, clock).create({ slug: 'kill', name: 'kill' });
const line = await linesRepository(store.db, clock).createLine(t.id, { name: 'L', timeZone: 'Asia/Taipei' });
const cb = await callbacksRepository(store.db, clock).create(t.id, { lineId: line.id, callerNumber: '0987654321', kind: 'keep-place' });
process.stdout.write(`created ${cb.id}\n`, () => process.kill(process.pid, 'SIGKILL'));
