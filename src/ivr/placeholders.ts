/**
 * What a call hears at the queue and voicemail outcomes when the node runs no live ACD for
 * the call's tenant (src/acd/live/ handles them otherwise; see outcomes.ts): the queue tells
 * the caller they are being connected and holds the line (silence) until they hang up or 10
 * minutes pass; voicemail says it is not available and hangs up. Honest fallbacks, recorded
 * as such.
 */
import type { Clock } from '../clock.ts';
import type { CallPort } from '../flows/interpreter.ts';
import type { Call } from '../call/call.ts';

export const QUEUE_TEXT = '正在為您轉接客服人員，請稍候。';
export const VOICEMAIL_UNAVAILABLE_TEXT = '抱歉，語音留言功能尚未開放，請稍後再撥。感謝您的來電，再見。';
export const TRANSFER_WAIT_TEXT = '正在為您轉接，請稍候。';
export const TRANSFER_FAILED_TEXT = '抱歉，目前無法為您轉接，請稍後再撥。再見。';

/** Holds the caller after the queue message; resolves 'caller-hangup' or 'timeout' (then hung up). */
export async function holdInQueue(call: Pick<Call, 'play' | 'stopPlayback' | 'hangup' | 'signal'>, port: CallPort, clock: Clock, maxMs: number): Promise<'caller-hangup' | 'timeout'> {
  await port.play({ text: QUEUE_TEXT }, { bargeIn: false });
  if (call.signal.aborted) return 'caller-hangup';
  let timer: ReturnType<Clock['setTimeout']> | undefined;
  const timedOut = new Promise<'timeout'>((resolve) => {
    timer = clock.setTimeout(() => resolve('timeout'), maxMs);
  });
  const hungUp = new Promise<'caller-hangup'>((resolve) => {
    if (call.signal.aborted) resolve('caller-hangup');
    call.signal.addEventListener('abort', () => resolve('caller-hangup'), { once: true });
  });
  // Silence in a loop keeps RTP flowing (NAT bindings, the carrier's media timers).
  void call.play({ kind: 'silence', ms: 1000 }, { loop: true }).catch(() => undefined);
  const why = await Promise.race([timedOut, hungUp]);
  clock.clearTimeout(timer);
  if (why === 'timeout') {
    await call.stopPlayback();
    await call.hangup();
  }
  return why;
}

export async function voicemailUnavailable(port: CallPort): Promise<void> {
  await port.play({ text: VOICEMAIL_UNAVAILABLE_TEXT }, { bargeIn: false });
  if (!port.signal.aborted) await port.hangup();
}

export const CALLBACK_UNAVAILABLE_TEXT = '抱歉，目前無法為您預約回撥，請稍後再撥。再見。';

/** A callback node on a node without the live ACD for the tenant: say so and hang up. */
export async function callbackUnavailable(port: CallPort): Promise<void> {
  await port.play({ text: CALLBACK_UNAVAILABLE_TEXT }, { bargeIn: false });
  if (!port.signal.aborted) await port.hangup();
}
