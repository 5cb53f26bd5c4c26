/**
 * What the surge simulator (simulate.ts) takes and answers, and the checks of its input: each
 * bad value a SimInputError naming it (issue 5: "a profile with negative or missing intervals
 * … each a clear error naming the input, never NaN or a hang").
 */
import { PlanningInputError } from '../input-error.ts';
import type { QueueConfig } from '../../acd/queue-config.ts';
import { isValidTimeZone } from '../../schedules/zone.ts';

export interface SimAgent {
  readonly id: string;
  readonly skills: Readonly<Record<string, number>>;
  readonly groups?: readonly string[];
  /** On shift during these [from, to) ms of the run; default the whole run. */
  readonly shifts?: readonly { readonly from: number; readonly to: number }[];
}

/**
 * Where an arriving caller goes, by weight (the weights sum to 1): a queue (a flow's queue node),
 * or an end in the IVR — self-service (hung up after the answer), a voicemail, a callback
 * booking, a transfer out — which never reaches an agent.
 */
export type SimEntry = (
  | { readonly queue: string; readonly weight: number; readonly skills?: readonly string[]; readonly priority?: number }
  | {
      readonly ivr: 'deflected' | 'voicemail' | 'callback' | 'transfer';
      readonly weight: number;
      /** A callback booked for this queue, or a voicemail filed for it, is worked there (a voicemail with no queue stays in the inbox). */
      readonly queue?: string;
    }
) & {
  /** Seconds the caller spends in the IVR before this end (menus, FAQ answers); default 0. */
  readonly ivrSeconds?: number;
};

export interface SimInput {
  readonly queues: readonly QueueConfig[];
  readonly agents: readonly SimAgent[];
  readonly intervalMinutes: number;
  /** Calls offered in each interval (a Poisson process at that rate), unless `arrivals` is given. */
  readonly calls: readonly number[];
  /** A replay: the instants (ms from the start, ascending, before the last interval's end) callers arrive at. */
  readonly arrivals?: readonly number[] | undefined;
  readonly entries: readonly SimEntry[];
  /** Mean handle (talk) time, one for the run or one per interval of answer. */
  readonly ahtSeconds: number | readonly number[];
  /** Callers' mean patience; undefined: nobody abandons. */
  readonly patienceSeconds?: number | undefined;
  /** The service level's answer-time target. */
  readonly targetSeconds: number;
  readonly seed: number;
  /** The share of callback attempts the customer answers (default 1); the rest retry as the queue's callbacks settings say. */
  readonly callbackReach?: number | undefined;
  /** How long an agent's unanswered callback attempt rings the customer (default 30 s, the live dialer's). */
  readonly callbackDialSeconds?: number | undefined;
  /**
   * The share of callers still waiting when their queue offers a callback (its
   * announcements.offerCallbackAfterSeconds after they joined) who take it (press the
   * callbackKey): they become keep-place callbacks holding their place (default 0).
   */
  readonly callbackAcceptance?: number | undefined;
  /**
   * The wall clock of the run: the instant its time 0 is, and the line's zone. Given, callbacks
   * are worked only inside their queue's calling windows, as live (a callback booked at 00:30
   * waits for the 09:00 window); omitted, at any time.
   */
  readonly clock?: { readonly startMs: number; readonly timeZone: string } | undefined;
}

export interface SimInterval {
  readonly offered: number;
  /** Ended in the IVR: self-service (hung up after the answer) or transferred out. */
  readonly deflected: number;
  /** Messages left, in the IVR or sent there by a queue target. */
  readonly voicemails: number;
  /** Callbacks to work: booked in the IVR, a voicemail filed for a queue that calls back, or a queue target's callback. */
  readonly callbacksCreated: number;
  /** Callbacks whose customer an agent reached in this interval (worked in their queue, in turn with its callers, as keep-place callbacks are live). */
  readonly callbacksCompleted: number;
  /** Callbacks given up in this interval: the customer did not answer the queue's last attempt. */
  readonly callbacksFailed: number;
  /** Callbacks not yet done at the end of the interval: waiting for an agent, or for their next attempt. */
  readonly callbackBacklog: number;
  readonly queued: number;
  readonly answered: number;
  readonly abandoned: number;
  /** Left the queue without an agent and without abandoning: a queue target (max wait, full: voicemail, callback, another flow), or the callback offer taken. */
  readonly targeted: number;
  readonly answeredWithinTarget: number;
  /** Answered within target / queued (abandoned and targeted count against it; IVR ends do not count). */
  readonly serviceLevel: number | null;
  readonly asaSeconds: number | null;
  readonly occupancy: number | null;
  readonly peakWaiting: number;
  readonly waitingAtEnd: number;
}

