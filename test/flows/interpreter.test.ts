import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../../src/clock.ts';
import { DigitBuffer } from '../../src/call/digits.ts';
import { EGOU_MENU, EGOU_GOODBYE, EGOU_WELCOME } from '../../src/demo/egou-prompts.ts';
import { EGOU_DOUBLE11_ORDER_STATUS, egouDouble11Flow } from '../../src/flows/demo/egou.ts';
import { SKTICKETS_INCIDENT_DETAILS, skticketsIncidentFlow } from '../../src/flows/demo/sktickets.ts';
import { runFlow, type CallPort, type FlowContext, type FlowOutcome, type HttpRequest } from '../../src/flows/interpreter.ts';
import type { Flow, FlowInput } from '../../src/flows/schema.ts';
import { validateFlow } from '../../src/flows/validate.ts';
import type { Schedule } from '../../src/schedules/schedule.ts';

function valid(doc: FlowInput): Flow {
  const result = validateFlow(doc);
  assert.ok(result.ok, JSON.stringify(result));
  return result.flow;
}

interface Played {
  at: number;
  text?: string;
  audio?: string;
  bargeIn: boolean;
}

/**
 * A caller on a ManualClock: keys arrive at given clock times, prompts take `playMs` each
 * (a key stops a barge-in prompt), and the caller may hang up at `hangupAt`.
 */
class ScriptedPort implements CallPort {
  readonly played: Played[] = [];
  hungUp = false;
  private readonly controller = new AbortController();
  private readonly digits: DigitBuffer;
  private interrupt: (() => void) | undefined;

  constructor(
    private readonly clock: ManualClock,
    script: { keys?: Array<[number, string]>; playMs?: number; hangupAt?: number },
  ) {
    this.digits = new DigitBuffer(clock);
    this.playMs = script.playMs ?? 0;
    for (const [at, key] of script.keys ?? []) {
      clock.setTimeout(() => {
        this.digits.push(key);
        this.interrupt?.();
      }, at);
    }
    if (script.hangupAt !== undefined) clock.setTimeout(() => this.controller.abort(), script.hangupAt);
  }

  private readonly playMs: number;

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  play(prompt: { text?: string; audio?: string }, opts: { bargeIn: boolean }): Promise<'done' | 'interrupted' | 'stopped'> {
    const p: Played = { at: this.clock.now(), bargeIn: opts.bargeIn };
    if (prompt.text !== undefined) p.text = prompt.text;
    if (prompt.audio !== undefined) p.audio = prompt.audio;
    this.played.push(p);
    if (this.playMs === 0) return Promise.resolve('done');
    return new Promise((resolve) => {
      const timer = this.clock.setTimeout(() => {
        this.interrupt = undefined;
        resolve('done');
      }, this.playMs);
      if (opts.bargeIn) {
        this.interrupt = () => {
          this.interrupt = undefined;
          this.clock.clearTimeout(timer);
          resolve('interrupted');
        };
      }
    });
  }

  nextDigit(timeoutMs: number): Promise<string | undefined> {
    return this.digits.next(timeoutMs, this.controller.signal);
  }

  clearDigits(): void {
    this.digits.clear();
  }

  hangup(): Promise<void> {
    this.hungUp = true;
    return Promise.resolve();
  }
}

/** Runs the flow, moving the clock in 100 ms steps and letting the interpreter react in between. */
async function drive(clock: ManualClock, run: Promise<FlowOutcome>, limitMs = 600_000): Promise<FlowOutcome> {
  let done: FlowOutcome | undefined;
  void run.then((o) => {
    done = o;
  });
  for (let t = 0; t <= limitMs; t += 100) {
    await new Promise((r) => setImmediate(r));
    if (done !== undefined) return done;
    clock.advance(100);
  }
  throw new Error('the flow did not end');
}

function context(clock: ManualClock, extra: Partial<FlowContext> = {}): FlowContext {
  return { clock, caller: { number: '0912345678' }, call: { id: 'c1' }, line: { number: '0800000123' }, ...extra };
}

function texts(port: ScriptedPort): string[] {
  return port.played.map((p) => p.text ?? `<${p.audio ?? ''}>`);
}

