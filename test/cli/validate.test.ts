/**
 * `surgeline flow validate` runs locally: good and bad flow files in JSON and YAML, each
 * problem printed as "<path>: <message>" at the exact path, exit 1 on problems, and files
 * that do not parse named with their line and column.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { cli, FLOWS, lines } from './run-cli.ts';

const fixture = (name: string): string => path.join(FLOWS, name);
/** The path part of each problem line ("nodes.x.y: message" → "nodes.x.y"). */
const paths = (stdout: string): string[] => lines(stdout).slice(0, -1).map((l) => l.slice(0, l.indexOf(': ')));

// Every test spawns the CLI and none depends on another: they run side by side.
describe('surgeline flow validate', { concurrency: 4 }, () => {
  test('a good YAML flow (branch "on:", quoted menu keys) is valid: exit 0, nothing but the verdict', async () => {
    const r = await cli(['flow', 'validate', fixture('cli-good.yaml')]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(lines(r.stdout), [`${fixture('cli-good.yaml')}: flow "cli-yaml-hotline" is valid (9 nodes)`]);
    assert.equal(r.stderr, '');
  });

  test('a good JSON flow (the seed E購網 normal-days flow) is valid', async () => {
    const r = await cli(['flow', 'validate', fixture('good/egou-normal.json')]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /flow "egou-normal" is valid \(8 nodes\)/);
  });

  test('warnings are printed with their path but do not fail validation', async () => {
    const r = await cli(['flow', 'validate', fixture('cli-warning.yaml')]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(lines(r.stdout), [
      'warning: nodes.tell.prompt.text: variable "orderStatus" is not set on any path from start to this node',
      `${fixture('cli-warning.yaml')}: flow "cli-warning" is valid (2 nodes, 1 warning)`,
    ]);
  });

  test('YAML shape mistakes: one line per problem at the offending field, exit 1', async () => {
    const r = await cli(['flow', 'validate', fixture('cli-bad-schema.yaml')]);
    assert.equal(r.code, 1, 'problems exit 1');
    assert.deepEqual(paths(r.stdout), ['nodes.welcome.bargein', 'nodes.menu1.options.*', 'nodes.menu1.retries', 'nodes.agent.type']);
    assert.match(r.stdout, /^nodes\.welcome\.bargein: unknown field "bargein"$/m);
    assert.match(lines(r.stdout).at(-1)!, /cli-bad-schema\.yaml: 4 problems$/);
  });

  test('graph mistakes give the same paths from YAML and from JSON', async () => {
    const expected = ['nodes.menu.options.1', 'nodes.orphan', 'nodes.trap.options'];
    for (const file of ['cli-bad-graph.yaml', 'cli-bad-graph.json']) {
      const r = await cli(['flow', 'validate', fixture(file)]);
      assert.equal(r.code, 1, `${file}: problems exit 1`);
      assert.deepEqual(paths(r.stdout), expected, file);
      assert.match(r.stdout, /^nodes\.menu\.options\.1: "orders" is not a node of this flow$/m, file);
    }
  });

  test('an existing bad JSON fixture (a misspelt node type and stray fields) is refused with its paths', async () => {
    const r = await cli(['flow', 'validate', fixture('bad/schema-mistakes.json')]);
    assert.equal(r.code, 1);
    assert.deepEqual(paths(r.stdout), ['nodes.welcome.prompt', 'nodes.welcome.bargein', 'nodes.menu1.options.*', 'nodes.agent.type']);
  });

  test('--json prints {ok, problems, warnings} and still exits 1 on problems', async () => {
    const r = await cli(['flow', 'validate', '--json', fixture('cli-bad-graph.yaml')]);
    assert.equal(r.code, 1);
    const body = JSON.parse(r.stdout) as { ok: boolean; problems: { path: string; node?: string }[]; warnings: unknown[] };
    assert.equal(body.ok, false);
    assert.deepEqual(body.problems.map((p) => p.path), ['nodes.menu.options.1', 'nodes.orphan', 'nodes.trap.options']);
    assert.equal(body.problems[0]!.node, 'menu', 'problems inside a node name it');
  });

  test('stdin ("-") is read as YAML or JSON by its first character', async () => {
    const yaml = await cli(['flow', 'validate', '-'], { input: readFileSync(fixture('cli-good.yaml'), 'utf8') });
    assert.equal(yaml.code, 0, yaml.stderr);
    const json = await cli(['flow', 'validate', '-'], { input: readFileSync(fixture('cli-bad-graph.json'), 'utf8') });
    assert.equal(json.code, 1, json.stderr);
    assert.deepEqual(paths(json.stdout), ['nodes.menu.options.1', 'nodes.orphan', 'nodes.trap.options']);
  });

  test('a file that does not parse is named with its line and column, exit 1', async () => {
    const yaml = await cli(['flow', 'validate', fixture('cli-broken.yaml')]);
    assert.equal(yaml.code, 1);
    assert.equal(yaml.stdout, '');
    assert.match(yaml.stderr, /cli-broken\.yaml:7:3: not valid YAML: Map keys must be unique/, 'a duplicate node id is refused, not silently dropped');
    const json = await cli(['flow', 'validate', fixture('cli-broken.json')]);
    assert.equal(json.code, 1);
    assert.match(json.stderr, /cli-broken\.json:5:3: not valid JSON/);
  });

  test('a document that is not a flow at all is a problem at the document', async () => {
    const r = await cli(['flow', 'validate', '-'], { input: '- just\n- a list\n' });
    assert.equal(r.code, 1);
    assert.match(r.stdout, /^\(document\): /m);
  });
});
