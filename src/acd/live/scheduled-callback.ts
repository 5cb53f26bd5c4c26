/**
 * A callback slot the caller picks (issue 4 §4), on a live call, for the flow's `callback` node:
 * the next open slots of the queue's calling windows are read out in the line's time zone
 * ("明天上午10點到上午11點，請按2"), one key each (a key cuts the list short); the chosen slot is stored as a scheduled
 * callback (due at its start, with the number, line, IVR path and digits) and only AFTER the
 * store has committed it does the caller hear the confirmation (PRODUCT.md: durable before the
 * caller is told). No key after the retries, or a hang-up, books nothing.
 */
import type { Call } from '../../call/call.ts';
import type { Clock } from '../../clock.ts';
import type { FlowTarget } from '../../flows/interpreter.ts';
import type { Logger } from '../../log.ts';
import type { CallbacksRepository } from '../../store/repositories/callbacks.ts';
import { callbackSlots, slotText, type CallbackSlot } from '../calling-window.ts';
import type { QueueConfig } from '../queue-config.ts';
import type { QueueCaller } from './queue-engine.ts';

export const NO_SLOT_TEXT = '抱歉，目前沒有可預約的回撥時段，請於服務時間內再撥。再見。';
export const BOOKING_FAILED_TEXT = '抱歉，您的預約未能完成，請稍後再撥。再見。';
export const NO_CHOICE_TEXT = '您沒有選擇回撥時段，感謝您的來電，再見。';
const INVALID_TEXT = '您的輸入有誤。';

export type CallbackTarget = Extract<FlowTarget, { kind: 'callback' }>;
export type BookingResult = 'booked' | 'no-slot' | 'no-choice' | 'failed' | 'hangup';

export interface BookingDeps {
  readonly tenantId: string;
  readonly clock: Clock;
  readonly log: Logger;
  readonly callbacks: Pick<CallbacksRepository, 'create'>;
}

/** The queue's caller, of whose call only the keys, the hang-up and the Call-ID are used here. */
export type BookingCaller = Omit<QueueCaller, 'call' | 'say'> & {
  readonly call: Pick<Call, 'digits' | 'signal' | 'sipCallId'>;
  /** bargeIn: a key ends the text and stays in the call's buffer to be read. */
  say(text: string, opts?: { bargeIn?: boolean }): Promise<unknown>;
};

/** "請選擇回撥時段：今天下午5點到晚上6點，請按1；…。" */
export function slotMenuText(slots: readonly CallbackSlot[], now: number, timeZone: string): string {
  return `請選擇回撥時段：${slots.map((s, i) => `${slotText(s, now, timeZone)}，請按${i + 1}`).join('；')}。`;
}

export function bookedText(slot: CallbackSlot, now: number, timeZone: string): string {
  return `已為您預約回撥，我們將在${slotText(slot, now, timeZone)}之間回撥給您。感謝您的來電，再見。`;
}

export async function bookScheduledCallback(deps: BookingDeps, caller: BookingCaller, target: CallbackTarget, config: QueueConfig): Promise<BookingResult> {
  const { clock, log } = deps;
  const { signal } = caller.call;
  const now = clock.wallNow();
  const slots = callbackSlots(config.callbacks.windows, caller.timeZone, now, { count: target.slots, minutes: target.slotMinutes, leadMinutes: target.leadMinutes });
  if (slots.length === 0) {
    await caller.say(NO_SLOT_TEXT);
    return 'no-slot';
  }
  const menu = slotMenuText(slots, now, caller.timeZone);
  let chosen: CallbackSlot | undefined;
  let key = '';
  for (let attempt = 0; attempt <= target.retries && !chosen; attempt++) {
    if (signal.aborted) return 'hangup';
    await caller.say(menu, { bargeIn: true }); // a caller who knows his slot need not hear them all
    const d = await caller.call.digits.next(target.timeoutSeconds * 1000, signal);
    if (signal.aborted) return 'hangup';
    if (d === undefined) {
      caller.journey.push({ kind: 'no-input', at: clock.wallNow(), node: 'callback' });
      continue;
    }
    caller.journey.push({ kind: 'digit', at: clock.wallNow(), node: 'callback', digit: d });
    const i = Number(d) - 1;
    if (/^[1-9]$/.test(d) && i < slots.length) {
      chosen = slots[i];
      key = d;
    } else if (attempt < target.retries) await caller.say(INVALID_TEXT);
  }
  if (!chosen) {
    await caller.say(NO_CHOICE_TEXT);
    return 'no-choice';
  }
  try {
    const cb = await deps.callbacks.create(deps.tenantId, {
      lineId: caller.lineId,
      queue: config.name,
      callerNumber: caller.callerNumber,
      kind: 'scheduled',
      requestedAt: new Date(clock.wallNow()),
      dueAt: new Date(chosen.start),
      windowStart: new Date(chosen.start),
      windowEnd: new Date(chosen.end),
      nextAttemptAt: new Date(chosen.start),
      maxAttempts: config.callbacks.maxAttempts,
      ivrPath: [...caller.ivrPath],
      digits: (caller.digits + key).slice(0, 256),
      callId: caller.callId,
    });
    caller.journey.push({ kind: 'set', at: clock.wallNow(), node: 'callback', name: 'callback.id', value: cb.id });
    log.info({ callId: caller.call.sipCallId, callback: cb.id, queue: config.name, dueAt: new Date(chosen.start).toISOString() }, 'scheduled callback recorded');
  } catch (err) {
    log.error({ callId: caller.call.sipCallId, err: String(err) }, 'scheduled callback could not be recorded');
    caller.journey.push({ kind: 'set', at: clock.wallNow(), node: 'callback', name: 'callback.failed', value: String(err).slice(0, 200) });
    if (!signal.aborted) await caller.say(BOOKING_FAILED_TEXT);
    return 'failed';
  }
  if (!signal.aborted) await caller.say(bookedText(chosen, now, caller.timeZone));
  return 'booked';
}