describe('E購網 Double-11 flow', () => {
  const flow = valid(egouDouble11Flow);

  test('1 → order status (seed text), then 1 → the agents queue', async () => {
    const clock = new ManualClock();
    const port = new ScriptedPort(clock, { keys: [[1000, '1'], [3000, '1']] });
    const out = await drive(clock, runFlow(flow, port, context(clock)));
    assert.equal(out.end, 'queue');
    assert.deepEqual(out.target, { kind: 'queue', queue: 'egou-orders' });
    assert.deepEqual(texts(port), [EGOU_WELCOME, EGOU_MENU, EGOU_DOUBLE11_ORDER_STATUS]);
    const nodes = out.journey.flatMap((e) => (e.kind === 'node' ? [e.node] : []));
    assert.deepEqual(nodes, ['welcome', 'menu', 'orderStatus', 'agent']);
    const digits = out.journey.flatMap((e) => (e.kind === 'digit' ? [[e.node, e.digit, e.at - clock.wallNow() + clock.now()]] : []));
    assert.deepEqual(digits, [
      ['menu', '1', 1000],
      ['orderStatus', '1', 3000],
    ]);
    assert.deepEqual(out.journey.at(-1), { kind: 'end', at: clock.wallNow(), node: 'agent', end: 'queue' });
    assert.equal(port.hungUp, false);
  });

  test('"*" replays the menu without counting as a retry, then 0 → agent', async () => {
    const clock = new ManualClock();
    const port = new ScriptedPort(clock, { keys: [[300, '*'], [500, '*'], [700, '*'], [900, '0']] });
    const out = await drive(clock, runFlow(flow, port, context(clock)));
    assert.deepEqual(texts(port), [EGOU_WELCOME, EGOU_MENU, EGOU_MENU, EGOU_MENU, EGOU_MENU]);
    assert.equal(out.end, 'queue');
    assert.deepEqual(out.target, { kind: 'queue', queue: 'egou-orders' });
  });

  test('no input: the menu plays 1 + 2 retries, then goodbye and hang up', async () => {
    const clock = new ManualClock();
    const port = new ScriptedPort(clock, {});
    const out = await drive(clock, runFlow(flow, port, context(clock)));
    assert.deepEqual(texts(port), [EGOU_WELCOME, EGOU_MENU, EGOU_MENU, EGOU_MENU, EGOU_GOODBYE]);
    // Each attempt waits the menu's default 5 s for a key.
    assert.deepEqual(
      port.played.map((p) => p.at),
      [0, 0, 5000, 10000, 15000],
    );
    assert.equal(out.journey.filter((e) => e.kind === 'no-input').length, 3);
    assert.equal(out.end, 'hangup');
    assert.equal(port.hungUp, true);
  });

  test('an invalid key three times goes to the invalid target (goodbye)', async () => {
    const clock = new ManualClock();
    const port = new ScriptedPort(clock, { keys: [[100, '9'], [200, '8'], [300, '7']] });
    const out = await drive(clock, runFlow(flow, port, context(clock)));
    assert.deepEqual(texts(port), [EGOU_WELCOME, EGOU_MENU, EGOU_MENU, EGOU_MENU, EGOU_GOODBYE]);
    assert.equal(out.end, 'hangup');
  });

  test('a key during a barge-in prompt stops it and is read by the menu', async () => {
    const clock = new ManualClock();
    const port = new ScriptedPort(clock, { keys: [[1500, '0']], playMs: 4000 });
    const out = await drive(clock, runFlow(flow, port, context(clock)));
    const welcome = out.journey.find((e) => e.kind === 'prompt' && e.node === 'welcome');
    assert.equal(welcome?.kind === 'prompt' ? welcome.result : undefined, 'interrupted');
    // The welcome was cut at 1.5 s, so the menu prompt started then and ran to its end.
    assert.deepEqual(
      port.played.map((p) => p.at),
      [0, 1500],
    );
    assert.equal(out.end, 'queue');
  });

  test('the caller hangs up mid-menu → caller-hangup at once', async () => {
    const clock = new ManualClock();
    const port = new ScriptedPort(clock, { hangupAt: 2500 });
    const out = await drive(clock, runFlow(flow, port, context(clock)));
    assert.equal(out.end, 'caller-hangup');
    assert.equal(clock.now(), 2500);
    assert.deepEqual(out.journey.at(-1), { kind: 'end', at: clock.wallNow(), node: 'menu', end: 'caller-hangup' });
    assert.equal(port.hungUp, false);
  });

  test('the caller hangs up while a prompt plays', async () => {
    const clock = new ManualClock();
    const port = new ScriptedPort(clock, { playMs: 10_000, hangupAt: 3000 });
    const out = await drive(clock, runFlow(flow, port, context(clock)));
    assert.equal(out.end, 'caller-hangup');
    assert.equal(clock.now(), 3000);
    assert.deepEqual(texts(port), [EGOU_WELCOME]);
    const prompts = out.journey.filter((e) => e.kind === 'prompt');
    assert.deepEqual(
      prompts.map((e) => [e.node, e.result, e.at]),
      [['welcome', 'stopped', clock.wallNow() - 3000]],
      'the prompt cut short by the hang-up is in the journey, stamped when it started',
    );
  });
});