export interface SimResult {
  readonly intervals: SimInterval[];
  /** Every staffing-tier level change: when (ms from the start), which queue, to which level. */
  readonly tierChanges: { at: number; queue: string; level: number; name: string | null }[];
  readonly totals: Omit<SimInterval, 'peakWaiting' | 'waitingAtEnd'> & { peakWaiting: number; events: number };
}

export class SimInputError extends PlanningInputError {
  override readonly name = 'SimInputError';
}

export function checkSimInput(input: SimInput): void {
  const { intervalMinutes, calls, entries } = input;
  if (!(intervalMinutes > 0 && 1440 % intervalMinutes === 0)) throw new SimInputError('intervalMinutes', `must divide a day, not ${String(intervalMinutes)}`);
  if (calls.length === 0) throw new SimInputError('profile', 'no intervals');
  calls.forEach((c, i) => {
    if (!(Number.isFinite(c) && c >= 0)) throw new SimInputError(`profile[${i}]`, `calls must be ≥ 0, not ${String(c)}`);
  });
  if (entries.length === 0) throw new SimInputError('entries', 'at least one queue to enter');
  const sum = entries.reduce((s, e) => s + e.weight, 0);
  if (entries.some((e) => !(e.weight >= 0)) || Math.abs(sum - 1) > 1e-6) throw new SimInputError('entries', `the weights must be ≥ 0 and sum to 1, not ${sum}`);
  const names = new Set(input.queues.map((q) => q.name));
  entries.forEach((e, i) => {
    if (e.queue !== undefined && !names.has(e.queue)) throw new SimInputError(`entries[${i}].queue`, `no queue ${e.queue}`);
  });
  const aht = typeof input.ahtSeconds === 'number' ? [input.ahtSeconds] : input.ahtSeconds;
  if (aht.length === 0 || aht.some((a) => !(a > 0))) throw new SimInputError('ahtSeconds', 'must be > 0');
  if (input.patienceSeconds !== undefined && !(input.patienceSeconds > 0)) throw new SimInputError('patienceSeconds', 'must be > 0');
  entries.forEach((e, i) => {
    if ('ivr' in e && e.ivr === 'callback' && e.queue === undefined) throw new SimInputError(`entries[${i}].queue`, 'a callback booking needs the queue that works it');
    if (e.ivrSeconds !== undefined && !(Number.isFinite(e.ivrSeconds) && e.ivrSeconds >= 0)) throw new SimInputError(`entries[${i}].ivrSeconds`, `must be ≥ 0, not ${String(e.ivrSeconds)}`);
  });
  if (input.callbackReach !== undefined && !(input.callbackReach >= 0 && input.callbackReach <= 1)) throw new SimInputError('callbackReach', `a share between 0 and 1, not ${String(input.callbackReach)}`);
  if (input.callbackDialSeconds !== undefined && !(input.callbackDialSeconds > 0)) throw new SimInputError('callbackDialSeconds', 'must be > 0');
  if (input.callbackAcceptance !== undefined && !(input.callbackAcceptance >= 0 && input.callbackAcceptance <= 1)) throw new SimInputError('callbackAcceptance', `a share between 0 and 1, not ${String(input.callbackAcceptance)}`);
  if (input.clock !== undefined && !(Number.isFinite(input.clock.startMs) && isValidTimeZone(input.clock.timeZone))) throw new SimInputError('clock', 'a start instant and an IANA time zone');
  const end = calls.length * intervalMinutes * 60_000;
  input.arrivals?.forEach((t, i, all) => {
    if (!(Number.isFinite(t) && t >= 0 && t < end)) throw new SimInputError(`arrivals[${i}]`, `must be within the run's ${calls.length} intervals (0 ≤ t < ${end} ms), not ${String(t)}`);
    if (i > 0 && t < all[i - 1]!) throw new SimInputError(`arrivals[${i}]`, 'arrivals must be in ascending order');
  });
}
