/**
 * The seeds' SKTickets outage, live: SIPp keeps calling 4008002222 while a supervisor
 * switches the line's banner with the CLI — `surgeline announce 4008002222 outage`, then
 * `recovered`. Every call's record (through the API) says what its caller heard at the
 * banner node: nothing before the outage, the outage notice (with the time given as 18:00
 * spoken 晚上6點, and the address) from at most 1 s after the switch, the recovered text after the second switch.
 * Calls already past the banner when a switch lands are untouched and go on to the menu.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { E2E_ADMIN_KEY, run, startServer, type RunningServer } from './server.ts';
import { SKTICKETS_PRESETS } from '../../src/announcements/sktickets-presets.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
const SCENARIO = path.resolve(import.meta.dirname, '../fixtures/sipp/uac_listen.xml');
const SIP_PORT = 26560;
const API = `http://127.0.0.1:${SIP_PORT + 3000}`;
/** How soon after a switch every new call must hear the new text (issue 3, item 5). */
const PROPAGATION_MS = 1000;

let server: RunningServer;

before(async () => {
  server = await startServer({ sipPort: SIP_PORT, rtpPorts: '26600-26759' });
});
after(async () => {
  await server?.stop();
});

interface JourneyEntry {
  kind: string;
  at: number;
  node?: string;
  slot?: string;
  version?: number;
  text?: string;
}
interface CallJson {
  id: string;
  dialled: string;
  outcome: string | null;
  legs: { sipCallId: string }[];
  journey: JourneyEntry[];
}

async function api<T>(pathname: string): Promise<T> {
  const res = await fetch(`${API}/api/v1${pathname}`, { headers: { authorization: `Bearer ${E2E_ADMIN_KEY}` } });
  assert.equal(res.status, 200, `GET ${pathname}: ${res.status} ${await res.clone().text()}`);
  return (await res.json()) as T;
}

/** `surgeline announce …` as a supervisor runs it; returns when the CLI has exited, with the wall-clock span of the switch. */
async function announce(args: string[]): Promise<{ from: number; to: number }> {
  const from = Date.now();
  const res = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    void import('node:child_process').then(({ execFile }) => {
      execFile(
        process.execPath,
        ['--import', 'tsx', path.join(ROOT, 'src/cli/main.ts'), 'announce', '4008002222', ...args],
        { cwd: ROOT, env: { ...process.env, SURGELINE_API_URL: API, SURGELINE_API_KEY: E2E_ADMIN_KEY }, timeout: 30_000 },
        (err, stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
      );
    });
  });
  assert.equal(res.code, 0, `surgeline announce ${args.join(' ')}: ${res.stdout}${res.stderr}`);
  return { from, to: Date.now() };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

