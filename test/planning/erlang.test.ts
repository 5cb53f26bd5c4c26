/**
 * Erlang C and Erlang A (src/planning/erlang.ts) against closed forms, an independent direct
 * summation, the Poisson identity of Erlang A (patience = handle time: the number in system is
 * Poisson(λ/μ)), an independent state-by-state Erlang A (erlang-reference.ts), the Erlang C limit
 * of Erlang A, large systems, monotonicity and bad input.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { agentsFor, erlangA, erlangC, ErlangInputError } from '../../src/planning/erlang.ts';
import { erlangAByStates, erlangAStates } from './erlang-reference.ts';

const close = (a: number, b: number, tol: number, what: string): void => assert.ok(Math.abs(a - b) <= tol, `${what}: ${a} vs ${b}`);

/** Erlang C's P(wait) by direct summation (fine in doubles for small N). */
function directC(n: number, a: number): number {
  let term = 1;
  let sum = 0;
  for (let k = 0; k < n; k++) {
    sum += term;
    term *= a / (k + 1);
  }
  const top = (term * n) / (n - a); // a^n/n! · n/(n − a)
  return top / (sum + top);
}

test('Erlang C: the closed form for A = 2, N = 3 (P(wait) = 4/9) and direct summation up to N = 40', () => {
  const r = erlangC({ arrivalRate: 2 / 180, ahtSeconds: 180, agents: 3, targetSeconds: 20 });
  close(r.pWait, 4 / 9, 1e-12, 'P(wait)');
  close(r.asa, (4 / 9) * 180, 1e-9, 'ASA = C·AHT/(N − A)');
  close(r.serviceLevel, 1 - (4 / 9) * Math.exp(-20 / 180), 1e-12, 'SL');
  close(r.occupancy, 2 / 3, 1e-12, 'occupancy');
  for (const [n, a] of [[11, 10], [20, 17.5], [40, 35.2], [5, 0.3]] as const) {
    close(erlangC({ arrivalRate: a / 100, ahtSeconds: 100, agents: n, targetSeconds: 0 }).pWait, directC(n, a), 1e-10, `C(${n}, ${a})`);
  }
});

test('Erlang A: with patience equal to the handle time the number in system is Poisson(λ/μ)', () => {
  const lambda = 0.5;
  const aht = 30; // load 15
  const n = 12;
  // The reference's stationary distribution, state by state.
  const { logW, logZ } = erlangAStates(lambda, 1 / aht, 1 / aht, n);
  let pmf = Math.exp(-15);
  let atLeastN = 0;
  let excess = 0; // E[(X − N)+]
  for (let k = 0; k < 80; k++) {
    if (k < 60) close(Math.exp(logW[k]! - logZ), pmf, 1e-12, `P(${k} in system)`);
    if (k >= n) {
      atLeastN += pmf;
      excess += (k - n) * pmf;
    }
    pmf *= 15 / (k + 1);
  }
  // The product's closed form: P(wait) = P(X ≥ N), P(abandon) = θ·E[(X − N)+]/λ.
  const r = erlangA({ arrivalRate: lambda, ahtSeconds: aht, agents: n, targetSeconds: 10, patienceSeconds: aht });
  close(r.pWait, atLeastN, 1e-12, 'P(wait)');
  close(r.pAbandon!, excess / aht / lambda, 1e-12, 'P(abandon)');
  close(r.occupancy, (lambda * (1 - r.pAbandon!) * aht) / n, 1e-12, 'occupancy = carried / N');
});

