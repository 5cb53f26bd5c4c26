import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import fc from 'fast-check';
import { validateFlow, type FlowProblem } from '../../src/flows/validate.ts';

const FIXTURES = new URL('../fixtures/flows/', import.meta.url);

function fixture(kind: 'good' | 'bad', name: string): unknown {
  return JSON.parse(readFileSync(new URL(`${kind}/${name}.json`, FIXTURES), 'utf8'));
}

function problemsOf(input: unknown): FlowProblem[] {
  const result = validateFlow(input);
  assert.equal(result.ok, false, 'the flow should be rejected');
  return result.ok ? [] : result.problems;
}

/** Path and node of each problem, so the assertions pin exactly where each problem is reported. */
function where(problems: FlowProblem[]): Array<{ path: string; node: string | undefined }> {
  return problems.map((p) => ({ path: p.path, node: p.node }));
}

describe('good flow documents', () => {
  for (const file of readdirSync(new URL('good/', FIXTURES))) {
    test(`${file} validates with no warnings`, () => {
      const result = validateFlow(fixture('good', file.replace(/\.json$/, '')));
      assert.ok(result.ok, JSON.stringify(result));
      assert.deepEqual(result.warnings, []);
    });
  }

  test('defaults are filled in and the input is not mutated', () => {
    const input = fixture('good', 'egou-normal');
    const before = JSON.stringify(input);
    const result = validateFlow(input);
    assert.ok(result.ok);
    assert.equal(JSON.stringify(input), before);
    const menu = result.flow.nodes['menu'];
    assert.ok(menu?.type === 'menu');
    assert.equal(menu.timeoutMs, 5000);
    assert.equal(menu.retries, 2);
  });
});

describe('bad flow documents name the node and field of each problem', () => {
  test('unknown target', () => {
    const problems = problemsOf(fixture('bad', 'unknown-target'));
    assert.deepEqual(where(problems), [{ path: 'nodes.menu1.options.3', node: 'menu1' }]);
    assert.match(problems[0]!.message, /"nowhere" is not a node/);
  });

  test('unreachable node', () => {
    const problems = problemsOf(fixture('bad', 'unreachable-node'));
    assert.deepEqual(where(problems), [{ path: 'nodes.orphan', node: 'orphan' }]);
    assert.match(problems[0]!.message, /no path from start "welcome"/);
  });

  test('infinite say loop', () => {
    const problems = problemsOf(fixture('bad', 'infinite-say-loop'));
    assert.deepEqual(where(problems), [{ path: 'nodes.notice', node: 'notice' }]);
    assert.match(problems[0]!.message, /endless loop: notice, again/);
  });

  test('menu with no exit', () => {
    const problems = problemsOf(fixture('bad', 'menu-no-exit'));
    assert.deepEqual(where(problems), [{ path: 'nodes.menu1.options', node: 'menu1' }]);
    assert.match(problems[0]!.message, /no way out/);
  });

  test('menu whose every path leads back to it', () => {
    const problems = problemsOf(fixture('bad', 'menu-trap-loop'));
    assert.deepEqual(where(problems), [{ path: 'nodes.menu1', node: 'menu1' }]);
    assert.match(problems[0]!.message, /loop with no way out: every path from menu1, faq, payment/);
  });

  test('wrong field type', () => {
    const problems = problemsOf(fixture('bad', 'wrong-field-type'));
    assert.deepEqual(where(problems), [{ path: 'nodes.menu1.timeoutMs', node: 'menu1' }]);
    assert.match(problems[0]!.message, /expected number/);
  });

  test('missing start', () => {
    const problems = problemsOf(fixture('bad', 'missing-start'));
    assert.deepEqual(where(problems), [{ path: 'start', node: undefined }]);
  });

  test('start that names no node', () => {
    const problems = problemsOf(fixture('bad', 'start-unknown'));
    assert.deepEqual(where(problems), [{ path: 'start', node: undefined }]);
    assert.match(problems[0]!.message, /"begin"/);
  });

  test('schema mistakes: text and audio, a typo, "*" as an option, an unknown type', () => {
    const problems = problemsOf(fixture('bad', 'schema-mistakes'));
    assert.deepEqual(where(problems), [
      { path: 'nodes.welcome.prompt', node: 'welcome' },
      { path: 'nodes.welcome.bargein', node: 'welcome' },
      { path: 'nodes.menu1.options.*', node: 'menu1' },
      { path: 'nodes.agent.type', node: 'agent' },
    ]);
  });

  test('every bad fixture is rejected', () => {
    for (const file of readdirSync(new URL('bad/', FIXTURES))) {
      const result = validateFlow(fixture('bad', file.replace(/\.json$/, '')));
      assert.equal(result.ok, false, file);
    }
  });
});

