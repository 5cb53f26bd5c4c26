/**
 * Usage of the `surgeline` CLI: help for the whole command and each command (exit 0),
 * and every kind of bad usage exits 2 with the reason — before any request is made
 * (no server runs in these tests; the API URL points at a closed port).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { cli } from './run-cli.ts';

// Nothing listens here: a command that got past its usage checks would fail with exit 1.
const NO_SERVER = { SURGELINE_API_URL: 'http://127.0.0.1:9', SURGELINE_API_KEY: 'test-key-that-is-long-enough' };

// Every test spawns the CLI and none depends on another: they run side by side.
describe('surgeline usage', { concurrency: 4 }, () => {
  test('--help lists every command and the exit codes', async () => {
    const r = await cli(['--help']);
    assert.equal(r.code, 0, r.stderr);
    for (const cmd of ['serve', 'flow validate <file>', 'flow push <file>', 'flow publish <flow>', 'flow rollback <flow>', 'announce <line> <preset|text>', 'calls tail', 'calls list', 'key create', 'line flow <line> <flow|none>']) {
      assert.ok(r.stdout.includes(cmd), `--help mentions "${cmd}"`);
    }
    assert.match(r.stdout, /Exit codes: 0 ok, 1 API or validation error, 2 usage error/);
  });

  test('each command has its own --help with its options', async () => {
    const push = await cli(['flow', 'push', '--help']);
    assert.equal(push.code, 0);
    assert.match(push.stdout, /^usage: surgeline flow push <file> \[--publish\] \[--comment c\]/);
    assert.match(push.stdout, /--api-key key/);
    const announce = await cli(['announce', '-h']);
    assert.equal(announce.code, 0);
    assert.match(announce.stdout, /--expires when/);
    const group = await cli(['calls', '--help']);
    assert.equal(group.code, 0);
    assert.match(group.stdout, /calls tail/);
    const serve = await cli(['serve', '--help']);
    assert.equal(serve.code, 0);
    assert.match(serve.stdout, /--sip-port/);
    const viaHelp = await cli(['help', 'key', 'create']);
    assert.equal(viaHelp.code, 0);
    assert.match(viaHelp.stdout, /usage: surgeline key create/);
  });

  const BAD: Array<{ args: string[]; reason: RegExp; env?: Record<string, string> }> = [
    { args: ['launch'], reason: /unknown command "launch"/ },
    { args: ['flow'], reason: /flow: which command\?/ },
    { args: ['flow', 'deploy', 'x.yaml'], reason: /flow: unknown command "deploy"/ },
    { args: ['flow', 'validate'], reason: /missing <file>/ },
    { args: ['flow', 'validate', 'a.yaml', 'b.yaml'], reason: /unexpected argument "b.yaml"/ },
    { args: ['flow', 'validate', '--strict', 'a.yaml'], reason: /Unknown option '--strict'/ },
    { args: ['flow', 'validate', 'test/fixtures/flows/no-such-flow.yaml'], reason: /cannot read .*no-such-flow\.yaml: no such file/ },
    { args: ['flow', 'publish', 'egou-normal', '--version', 'two'], reason: /--version must be a positive whole number, not "two"/, env: NO_SERVER },
    { args: ['flow', 'rollback', 'egou-normal', '--version', '0'], reason: /--version must be a positive whole number/, env: NO_SERVER },
    { args: ['flow', 'list'], reason: /no API key: pass --api-key or set SURGELINE_API_KEY/ },
    { args: ['flow', 'list', '--api-url', 'ftp://host'], reason: /--api-url: "ftp:\/\/host" must be http: or https:/, env: NO_SERVER },
    { args: ['announce', '4008002222'], reason: /missing <preset\|text>/, env: NO_SERVER },
    { args: ['announce', '4008002222', 'outage', '--expires', 'tomorrow'], reason: /--expires tomorrow: expected a duration/, env: NO_SERVER },
    { args: ['announce', '4008002222', 'outage', '--expires', '0m'], reason: /longer than zero/, env: NO_SERVER },
    { args: ['announce', '4008002222', 'outage', '--expires', '2020-01-01T00:00:00Z'], reason: /already passed/, env: NO_SERVER },
    { args: ['key', 'create', '--name', 'ops'], reason: /key create needs --role/, env: NO_SERVER },
    { args: ['key', 'create', '--name', 'ops', '--role', 'root'], reason: /--role must be one of admin, supervisor, agent, not "root"/, env: NO_SERVER },
    { args: ['key', 'create', '--name'], reason: /--name/, env: NO_SERVER },
    { args: ['calls', 'list', '--since', 'yesterday'], reason: /--since must be an ISO time/, env: NO_SERVER },
    { args: ['calls', 'show'], reason: /missing <id>/, env: NO_SERVER },
    { args: ['line', 'flow', '4008001111'], reason: /missing <flow\|none>/, env: NO_SERVER },
    { args: ['serve', '--sip-port', 'lots'], reason: /invalid sipPort/ },
  ];

  for (const { args, reason, env } of BAD) {
    test(`bad usage exits 2 with the reason: surgeline ${args.join(' ')}`, async () => {
      const r = await cli(args, env ? { env } : {});
      assert.equal(r.code, 2, `exit 2, got ${r.code}: ${r.stderr}`);
      assert.match(r.stderr, reason);
      assert.match(r.stderr, /^surgeline: /, 'the reason is prefixed with the command name');
    });
  }
});
