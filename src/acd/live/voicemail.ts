/**
 * Leave a message (issue 4 §5) on a live call: the beep, the caller's message recorded to
 * WAV by src/ivr/voicemail-recorder.ts (under <data>/voicemails/<tenant>/<yyyy-mm-dd>/), then
 * the voicemails row — with its callback task in the same transaction when the queue (or the
 * default) says so — AWAITED before the caller hears "您的留言已收到" (PRODUCT.md: durable
 * before the caller is told). A caller who hangs up mid-message still has it kept.
 */
import type { AudioStore } from '../../storage/audio-store.ts';
import path from 'node:path';
import type { Call } from '../../call/call.ts';
import type { Clock } from '../../clock.ts';
import type { JourneyEntry } from '../../flows/interpreter.ts';
import type { Logger } from '../../log.ts';
import type { MediaEngine } from '../../media/engine.ts';
import { beep } from '../../media/tones.ts';
import { recordVoicemail } from '../../ivr/voicemail-recorder.ts';
import type { VoicemailsRepository } from '../../store/repositories/voicemails.ts';

export const VOICEMAIL_SAVED_TEXT = '您的留言已收到，我們會盡快與您聯繫。感謝您的來電，再見。';
export const VOICEMAIL_FAILED_TEXT = '抱歉，您的留言未能儲存，請稍後再撥。再見。';

export interface VoicemailDeps {
  readonly tenantId: string;
  readonly tenantSlug: string;
  readonly dataDir: string;
  readonly clock: Clock;
  readonly log: Logger;
  readonly media: MediaEngine;
  readonly voicemails: Pick<VoicemailsRepository, 'create' | 'createWithCallback'>;
  /** Takes the WAV once its row is stored (default: it stays in the data directory). */
  readonly audio?: Pick<AudioStore, 'put'>;
}

export interface VoicemailCaller {
  readonly call: Call;
  readonly callId: string;
  readonly lineId: string;
  readonly callerNumber: string;
  readonly journey: JourneyEntry[];
  readonly ivrPath: readonly string[];
  readonly digits: string;
  say(text: string): Promise<unknown>;
}

export async function leaveVoicemail(
  deps: VoicemailDeps,
  caller: VoicemailCaller,
  o: { maxSeconds: number; queue?: string; createCallback: boolean; maxAttempts?: number },
): Promise<'saved' | 'empty' | 'failed'> {
  const { clock, log } = deps;
  const startedAt = clock.wallNow();
  const day = new Date(startedAt).toISOString().slice(0, 10);
  const abs = path.join(deps.dataDir, 'voicemails', deps.tenantSlug, day, `${caller.callId}.wav`);
  const codec = caller.call.audio.codec.name === 'PCMA' ? 'PCMA' : 'PCMU';
  let result;
  try {
    result = await recordVoicemail(deps.media, caller.call, { path: abs, maxSeconds: o.maxSeconds, beep: { codec, data: beep(codec) } });
  } catch (err) {
    log.error({ callId: caller.call.sipCallId, err: String(err) }, 'voicemail could not be recorded');
    if (!caller.call.signal.aborted) await caller.say(VOICEMAIL_FAILED_TEXT);
    return 'failed';
  }
  if (result.empty) return 'empty';
  const input = {
    lineId: caller.lineId,
    queue: o.queue ?? null,
    callId: caller.callId,
    callerNumber: caller.callerNumber,
    recordedAt: new Date(startedAt),
    durationMs: result.durationMs,
    path: path.relative(deps.dataDir, abs),
    ivrPath: [...caller.ivrPath],
    digits: caller.digits,
  };
  try {
    const vm = o.createCallback
      ? (await deps.voicemails.createWithCallback(deps.tenantId, input, {
          queue: o.queue ?? null,
          callId: caller.callId,
          ivrPath: [...caller.ivrPath],
          digits: caller.digits,
          ...(o.maxAttempts !== undefined ? { maxAttempts: o.maxAttempts } : {}),
        })).voicemail
      : await deps.voicemails.create(deps.tenantId, input);
    caller.journey.push({ kind: 'set', at: clock.wallNow(), node: 'voicemail', name: 'voicemail.id', value: vm.id });
    log.info({ callId: caller.call.sipCallId, voicemail: vm.id, durationMs: result.durationMs, endedBy: result.endedBy }, 'voicemail recorded');
  } catch (err) {
    log.error({ callId: caller.call.sipCallId, err: String(err) }, 'voicemail row not stored');
    if (!caller.call.signal.aborted) await caller.say(VOICEMAIL_FAILED_TEXT);
    return 'failed';
  }
  // Stored and safe in the data directory already: moving it to the audio store does not hold up the caller.
  void deps.audio?.put(input.path).catch((err: unknown) => log.warn({ key: input.path, err: String(err) }, 'voicemail audio not moved to the store'));
  if (!caller.call.signal.aborted) await caller.say(VOICEMAIL_SAVED_TEXT);
  return 'saved';
}
