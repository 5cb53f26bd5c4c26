/**
 * Usage of the issue-4 CLI commands (agents, queues, callbacks, voicemails): listed in the
 * top-level help, each with its own --help, and every bad usage exits 2 with the reason
 * before any request is made (the API URL points at a closed port, so a command that got
 * past its checks would exit 1 instead).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { cli } from './run-cli.ts';

const NO_SERVER = { SURGELINE_API_URL: 'http://127.0.0.1:9', SURGELINE_API_KEY: 'test-key-that-is-long-enough' };

// Every test spawns the CLI and none depends on another: they run side by side.
describe('surgeline ACD command usage', { concurrency: 4 }, () => {
  test('--help lists the ACD commands', async () => {
    const r = await cli(['--help']);
    assert.equal(r.code, 0, r.stderr);
    for (const cmd of ['agents list', 'agents show <agent>', 'agents state <agent> <available|break>', 'queues list', 'queues show <queue>', 'queues push <file>', 'callbacks list', 'voicemails list']) {
      assert.ok(r.stdout.includes(cmd), `--help mentions "${cmd}"`);
    }
  });

  test('each ACD command has its own --help', async () => {
    const state = await cli(['agents', 'state', '--help']);
    assert.equal(state.code, 0);
    assert.match(state.stdout, /^usage: surgeline agents state <agent> <available\|break> \[--reason r\]/);
    assert.match(state.stdout, /--api-key key/);
    const cbs = await cli(['callbacks', 'list', '-h']);
    assert.equal(cbs.code, 0);
    assert.match(cbs.stdout, /--state s/);
    const group = await cli(['queues', '--help']);
    assert.equal(group.code, 0);
    assert.match(group.stdout, /queues push <file>/);
  });

  const BAD: Array<{ args: string[]; reason: RegExp; env?: Record<string, string> }> = [
    { args: ['agents'], reason: /agents: which command\?/ },
    { args: ['agents', 'fire', '1001'], reason: /agents: unknown command "fire"/ },
    { args: ['agents', 'show'], reason: /missing <agent>/, env: NO_SERVER },
    { args: ['agents', 'state', '1001'], reason: /missing <available\|break>/, env: NO_SERVER },
    { args: ['agents', 'state', '1001', 'asleep'], reason: /the state must be available or break, not "asleep"/, env: NO_SERVER },
    { args: ['agents', 'state', '1001', 'available', '--reason', 'lunch'], reason: /--reason goes with break/, env: NO_SERVER },
    { args: ['agents', 'state', '1001', 'break', '--reason'], reason: /--reason/, env: NO_SERVER },
    { args: ['agents', 'list'], reason: /no API key/ },
    { args: ['queues', 'push'], reason: /missing <file>/, env: NO_SERVER },
    { args: ['queues', 'push', 'test/fixtures/queues/no-such-queue.yaml'], reason: /cannot read .*no-such-queue\.yaml: no such file/, env: NO_SERVER },
    { args: ['queues', 'show', 'a', 'b'], reason: /unexpected argument "b"/, env: NO_SERVER },
    { args: ['callbacks', 'list', '--state', 'lost'], reason: /--state must be among pending, due, in-progress, done, failed, cancelled, not "lost"/, env: NO_SERVER },
    { args: ['callbacks', 'list', '--limit', 'all'], reason: /--limit must be a positive whole number/, env: NO_SERVER },
    { args: ['callbacks', 'list', '--colour', 'red'], reason: /Unknown option '--colour'/, env: NO_SERVER },
    { args: ['voicemails', 'list', '--state', 'heard'], reason: /--state must be one of new, assigned, done, not "heard"/, env: NO_SERVER },
  ];

  for (const { args, reason, env } of BAD) {
    test(`bad usage exits 2 with the reason: surgeline ${args.join(' ')}`, async () => {
      const r = await cli(args, env ? { env } : {});
      assert.equal(r.code, 2, `exit 2, got ${r.code}: ${r.stderr}`);
      assert.match(r.stderr, reason);
      assert.match(r.stderr, /^surgeline: /);
    });
  }

  test('a command past its usage checks fails with exit 1 when the API cannot be reached', async () => {
    const r = await cli(['callbacks', 'list', '--state', 'pending,due'], { env: NO_SERVER });
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /cannot reach the API/);
  });
});