test('Erlang A closed form agrees with the state-by-state reference (uniformized waits), light to heavy overload', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 300 }),
      fc.double({ min: 0.05, max: 3, noNaN: true }), // offered load per agent
      fc.integer({ min: 30, max: 600 }), // AHT
      fc.integer({ min: 0, max: 120 }), // target
      fc.integer({ min: 5, max: 900 }), // patience
      (n, rho, aht, t, patience) => {
        const input = { arrivalRate: (rho * n) / aht, ahtSeconds: aht, agents: n, targetSeconds: t, patienceSeconds: patience };
        const got = erlangA(input);
        const want = erlangAByStates(input);
        const what = JSON.stringify(input);
        close(got.pWait, want.pWait, 1e-9, `P(wait) ${what}`);
        close(got.pAbandon!, want.pAbandon!, 1e-9, `P(abandon) ${what}`);
        close(got.serviceLevel, want.serviceLevel, 1e-8, `SL ${what}`);
        close(got.asa, want.asa, 1e-7 * Math.max(1, want.asa), `ASA ${what}`);
        close(got.occupancy, want.occupancy, 1e-9, `occupancy ${what}`);
      },
    ),
    { numRuns: 200 },
  );
  // A large pool, and a deep overload whose series terms pass 1e308 before they fall.
  for (const input of [
    { arrivalRate: 19_500 / 180, ahtSeconds: 180, agents: 20_000, targetSeconds: 20, patienceSeconds: 180 },
    { arrivalRate: 12, ahtSeconds: 300, agents: 100, targetSeconds: 30, patienceSeconds: 600 },
  ]) {
    const got = erlangA(input);
    const want = erlangAByStates(input);
    for (const k of ['pWait', 'pAbandon', 'serviceLevel', 'occupancy'] as const) close(got[k]!, want[k]!, 1e-8, `${k} ${JSON.stringify(input)}`);
    close(got.asa, want.asa, 1e-6 * want.asa, 'ASA');
  }
});

test('Erlang A tends to Erlang C as patience grows; its figures are consistent', () => {
  const base = { arrivalRate: 100 / 1800, ahtSeconds: 180, agents: 12, targetSeconds: 20 };
  const c = erlangC(base);
  const a = erlangA({ ...base, patienceSeconds: 1e9 });
  close(a.pWait, c.pWait, 1e-4, 'P(wait)');
  close(a.asa, c.asa, 0.05, 'ASA');
  close(a.serviceLevel, c.serviceLevel, 1e-3, 'SL');
  close(a.pAbandon!, 0, 1e-6, 'nobody abandons');
  const impatient = erlangA({ ...base, patienceSeconds: 60 });
  assert.ok(impatient.pAbandon! > 0.001 && impatient.pAbandon! < impatient.pWait, `abandons: ${impatient.pAbandon}`);
  assert.ok(impatient.asa < c.asa, 'the impatient leave: the answered wait less');
  assert.ok(impatient.serviceLevel >= 1 - impatient.pWait && impatient.serviceLevel <= 1 - impatient.pAbandon!, 'SL between the unqueued and the answered');
  // Overload that Erlang C refuses is finite with abandonment.
  const over = erlangA({ ...base, agents: 8, patienceSeconds: 120 });
  assert.ok(over.pAbandon! > 0 && over.pAbandon! < 1 && Number.isFinite(over.asa));
});

test('20,000 agents: finite and in range (C and A)', () => {
  const big = { arrivalRate: 19_500 / 180, ahtSeconds: 180, agents: 20_000, targetSeconds: 20 };
  const c = erlangC(big);
  const a = erlangA({ ...big, patienceSeconds: 180 });
  for (const [name, r] of [['C', c], ['A', a]] as const) {
    for (const [k, v] of Object.entries(r)) assert.ok(Number.isFinite(v) && v >= 0, `${name} ${k} = ${v}`);
    assert.ok(r.pWait <= 1 && r.serviceLevel <= 1 && r.occupancy <= 1, `${name} in range`);
  }
  assert.ok(c.serviceLevel > 0.9, 'a huge pool at 97.5 % load still answers most calls at once');
});