describe('other rules', () => {
  const base = (nodes: Record<string, unknown>, start = 'a'): unknown => ({ version: 1, name: 't', start, nodes });

  test('a loop with an edge leaving it is allowed (its exit depends on data)', () => {
    const result = validateFlow(
      base({
        a: { type: 'say', prompt: { text: 'x' }, next: 'b' },
        b: { type: 'branch', on: 'variable', name: 'caller.tries', cases: [{ equals: '3', next: 'end' }], default: 'a' },
        end: { type: 'hangup' },
      }),
    );
    assert.ok(result.ok, JSON.stringify(result));
  });

  test('a self-looping set node is an endless loop', () => {
    const problems = problemsOf(base({ a: { type: 'set', variables: { x: '1' }, next: 'a' } }));
    assert.deepEqual(where(problems), [{ path: 'nodes.a', node: 'a' }]);
  });

  test('unknown targets in several fields are each reported at their field', () => {
    const problems = problemsOf(
      base({
        a: {
          type: 'http',
          method: 'GET',
          url: 'http://127.0.0.1/x',
          onSuccess: 'b',
          onError: 'missing1',
        },
        b: { type: 'branch', on: 'caller', name: 'segment', cases: [{ matches: '^vip', next: 'missing2' }], default: 'c' },
        c: { type: 'schedule', schedule: 'office', open: 'd', closed: 'd', holiday: 'missing3' },
        d: { type: 'hangup' },
      }),
    );
    assert.deepEqual(where(problems), [
      { path: 'nodes.a.onError', node: 'a' },
      { path: 'nodes.b.cases.0.next', node: 'b' },
      { path: 'nodes.c.holiday', node: 'c' },
    ]);
  });

  test('collect with minLength above maxLength', () => {
    const problems = problemsOf(
      base({
        a: { type: 'collect', prompt: { text: 'x' }, variable: 'n', minLength: 8, maxLength: 4, next: 'b' },
        b: { type: 'hangup' },
      }),
    );
    assert.deepEqual(where(problems), [{ path: 'nodes.a.minLength', node: 'a' }]);
  });

  test('a malformed template variable is a problem', () => {
    const problems = problemsOf(
      base({ a: { type: 'say', prompt: { text: '您的訂單 {{order number}}' }, next: 'b' }, b: { type: 'hangup' } }),
    );
    assert.deepEqual(where(problems), [{ path: 'nodes.a.prompt.text', node: 'a' }]);
  });

  test('bracket text is literal, not a variable', () => {
    const result = validateFlow(
      base({ a: { type: 'say', prompt: { text: '預計於 [時間] 恢復正常。' }, next: 'b' }, b: { type: 'hangup' } }),
    );
    assert.ok(result.ok);
    assert.deepEqual(result.warnings, []);
  });
});

describe('variables never set warn without blocking', () => {
  test('a variable set only on the success path warns where the error path reads it', () => {
    const result = validateFlow({
      version: 1,
      name: 'lookup',
      start: 'lookup',
      nodes: {
        lookup: {
          type: 'http',
          method: 'POST',
          url: 'https://shop.example.com/status',
          body: { caller: '{{caller.number}}' },
          assign: { orderStatus: 'status' },
          onSuccess: 'tell',
          onError: 'sorry',
        },
        tell: { type: 'say', prompt: { text: '狀態：{{orderStatus}}' }, next: 'end' },
        sorry: { type: 'say', prompt: { text: '查詢失敗：{{orderStatus}}，{{neverSet}}' }, next: 'end' },
        end: { type: 'hangup' },
      },
    });
    assert.ok(result.ok);
    assert.deepEqual(
      result.warnings.map((w) => [w.path, w.node, w.message]),
      [
        ['nodes.sorry.prompt.text', 'sorry', 'variable "orderStatus" is not set on any path from start to this node'],
        ['nodes.sorry.prompt.text', 'sorry', 'variable "neverSet" is not set on any path from start to this node'],
      ],
    );
  });

  test('a variable set on one of two paths does not warn; a branch subject never set does', () => {
    const result = validateFlow({
      version: 1,
      name: 'paths',
      start: 'm',
      nodes: {
        m: { type: 'menu', prompt: { text: '1 or 2' }, options: { '1': 's', '2': 'b' } },
        s: { type: 'set', variables: { lang: 'zh' }, next: 'b' },
        b: { type: 'branch', on: 'variable', name: 'lang', cases: [{ equals: 'zh', next: 'c' }], default: 'c' },
        c: { type: 'branch', on: 'variable', name: 'tier', cases: [{ equals: 'vip', next: 'q' }], default: 'q' },
        q: { type: 'queue', queue: 'agents' },
      },
    });
    assert.ok(result.ok);
    assert.deepEqual(
      result.warnings.map((w) => w.path),
      ['nodes.c.name'],
    );
  });

  test('a collect stores its digits only on the way to next', () => {
    const result = validateFlow({
      version: 1,
      name: 'collect',
      start: 'c',
      nodes: {
        c: { type: 'collect', prompt: { text: '請輸入' }, variable: 'digits', maxLength: 4, next: 'ok', noInput: 'none' },
        ok: { type: 'say', prompt: { text: '{{digits}}' }, next: 'end' },
        none: { type: 'say', prompt: { text: '{{digits}}' }, next: 'end' },
        end: { type: 'hangup' },
      },
    });
    assert.ok(result.ok);
    assert.deepEqual(result.warnings.map((w) => w.path), ['nodes.none.prompt.text']);
  });
});