describe('SKTickets incident flow', () => {
  const flow = valid(skticketsIncidentFlow);

  test('a set banner is heard, with its version in the journey', async () => {
    const clock = new ManualClock();
    const port = new ScriptedPort(clock, { keys: [[100, '1'], [200, '0']] });
    const banner = '目前系統發生異常，我們正在全力修復中。';
    const out = await drive(clock, runFlow(flow, port, context(clock, { announcements: (slot) => (slot === 'banner' ? { text: banner, version: 3 } : null) })));
    const prompt = out.journey.find((e) => e.kind === 'prompt' && e.node === 'banner');
    assert.ok(prompt && prompt.kind === 'prompt');
    assert.equal(prompt.text, banner);
    assert.equal(prompt.slot, 'banner');
    assert.equal(prompt.version, 3);
    assert.equal(texts(port)[1], banner);
    assert.ok(texts(port).includes(SKTICKETS_INCIDENT_DETAILS));
    assert.equal(out.end, 'queue');
    assert.deepEqual(out.target, { kind: 'queue', queue: 'sktickets-incidents' });
  });

  test('an empty slot is skipped', async () => {
    const clock = new ManualClock();
    const port = new ScriptedPort(clock, { keys: [[100, '0']] });
    const out = await drive(clock, runFlow(flow, port, context(clock, { announcements: () => null })));
    assert.equal(port.played.length, 2);
    assert.ok(out.journey.some((e) => e.kind === 'node' && e.node === 'banner'));
    assert.ok(!out.journey.some((e) => e.kind === 'prompt' && e.node === 'banner'));
    assert.equal(out.end, 'queue');
  });
});

