/**
 * The stand-in IVR until the flow engine lands: the E購網 welcome, then the menu, then
 * key presses — each logged with the call's SIP Call-ID — "*" repeats the menu, "1" plays
 * the seed's order-status answer, and 60 s without a key press ends the call.
 */
import type { Logger } from '../log.ts';
import type { Call } from '../call/call.ts';
import { EGOU_GOODBYE, EGOU_MENU, EGOU_ORDER_STATUS, EGOU_WELCOME } from './egou-prompts.ts';

export const WELCOME_PROMPTS = {
  'egou.welcome': EGOU_WELCOME,
  'egou.menu': EGOU_MENU,
  'egou.order-status': EGOU_ORDER_STATUS,
  'egou.goodbye': EGOU_GOODBYE,
} as const;

export interface WelcomeIvrOptions {
  /** Silence after which the call is ended. */
  readonly silenceMs?: number;
  readonly log: Logger;
  /** Every key press, for observers (the log line is always written). */
  readonly onDigit?: (call: Call, digit: string) => void;
}

export async function runWelcomeIvr(call: Call, opts: WelcomeIvrOptions): Promise<void> {
  const silenceMs = opts.silenceMs ?? 60_000;
  const log = opts.log;
  // The welcome can be skipped with a key (barge-in); the key then counts as a menu choice.
  await call.play('egou.welcome', { bargeIn: true });
  let replayMenu = true;
  while (!call.signal.aborted) {
    if (replayMenu) {
      replayMenu = false;
      // Not awaited: the caller may press while the menu is still being read.
      void call.play('egou.menu', { bargeIn: true });
    }
    const digit = await call.nextDigit(silenceMs);
    if (call.signal.aborted) return;
    if (digit === undefined) {
      log.info({ callId: call.sipCallId, call: call.id, silenceMs }, 'no key press: ending the call');
      await call.play('egou.goodbye');
      await call.hangup();
      return;
    }
    log.info({ callId: call.sipCallId, call: call.id, digit }, 'digit');
    opts.onDigit?.(call, digit);
    if (digit === '*') {
      call.digits.clear();
      replayMenu = true;
    } else if (digit === '1') {
      void call.play('egou.order-status', { bargeIn: true });
    }
  }
}