describe('robustness', () => {
  test('any JSON value gets an answer, never an exception', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const result = validateFlow(value);
        assert.equal(result.ok, false);
      }),
      { numRuns: 300 },
    );
  });

  test('random graphs of say, menu and hangup: problems and warnings always name an existing node and path', () => {
    const ids = ['a', 'b', 'c', 'd', 'e'];
    const id = fc.constantFrom(...ids, 'zz');
    const node = fc.oneof(
      fc.record({ type: fc.constant('say'), prompt: fc.constant({ text: 'x' }), next: id }),
      fc.record({
        type: fc.constant('menu'),
        prompt: fc.constant({ text: 'm' }),
        options: fc.dictionary(fc.constantFrom('0', '1', '#'), id, { minKeys: 1 }),
      }),
      fc.constant({ type: 'hangup' }),
    );
    fc.assert(
      fc.property(fc.tuple(node, node, node, node, node), (nodes) => {
        const doc = { version: 1, name: 'r', start: 'a', nodes: Object.fromEntries(ids.map((k, i) => [k, nodes[i]])) };
        const result = validateFlow(doc);
        const reported = result.ok ? result.warnings : result.problems;
        for (const p of reported) {
          assert.ok(p.node === undefined || ids.includes(p.node), p.node);
          assert.ok(p.node === undefined || p.path.startsWith(`nodes.${p.node}`), p.path);
        }
        const unknown = nodes.some((n) => JSON.stringify(n).includes('"zz"'));
        if (unknown) assert.equal(result.ok, false);
      }),
      { numRuns: 300 },
    );
  });
});

describe('object keys that are not plain names', () => {
  test('"__proto__" as a key anywhere is refused at its path, not silently dropped', () => {
    const problems = problemsOf(
      JSON.parse('{"version":1,"name":"x","start":"a","nodes":{"a":{"type":"set","variables":{"__proto__":"1"},"next":"b"},"b":{"type":"hangup"},"__proto__":{"type":"hangup"}}}'),
    );
    assert.deepEqual(where(problems), [
      { path: 'nodes.a.variables.__proto__', node: 'a' },
      { path: 'nodes.__proto__', node: '__proto__' },
    ]);
  });

  test('targets named like Object.prototype members are unknown targets', () => {
    const problems = problemsOf({
      version: 1,
      name: 'x',
      start: 'a',
      nodes: { a: { type: 'menu', prompt: { text: 'x' }, options: { '1': 'toString', '2': 'constructor' } } },
    });
    assert.deepEqual(where(problems), [
      { path: 'nodes.a.options.1', node: 'a' },
      { path: 'nodes.a.options.2', node: 'a' },
    ]);
  });
});

test('a deeply nested document is rejected without overflowing the stack', () => {
  let deep: unknown = 'x';
  for (let i = 0; i < 100_000; i++) deep = [deep];
  const problems = problemsOf({ version: 1, name: 'x', start: 'a', nodes: { a: { type: 'hangup', reason: deep } } });
  assert.deepEqual(where(problems), [{ path: 'nodes.a.reason', node: 'a' }]);
});