describe('http lookup', () => {
  const flow = valid({
    version: 1,
    name: 'order-lookup',
    start: 'ask',
    nodes: {
      ask: { type: 'collect', prompt: { text: '請輸入訂單編號，按井字鍵結束。' }, variable: 'orderNo', maxLength: 8, minLength: 3, next: 'lookup' },
      lookup: {
        type: 'http',
        method: 'GET',
        url: 'https://shop.example/orders/{{orderNo}}?from={{caller.number}}',
        timeoutMs: 2000,
        assign: { status: 'order.status' },
        onSuccess: 'tell',
        onError: 'sorry',
      },
      tell: { type: 'say', prompt: { text: '訂單{{orderNo}}的狀態是：{{status}}' }, next: 'bye' },
      sorry: { type: 'say', prompt: { text: '查詢暫時無法使用。' }, next: 'agent' },
      agent: { type: 'queue', queue: 'agents' },
      bye: { type: 'hangup' },
    },
  });
  const keys: Array<[number, string]> = [
    [100, '1'],
    [200, '2'],
    [300, '3'],
    [400, '#'],
  ];

  test('a successful answer sets the variable a later say speaks', async () => {
    const clock = new ManualClock();
    const port = new ScriptedPort(clock, { keys });
    const requests: HttpRequest[] = [];
    const http = (req: HttpRequest): Promise<unknown> => {
      requests.push(req);
      return Promise.resolve({ order: { status: '已出貨' } });
    };
    const out = await drive(clock, runFlow(flow, port, context(clock, { http })));
    assert.equal(requests.length, 1);
    assert.equal(requests[0]?.url, 'https://shop.example/orders/123?from=0912345678');
    assert.equal(requests[0]?.timeoutMs, 2000);
    assert.deepEqual(out.variables, { orderNo: '123', status: '已出貨' });
    assert.equal(texts(port).at(-1), '訂單123的狀態是：已出貨');
    assert.equal(out.end, 'hangup');
  });

  test('a lookup that never answers times out on the clock and takes the error branch', async () => {
    const clock = new ManualClock();
    const port = new ScriptedPort(clock, { keys });
    const out = await drive(clock, runFlow(flow, port, context(clock, { http: () => new Promise<unknown>(() => {}) })));
    assert.equal(texts(port).at(-1), '查詢暫時無法使用。');
    const http = out.journey.find((e) => e.kind === 'http');
    assert.ok(http && http.kind === 'http' && !http.ok);
    assert.equal(http.at - clock.wallNow() + clock.now(), 400 + 2000);
    assert.equal(out.end, 'queue');
    assert.deepEqual(out.variables, { orderNo: '123' });
  });

  test('the caller hanging up during a lookup ends the run at once', async () => {
    const clock = new ManualClock();
    const port = new ScriptedPort(clock, { keys, hangupAt: 1000 });
    const out = await drive(clock, runFlow(flow, port, context(clock, { http: () => new Promise<unknown>(() => {}) })));
    assert.equal(out.end, 'caller-hangup');
    assert.equal(clock.now(), 1000);
    assert.equal(out.journey.at(-1)?.kind === 'end' ? out.journey.at(-1)?.node : undefined, 'lookup');
  });

  test('an answer without the assigned path takes the error branch', async () => {
    const clock = new ManualClock();
    const port = new ScriptedPort(clock, { keys });
    const out = await drive(clock, runFlow(flow, port, context(clock, { http: () => Promise.resolve({ order: {} }) })));
    assert.equal(out.end, 'queue');
    assert.ok(!('status' in out.variables));
  });

  test('too few digits count as invalid; with no invalid target the call hangs up after retries', async () => {
    const clock = new ManualClock();
    const port = new ScriptedPort(clock, { keys: [[100, '1'], [200, '#'], [300, '2'], [400, '#'], [500, '3'], [600, '#']] });
    const out = await drive(clock, runFlow(flow, port, context(clock, { http: () => Promise.reject(new Error('unreached')) })));
    assert.equal(out.end, 'hangup');
    assert.equal(out.reason, 'invalid input');
    assert.equal(port.played.length, 3);
    assert.deepEqual(out.variables, {});
  });

  test('collect ends after the inter-digit timeout once digits have started', async () => {
    const clock = new ManualClock();
    // 4 digits then silence: the 3 s inter-digit timeout ends the entry.
    const port = new ScriptedPort(clock, { keys: [[100, '4'], [200, '3'], [300, '2'], [400, '1']] });
    const out = await drive(clock, runFlow(flow, port, context(clock, { http: () => Promise.resolve({ order: { status: 'x' } }) })));
    assert.equal(out.variables.orderNo, '4321');
    const http = out.journey.find((e) => e.kind === 'http');
    assert.equal(http && http.at - clock.wallNow() + clock.now(), 3400);
  });
  test('collect ends at maxLength without waiting for a terminator', async () => {
    const clock = new ManualClock();
    const port = new ScriptedPort(clock, { keys: [...'12345678'].map((d, i): [number, string] => [100 * (i + 1), d]) });
    const out = await drive(clock, runFlow(flow, port, context(clock, { http: () => Promise.resolve({ order: { status: 'x' } }) })));
    assert.equal(out.variables.orderNo, '12345678');
    const http = out.journey.find((e) => e.kind === 'http');
    assert.equal(http && http.at - clock.wallNow() + clock.now(), 800);
  });
});

describe('safety cap', () => {
  test('a loop through a branch on a counter that never exits ends as an error at maxSteps', async () => {
    const flow = valid({
      version: 1,
      name: 'spin',
      start: 'count',
      nodes: {
        count: { type: 'set', variables: { n: 'x{{n}}' }, next: 'check' },
        check: { type: 'branch', on: 'variable', name: 'n', cases: [{ equals: 'never', next: 'done' }], default: 'count' },
        done: { type: 'hangup' },
      },
    });
    const clock = new ManualClock();
    const port = new ScriptedPort(clock, {});
    const out = await drive(clock, runFlow(flow, port, context(clock, { maxSteps: 50 })));
    assert.equal(out.end, 'error');
    assert.equal(out.journey.filter((e) => e.kind === 'node').length, 50);
    assert.equal(out.variables.n, 'x'.repeat(25));
    assert.equal(port.hungUp, false);
  });
});

