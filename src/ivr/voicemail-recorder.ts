/**
 * Leave a message: record what the caller says to a WAV file after a beep (issue 4 §5).
 *
 * The caller's leg plays the beep (when given; G.711 in the leg's codec: `beep(codec)`
 * from src/media/tones.ts), then the leg records what the caller sends ('mono': the caller's
 * own G.711, what the far end sends us) until the first of:
 *   '#' (the finish key, configurable) — endedBy 'key';
 *   maxSeconds of recording          — endedBy 'max';
 *   the caller hanging up             — endedBy 'hangup' (the file keeps what was said:
 *                                        the message is not lost because the caller did
 *                                        not press '#').
 * Keys pressed before the beep are dropped so a '#' typed ahead does not end an empty
 * message; other keys during the message are ignored. The file is a complete WAV (the
 * media worker patches the header when the recording stops); the returned duration is the
 * worker's count of recorded audio. Saving the message's row (durable before the caller is
 * told so) is the queue runtime's job, with the path returned here.
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { Call } from '../call/call.ts';
import type { G711Codec, LegId, MediaEngine } from '../media/engine.ts';

export type VoicemailCall = Pick<Call, 'legId' | 'signal' | 'digits' | 'nextDigit' | 'play' | 'release'>;

export interface VoicemailOptions {
  /** Where the WAV goes (its directory is created). */
  readonly path: string;
  readonly maxSeconds: number;
  /** The beep, G.711 in `codec`; none: recording starts at once. */
  readonly beep?: { readonly codec: G711Codec; readonly data: Uint8Array };
  /** The key that ends the message; default '#'. */
  readonly finishKey?: string;
}

export interface VoicemailResult {
  readonly path: string;
  readonly durationMs: number;
  readonly endedBy: 'key' | 'max' | 'hangup';
  /** True when the caller hung up before the beep ended: no file was written. */
  readonly empty?: boolean;
}

/** Records the caller's message; see the file header. Throws only when the recording cannot start. */
export async function recordVoicemail(media: MediaEngine, call: VoicemailCall, opts: VoicemailOptions): Promise<VoicemailResult> {
  const finishKey = opts.finishKey ?? '#';
  const legId: LegId = call.legId;
  await mkdir(path.dirname(opts.path), { recursive: true });
  if (opts.beep && !call.signal.aborted) {
    await call.play({ kind: 'g711', codec: opts.beep.codec, data: opts.beep.data }, { bargeIn: false });
  }
  call.digits.clear();
  if (call.signal.aborted) {
    // Gone before the beep ended: nothing to keep, and the leg may be gone already.
    return { path: opts.path, durationMs: 0, endedBy: 'hangup', empty: true };
  }
  try {
    await media.record(legId, { path: opts.path, mode: 'mono' });
  } catch (err) {
    if (call.signal.aborted) return { path: opts.path, durationMs: 0, endedBy: 'hangup', empty: true };
    throw err;
  }
  const deadline = performance.now() + opts.maxSeconds * 1000;
  let endedBy: VoicemailResult['endedBy'] = 'max';
  for (;;) {
    const left = deadline - performance.now();
    if (left <= 0) break;
    const digit = await call.nextDigit(left);
    if (call.signal.aborted) {
      endedBy = 'hangup';
      break;
    }
    if (digit === finishKey) {
      endedBy = 'key';
      break;
    }
    // undefined: maxSeconds reached (the loop checks); any other key: ignored.
  }
  // After a hang-up the call manager may have released the leg already: releasing finalised
  // the file, and the release result (memoised by the call) says how long it is.
  const stopped = await media.stopRecording(legId).catch(() => undefined);
  const result = stopped ?? (await call.release())?.recording;
  return { path: opts.path, durationMs: result?.durationMs ?? 0, endedBy };
}