test('outage then recovered switched during a run of SIPp calls: each new caller hears the text in force, calls past the banner are untouched', { timeout: 120_000 }, async () => {
  const outageText = SKTICKETS_PRESETS.find((p) => p.name === 'outage')!.text!;
  const recoveredText = SKTICKETS_PRESETS.find((p) => p.name === 'recovered')!.text!;
  const dir = mkdtempSync(path.join(tmpdir(), 'sipp-incident-'));
  // 3 calls/s for 16 s, each caller listening 5 s: the welcome, then the banner node, then the menu.
  const sipp = run(
    'sipp',
    ['-sf', SCENARIO, '-s', '4008002222', `127.0.0.1:${SIP_PORT}`, '-r', '3', '-m', '48', '-d', '5000', '-p', '26570', '-mp', '26580', '-i', '127.0.0.1', '-nostdin', '-timeout', '60s', '-trace_stat'],
    { cwd: dir, timeoutMs: 70_000 },
  );
  await sleep(5000);
  const outage = await announce(['outage', '--time', '18:00', '--url', 'https://sktickets.example']);
  // The instant the server applied the switch (the CLI's own start-up may take seconds on a busy machine).
  const outageSetAt = (await api<{ setAt: number }>('/lines/4008002222/announcements/banner')).setAt;
  assert.ok(outageSetAt >= outage.from - 1000 && outageSetAt <= outage.to + 1000, 'the switch landed while the CLI ran');
  await sleep(5000);
  const recovered = await announce(['recovered']);
  const res = await sipp;
  assert.equal(res.code, 0, `sipp exit ${res.code}: ${res.stderr.slice(-2000)}`);

  // Every call ends (SIPp hangs up); wait for the records to carry their outcome.
  let calls: CallJson[] = [];
  for (const until = Date.now() + 15_000; Date.now() < until; await sleep(200)) {
    calls = (await api<CallJson[]>('/calls?line=4008002222&limit=500')).filter((c) => c.dialled === '4008002222');
    if (calls.length >= 48 && calls.every((c) => c.outcome !== null)) break;
  }
  assert.equal(calls.length, 48, 'one record per SIPp call');

  const slot = await api<{ version: number; preset: string | null }>('/lines/4008002222/announcements/banner');
  assert.equal(slot.preset, 'recovered', 'the slot ends on the recovered preset');
  const outageVersion = slot.version - 1;

  let silent = 0;
  let heardOutage = 0;
  let heardRecovered = 0;
  for (const call of calls) {
    const entered = call.journey.find((e) => e.kind === 'node' && e.node === 'banner');
    if (!entered) continue; // hung up during the welcome
    const heard = call.journey.filter((e) => e.kind === 'prompt' && e.node === 'banner');
    const who = `call ${call.legs[0]?.sipCallId} reached the banner at ${new Date(entered.at).toISOString()}`;
    assert.ok(heard.length <= 1, `${who}: one banner at most`);
    const prompt = heard[0];
    if (entered.at < outage.from) {
      assert.equal(prompt, undefined, `${who}, before the outage switch: nothing to hear`);
      silent++;
      const menu = call.journey.find((e) => e.kind === 'node' && e.node === 'menu');
      assert.ok(menu, `${who}: went on to the menu`);
    } else if (entered.at >= outage.to + PROPAGATION_MS && entered.at < recovered.from) {
      assert.ok(prompt, `${who}: must hear the outage notice`);
      assert.equal(prompt.slot, 'banner', `${who}: the prompt names its slot`);
      assert.equal(prompt.version, outageVersion, `${who}: the outage version`);
      assert.equal(prompt.text, outageText.replace('[時間]', '晚上6點').replace('[網址]', 'https://sktickets.example'), `${who}: the outage text with its values`);
      heardOutage++;
    } else if (entered.at >= recovered.to + PROPAGATION_MS) {
      assert.ok(prompt, `${who}: must hear the recovered message; recovered switch ${new Date(recovered.from).toISOString()}..${new Date(recovered.to).toISOString()}; journey ${JSON.stringify(call.journey)}`);
      assert.equal(prompt.version, slot.version, `${who}: the recovered version`);
      assert.equal(prompt.text, recoveredText, `${who}: the recovered text`);
      heardRecovered++;
    }
    // Calls that reached the banner during a switch (or within 1 s of it) may hear either text.
  }
  assert.ok(silent >= 3, `callers before the outage: ${silent}`);
  assert.ok(heardOutage >= 3, `callers during the outage: ${heardOutage}`);
  assert.ok(heardRecovered >= 3, `callers after recovery: ${heardRecovered}`);

  // The calls past the banner before the switch that were still on the line when it landed kept their journey: none heard the outage.
  const overlapping = calls.filter((c) => {
    const banner = c.journey.find((e) => e.kind === 'node' && e.node === 'banner');
    const last = c.journey[c.journey.length - 1];
    return banner && banner.at < outageSetAt && last && last.at > outageSetAt;
  });
  assert.ok(overlapping.length >= 1, `some calls were past the banner and still up when the outage was set (at ${outageSetAt})`);
  for (const c of overlapping) {
    assert.ok(!c.journey.some((e) => e.kind === 'prompt' && e.node === 'banner'), `call ${c.legs[0]?.sipCallId} already past the banner heard nothing new`);
  }
});
