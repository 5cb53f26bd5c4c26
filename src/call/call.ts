/**
 * A call in progress: one SIP session joined to one media leg. Dialog state stays in
 * the session, media state in the engine, and what the caller pressed in a DigitBuffer;
 * this object only wires them and gives the IVR a small surface: play, read a digit,
 * hang up, and a signal that aborts when the call ends, whoever ends it.
 */
import { randomUUID } from 'node:crypto';
import type { Clock } from '../clock.ts';
import type { Logger } from '../log.ts';
import type { LegId, MediaEngine, PlaySource, ReleaseResult } from '../media/engine.ts';
import type { PlaybackResult } from '../media/engine.ts';
import type { NegotiatedAudio } from '../media/sdp-negotiate.ts';
import type { SipSession, SessionEnd } from '../sip/ua/session.ts';
import { DigitBuffer } from './digits.ts';

export interface CallInfo {
  /** Our id for the call. */
  readonly id: string;
  /** The SIP Call-ID of the caller's leg. */
  readonly sipCallId: string;
  /** Caller (From URI) and the number dialled (the routed number, else the Request-URI user part). */
  readonly from: string;
  readonly to: string;
  readonly startedAt: number;
}

export class Call implements CallInfo {
  readonly id = randomUUID();
  readonly digits: DigitBuffer;
  readonly startedAt: number;
  private released: Promise<ReleaseResult | undefined> | undefined;

  constructor(
    readonly session: SipSession,
    private readonly media: MediaEngine,
    readonly legId: LegId,
    public audio: NegotiatedAudio,
    readonly from: string,
    readonly to: string,
    clock: Clock,
    private readonly log: Logger,
    /** What the call manager's routing hook decided (e.g. tenant and line); opaque here. */
    readonly route: unknown = undefined,
  ) {
    this.digits = new DigitBuffer(clock);
    this.startedAt = clock.wallNow();
  }

  get sipCallId(): string {
    return this.session.callId;
  }

  get signal(): AbortSignal {
    return this.session.signal;
  }

  get ended(): Promise<SessionEnd> {
    return this.session.ended;
  }

  /** Play a loaded prompt (or raw G.711 / silence). Resolves 'stopped' at once if the call is over. */
  async play(source: PlaySource | string, opts: { bargeIn?: boolean; loop?: boolean } = {}): Promise<PlaybackResult> {
    if (this.signal.aborted) return 'stopped';
    const src: PlaySource = typeof source === 'string' ? { kind: 'prompt', id: source } : source;
    try {
      return await this.media.play(this.legId, { source: src, bargeIn: opts.bargeIn ?? false, loop: opts.loop ?? false });
    } catch (err) {
      if (this.signal.aborted) return 'stopped';
      throw err;
    }
  }

  stopPlayback(): Promise<void> {
    return this.media.stopPlayback(this.legId).catch(() => undefined);
  }

  /** The next key press, or undefined after `timeoutMs` of silence or when the call ends. */
  nextDigit(timeoutMs: number): Promise<string | undefined> {
    return this.digits.next(timeoutMs, this.signal);
  }

  /** End the call from our side (BYE). */
  async hangup(): Promise<void> {
    await this.session.bye();
  }

  /** Free the media leg (once). Called by the call manager when the session ends. */
  release(): Promise<ReleaseResult | undefined> {
    this.released ??= this.media.release(this.legId).catch((err: unknown) => {
      this.log.warn({ callId: this.sipCallId, err: String(err) }, 'media leg release failed');
      return undefined;
    });
    return this.released;
  }
}