test('more agents never lower the service level or raise P(wait) (C and A)', () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 60 }), fc.double({ min: 0.05, max: 0.95, noNaN: true }), fc.integer({ min: 30, max: 600 }), fc.integer({ min: 0, max: 120 }), (n, rho, aht, t) => {
      const input = { arrivalRate: (rho * n) / aht, ahtSeconds: aht, agents: n, targetSeconds: t };
      const c1 = erlangC(input);
      const c2 = erlangC({ ...input, agents: n + 1 });
      assert.ok(c2.serviceLevel >= c1.serviceLevel - 1e-12 && c2.pWait <= c1.pWait + 1e-12);
      const a1 = erlangA({ ...input, patienceSeconds: 120 });
      const a2 = erlangA({ ...input, agents: n + 1, patienceSeconds: 120 });
      assert.ok(a2.serviceLevel >= a1.serviceLevel - 1e-9 && a2.pWait <= a1.pWait + 1e-12);
    }),
    { numRuns: 150 },
  );
});

test('staffing: the fewest agents meeting the level; one fewer does not', () => {
  const input = { arrivalRate: 360 / 1800, ahtSeconds: 180, targetSeconds: 20 };
  const { agents, result } = agentsFor(input, 0.8);
  assert.ok(result.serviceLevel >= 0.8);
  assert.ok(erlangC({ ...input, agents: agents - 1 }).serviceLevel < 0.8);
  const withPatience = agentsFor({ ...input, patienceSeconds: 120 }, 0.8);
  assert.ok(withPatience.agents <= agents, 'abandonment never needs more agents for the same SL');
});

test('staffing search (C: carried recursion; A: gallop and bisect from the C answer) finds the same N as walking up one agent at a time', () => {
  const walk = (input: { arrivalRate: number; ahtSeconds: number; targetSeconds: number; patienceSeconds?: number }, level: number): number => {
    for (let n = 1; ; n++) {
      if (input.patienceSeconds === undefined && n <= input.arrivalRate * input.ahtSeconds) continue;
      if ((input.patienceSeconds === undefined ? erlangC : erlangA)({ ...input, agents: n }).serviceLevel >= level) return n;
    }
  };
  fc.assert(
    fc.property(
      fc.double({ min: 0.2, max: 60, noNaN: true }), // offered load, Erlangs
      fc.integer({ min: 30, max: 600 }), // AHT
      fc.integer({ min: 0, max: 60 }), // target
      fc.option(fc.integer({ min: 10, max: 900 }), { nil: undefined }), // patience
      fc.double({ min: 0.5, max: 0.95, noNaN: true }),
      (load, aht, target, patience, level) => {
        const input = { arrivalRate: load / aht, ahtSeconds: aht, targetSeconds: target, ...(patience !== undefined ? { patienceSeconds: patience } : {}) };
        const found = agentsFor(input, level);
        assert.equal(found.agents, walk(input, level), JSON.stringify({ input, level }));
        assert.ok(found.result.serviceLevel >= level);
      },
    ),
    { numRuns: 120 },
  );
});

test('bad input is a clear error naming it, never NaN', () => {
  assert.throws(() => erlangC({ arrivalRate: 10 / 180, ahtSeconds: 180, agents: 10, targetSeconds: 20 }), (e: unknown) => e instanceof ErlangInputError && e.field === 'agents' && /cannot carry 10\.00 Erlangs/.test(e.message));
  assert.throws(() => erlangC({ arrivalRate: -1, ahtSeconds: 180, agents: 10, targetSeconds: 20 }), /arrivalRate: must be a positive number/);
  assert.throws(() => erlangA({ arrivalRate: 1, ahtSeconds: 0, agents: 10, targetSeconds: 20, patienceSeconds: 60 }), /ahtSeconds/);
  assert.throws(() => erlangC({ arrivalRate: 1, ahtSeconds: 1, agents: 2.5, targetSeconds: 20 }), /agents: must be a whole number/);
  assert.throws(() => agentsFor({ arrivalRate: 1, ahtSeconds: 1, targetSeconds: 20 }, 1.2), /service level must be between 0 and 1/);
});