describe('schedule and terminal verbs', () => {
  const flow = valid({
    version: 1,
    name: 'hours',
    start: 'when',
    nodes: {
      when: { type: 'schedule', schedule: 'office', open: 'vip', closed: 'mail', holiday: 'out' },
      vip: { type: 'branch', on: 'caller', name: 'segment', cases: [{ equals: ['vip', 'gold'], next: 'xfer' }, { matches: '^09', next: 'agents' }], default: 'agents' },
      xfer: { type: 'transfer', to: '{{line.vipDesk}}' },
      agents: { type: 'queue', queue: 'agents', skills: ['general'], priority: 5 },
      mail: { type: 'voicemail', mailbox: 'office', prompt: { audio: 'closed.wav' } },
      out: { type: 'goto', flow: 'holiday-flow' },
    },
  });
  const office: Schedule = {
    timeZone: 'Asia/Taipei',
    weekly: { mon: [{ open: '09:00', close: '18:00' }], tue: [], wed: [{ open: '09:00', close: '18:00' }], thu: [], fri: [], sat: [], sun: [] },
    holidays: [{ date: '2026-11-11', name: 'Double 11' }],
  };

  // ManualClock's default wall start: 2026-11-11 00:00 UTC (a Wednesday, 08:00 in Taipei).
  async function at(wallStart: number, caller: Record<string, string>): Promise<{ out: FlowOutcome; port: ScriptedPort }> {
    const clock = new ManualClock(0, wallStart);
    const port = new ScriptedPort(clock, {});
    const ctx = context(clock, { schedules: (n) => (n === 'office' ? office : undefined) });
    ctx.caller = caller;
    ctx.line = { vipDesk: '+886227001234' };
    return { out: await drive(clock, runFlow(flow, port, ctx)), port };
  }

  test('open hours, VIP caller → transfer to the rendered number', async () => {
    const { out } = await at(Date.UTC(2026, 10, 16, 2, 0), { segment: 'gold' });
    assert.equal(out.end, 'transfer');
    assert.deepEqual(out.target, { kind: 'transfer', to: '+886227001234' });
  });

  test('open hours, other caller → queue with skills and priority', async () => {
    const { out } = await at(Date.UTC(2026, 10, 16, 2, 0), { segment: 'basic' });
    assert.deepEqual(out.target, { kind: 'queue', queue: 'agents', skills: ['general'], priority: 5 });
  });

  test('closed → voicemail after its audio prompt', async () => {
    const { out, port } = await at(Date.UTC(2026, 10, 16, 12, 0), {});
    assert.equal(out.end, 'voicemail');
    assert.deepEqual(out.target, { kind: 'voicemail', mailbox: 'office', maxSeconds: 120 });
    assert.deepEqual(texts(port), ['<closed.wav>']);
  });

  test('a holiday → its own target (goto)', async () => {
    const { out } = await at(Date.UTC(2026, 10, 11, 2, 0), {});
    assert.equal(out.end, 'goto');
    assert.deepEqual(out.target, { kind: 'goto', flow: 'holiday-flow' });
  });
});

test('callback node: plays its prompt, then ends with the booking target for the live ACD', async () => {
  const flow = valid({
    version: 1,
    name: 'book',
    start: 'book',
    nodes: { book: { type: 'callback', queue: 'egou-orders', prompt: { text: '我們可以在您方便的時段回電。' }, slots: 2, slotMinutes: 30 } },
  });
  const clock = new ManualClock();
  const port = new ScriptedPort(clock, {});
  const out = await drive(clock, runFlow(flow, port, context(clock)));
  assert.equal(out.end, 'callback');
  assert.deepEqual(out.target, { kind: 'callback', queue: 'egou-orders', slots: 2, slotMinutes: 30, leadMinutes: 30, timeoutSeconds: 8, retries: 2 });
  assert.deepEqual(texts(port), ['我們可以在您方便的時段回電。']);
});
