/**
 * `surgeline erlang` and `surgeline staff` as the product contract states them, run as the real
 * CLI without a server: the JSON keys and values are the library's, durations take s/m/h,
 * bad input exits 2 naming it.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { agentsFor, erlangA, erlangC } from '../../src/planning/erlang.ts';
import { cli } from './run-cli.ts';

const NO_SERVER = { SURGELINE_API_URL: 'http://127.0.0.1:9' };
const json = async (args: string[]): Promise<Record<string, number>> => {
  const r = await cli(args, { env: NO_SERVER });
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as Record<string, number>;
};

describe('surgeline erlang / staff', { concurrency: 4 }, () => {
  test('erlang --json: exactly pWait, asa, serviceLevel, occupancy of Erlang C', async () => {
    const got = await json(['erlang', '--arrivals', '360', '--interval', '30m', '--aht', '180s', '--agents', '40', '--target', '20s', '--json']);
    const want = erlangC({ arrivalRate: 360 / 1800, ahtSeconds: 180, agents: 40, targetSeconds: 20 });
    assert.deepEqual(Object.keys(got), ['pWait', 'asa', 'serviceLevel', 'occupancy']);
    assert.deepEqual(got, { pWait: want.pWait, asa: want.asa, serviceLevel: want.serviceLevel, occupancy: want.occupancy });
    assert.ok(got['pWait']! > 0.41 && got['pWait']! < 0.42, `36 Erlangs on 40 agents wait ~41 %: ${got['pWait']}`);
  });

  test('erlang --patience: Erlang A, with pAbandon; durations in h and m', async () => {
    const got = await json(['erlang', '--arrivals', '720', '--interval', '1h', '--aht', '3m', '--agents', '40', '--target', '20s', '--patience', '3m', '--json']);
    const want = erlangA({ arrivalRate: 720 / 3600, ahtSeconds: 180, agents: 40, targetSeconds: 20, patienceSeconds: 180 });
    assert.deepEqual(Object.keys(got), ['pWait', 'asa', 'serviceLevel', 'occupancy', 'pAbandon']);
    assert.equal(got['pAbandon'], want.pAbandon);
    assert.equal(got['serviceLevel'], want.serviceLevel);
  });

  test('staff --sl 0.8: the fewest agents, and scheduled with shrinkage', async () => {
    const got = await json(['staff', '--arrivals', '360', '--interval', '30m', '--aht', '180s', '--sl', '0.8', '--target', '20s', '--shrinkage', '0.3', '--json']);
    const want = agentsFor({ arrivalRate: 0.2, ahtSeconds: 180, targetSeconds: 20 }, 0.8);
    assert.equal(got['agents'], want.agents);
    assert.equal(got['scheduled'], Math.ceil(want.agents / 0.7));
    assert.ok(got['serviceLevel']! >= 0.8);
    const text = await cli(['staff', '--arrivals', '360', '--interval', '30m', '--aht', '180s', '--sl', '0.8', '--target', '20s'], { env: NO_SERVER });
    assert.match(text.stdout, new RegExp(`^agents +${want.agents}\\n`));
  });

  test('impossible loads and bad values exit 2 naming the input', async () => {
    const over = await cli(['erlang', '--arrivals', '360', '--interval', '30m', '--aht', '180s', '--agents', '30', '--target', '20s'], { env: NO_SERVER });
    assert.equal(over.code, 2);
    assert.match(over.stderr, /30 agents cannot carry 36\.00 Erlangs/);
    const bad = await cli(['erlang', '--arrivals', '360', '--aht', 'three minutes', '--agents', '30'], { env: NO_SERVER });
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--aht three minutes: expected a duration/);
    const sl = await cli(['staff', '--arrivals', '10', '--aht', '60s', '--sl', '80'], { env: NO_SERVER });
    assert.equal(sl.code, 2);
    assert.match(sl.stderr, /--sl 80: expected a number between 0.01 and 0.999/);
    assert.equal((await cli(['erlang', '--arrivals', '10', '--aht', '60s'], { env: NO_SERVER })).code, 2, '--agents is required');
  });
});
