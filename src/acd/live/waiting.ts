/**
 * What a caller hears while waiting in a queue (issue 4 §3): music on hold (the synthesized
 * loop of src/media/moh.ts), interrupted at entry and every positionEverySeconds by the
 * caller's position and estimated wait, recomputed each time from the live service rate
 * (the engine's `position()` hook), then the line's peak-shifting message (once) and comfort
 * message (each time) from the queue's announcement slots, and, once offerCallbackAfterSeconds have passed, the
 * callback offer in the SKTickets wording ("目前來電量較大，您可以選擇按井字鍵留言，我們會在
 * [預估時間] 回撥給您"). The callback key is read throughout and handed to `onCallbackKey`.
 * stop() returns only when nothing of this is left playing or reading keys, so whoever
 * takes the call next (the bridge, the callback confirmation) owns the leg alone.
 */
import type { Call } from '../../call/call.ts';
import type { G711Codec, MediaEngine } from '../../media/engine.ts';
import { MOH_PROMPT_ID, musicOnHold } from '../../media/moh.ts';
import type { QueueConfig } from '../queue-config.ts';
import { formatWait, positionText } from '../ewt.ts';

export type WaitingCall = Pick<Call, 'signal' | 'digits' | 'play' | 'stopPlayback' | 'audio'>;

export interface WaitingHooks {
  /** Place in line (1 = next) and EWT now; undefined when the call no longer waits. */
  position(): { position: number; ewtMs: number | undefined } | undefined;
  /** The callback text's time: "大約10分鐘後" or "14:30左右". */
  callbackWhen(ewtMs: number | undefined): string;
  onCallbackKey(): void;
  /** Speaks a text (the prompt cache and the call's port). */
  say(text: string): Promise<unknown>;
  /** The first estimated wait the caller is told (once), for the CDR's EWT-accuracy figures. */
  onEwtSpoken?(ewtMs: number): void;
  /** What a slot of the caller's line says now; null: nothing (comfort and peak-shifting messages). */
  slotText?(slot: string): string | null;
  /** When the caller entered (offerCallbackAfterSeconds counts from there), wall ms. */
  readonly enteredAt: number;
  readonly now: () => number;
}

const loaded = new WeakMap<MediaEngine, Set<G711Codec>>();

async function ensureMoh(media: MediaEngine, codec: G711Codec): Promise<string> {
  const id = `${MOH_PROMPT_ID}:${codec}`;
  let codecs = loaded.get(media);
  if (!codecs) loaded.set(media, (codecs = new Set()));
  if (!codecs.has(codec)) {
    await media.loadPrompt(id, codec, musicOnHold(codec));
    codecs.add(codec);
  }
  return id;
}

/** "您目前排在第3位，預計等候時間大約2分鐘。" */
export function positionAnnouncement(position: number, ewtMs: number | undefined, mode: QueueConfig['announcements']['mode']): string {
  return `${positionText(position)}${ewtMs !== undefined ? `，預計等候時間${formatWait(ewtMs, mode)}` : ''}。`;
}

/** The offer, SKTICKETS_CALLBACK_OFFER's wording with the key and time filled in. */
export function callbackOfferText(key: string, when: string): string {
  const keyName = key === '#' ? '井字鍵' : key === '*' ? '米字鍵' : key;
  return `目前來電量較大，您可以選擇按${keyName}留言，我們會在${when}回撥給您。`;
}

export class WaitingExperience {
  private readonly ac = new AbortController();
  private readonly done: Promise<unknown>;

  constructor(
    private readonly media: MediaEngine,
    private readonly call: WaitingCall,
    private readonly config: QueueConfig,
    private readonly hooks: WaitingHooks,
  ) {
    const signal = AbortSignal.any([this.ac.signal, call.signal]);
    this.done = Promise.all([this.announce(signal).catch(() => undefined), this.keys(signal)]);
  }

  private async announce(signal: AbortSignal): Promise<void> {
    const { config, hooks, call } = this;
    const moh = await ensureMoh(this.media, call.audio.codec.name === 'PCMA' ? 'PCMA' : 'PCMU');
    let offered = false;
    let peakShiftHeard = false;
    let ewtSpoken = false;
    for (;;) {
      if (signal.aborted) return;
      const p = hooks.position();
      if (!p) return;
      let text = positionAnnouncement(p.position, p.ewtMs, config.announcements.mode);
      // The line's messages, read when spoken so a supervisor's change reaches callers already
      // waiting: peak-shifting once ("please call again later or use our website"), comfort each time.
      const { peakShiftingSlot, comfortSlot } = config.announcements;
      const peak = !peakShiftHeard && peakShiftingSlot !== undefined ? hooks.slotText?.(peakShiftingSlot) : null;
      if (peak) {
        peakShiftHeard = true;
        text += peak;
      }
      const comfort = comfortSlot !== undefined ? hooks.slotText?.(comfortSlot) : null;
      if (comfort) text += comfort;
      if (!offered && hooks.now() - hooks.enteredAt >= config.announcements.offerCallbackAfterSeconds * 1000) {
        offered = true;
        text += callbackOfferText(config.announcements.callbackKey, hooks.callbackWhen(p.ewtMs));
      }
      if (!ewtSpoken && p.ewtMs !== undefined) {
        ewtSpoken = true;
        hooks.onEwtSpoken?.(p.ewtMs);
      }
      await hooks.say(text);
      if (signal.aborted) return;
      void call.play(moh, { loop: true }).catch(() => undefined);
      // Next announcement: every positionEverySeconds, or (0) only the callback offer when it is due.
      const every = config.announcements.positionEverySeconds;
      const untilOffer = offered ? Infinity : config.announcements.offerCallbackAfterSeconds * 1000 - (hooks.now() - hooks.enteredAt);
      const waitMs = Math.min(every > 0 ? every * 1000 : Infinity, untilOffer);
      await sleep(Number.isFinite(waitMs) ? Math.max(1000, waitMs) : 2 ** 31 - 1, signal);
      if (signal.aborted) return;
      await call.stopPlayback();
    }
  }

  private async keys(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      const d = await this.call.digits.next(60_000, signal);
      if (d === this.config.announcements.callbackKey && !signal.aborted) this.hooks.onCallbackKey();
    }
  }

  /** Stops the music and the announcements and stops reading keys; resolves when both have. */
  async stop(): Promise<void> {
    this.ac.abort();
    await this.call.stopPlayback();
    await this.done;
    await this.call.stopPlayback();
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done(): void {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
