/**
 * SIPp (Debian's sip-tester) calls `surgeline serve` with its uac_pcap scenario: real
 * INVITE/ACK/BYE, Debian's g711a.pcap speech and dtmf_2833_*.pcap key presses. The server
 * must complete the call and log the digits 1 * 2 # with SIPp's Call-ID, and the call's
 * record (through the API) shows the Double-11 flow consuming them: 1 in the menu opens
 * the order-status answer, * replays it, 2 and # are not options there (it replays).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { EGOU_ORDER_STATUS } from '../../src/demo/egou-prompts.ts';
import { endedCallRecord, run, startServer, type RunningServer } from './server.ts';

const SCENARIO = path.resolve(import.meta.dirname, '../fixtures/sipp/uac_pcap_dtmf.xml');
let server: RunningServer;

before(async () => {
  // A real first start: initdb, every migration and the demo seed inside `surgeline serve`.
  server = await startServer({ sipPort: 25060, rtpPorts: '25100-25199', firstStart: true });
});
after(async () => {
  await server?.stop();
});

for (const [transport, flag, sippPort, mediaPort] of [
  ['UDP', 'u1', 25070, 25300],
  ['TCP', 't1', 25071, 25310],
] as const) {
  test(`SIPp uac_pcap over ${transport}: 0 failed calls, digits 1 * 2 # heard once each`, async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'sipp-'));
    const res = await run(
      'sipp',
      ['-sf', SCENARIO, '-s', '4008001111', `127.0.0.1:${server.sipPort}`, '-t', flag, '-m', '1', '-p', String(sippPort), '-mp', String(mediaPort), '-i', '127.0.0.1', '-trace_stat', '-trace_msg', '-nostdin', '-timeout', '40s'],
      { cwd: dir, timeoutMs: 45_000 },
    );
    const msgFile = readdirSync(dir).find((f) => f.endsWith('_messages.log'));
    const trace = msgFile ? readFileSync(path.join(dir, msgFile), 'utf8') : '';
    assert.equal(res.code, 0, `sipp exit ${res.code}\n${res.stderr}\n${trace.slice(-3000)}`);
    const callId = /Call-ID: (\S+)/.exec(trace)?.[1];
    assert.ok(callId, 'SIPp trace has the Call-ID');
    await server.waitFor((l) => l.msg === 'call ended' && l.callId === callId);
    const digits = server.logs.filter((l) => l.msg === 'digit' && l.callId === callId).map((l) => l.digit);
    assert.deepEqual(digits, ['1', '*', '2', '#']);
    const ended = server.logs.find((l) => l.msg === 'call ended' && l.callId === callId);
    assert.equal(ended?.reason, 'remote-bye');
    const rec = await endedCallRecord(server, callId);
    const journey = rec.journey as { kind: string; node: string; digit?: string; text?: string }[];
    assert.deepEqual(
      journey.filter((e) => e.kind === 'digit').map((e) => [e.node, e.digit]),
      [
        ['menu', '1'],
        ['orderStatus', '*'],
        ['orderStatus', '2'],
        ['orderStatus', '#'],
      ],
      'the Double-11 flow consumed the keys where expected',
    );
    assert.deepEqual(journey.filter((e) => e.kind === 'node').map((e) => e.node), ['welcome', 'menu', 'orderStatus'], 'welcome → menu → order status');
    assert.ok(journey.some((e) => e.kind === 'prompt' && e.node === 'orderStatus' && e.text === EGOU_ORDER_STATUS), 'the order-status answer was played');
    assert.equal(rec.outcome, 'caller-hangup');
    assert.equal(rec.dialled, '4008001111');
  });
}
