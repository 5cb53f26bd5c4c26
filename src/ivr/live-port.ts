/**
 * The interpreter's CallPort over a live call: prompts are spoken through the prompt
 * cache (TTS once per text, then played from the media engine's memory), barge-in stops a
 * prompt on a key, and every key the flow consumes is logged as
 * {"msg":"digit","callId":<SIP Call-ID>,"digit":…} — operators grep calls by Call-ID, and
 * the end-to-end tests read these lines.
 */
import type { Call } from '../call/call.ts';
import type { CallPort } from '../flows/interpreter.ts';
import type { Logger } from '../log.ts';
import { voiceOf, type PromptCache } from './prompt-cache.ts';

export type PortCall = Pick<Call, 'id' | 'sipCallId' | 'signal' | 'digits' | 'play' | 'stopPlayback' | 'nextDigit' | 'hangup'>;

export class LivePort implements CallPort {
  /**
   * CallPort.signal means "the caller hung up": the session's signal also aborts on our
   * own BYE, which must not turn the flow's hangup into a caller hang-up.
   */
  readonly signal: AbortSignal;
  private readonly callerGone = new AbortController();
  private hangingUp = false;

  constructor(
    private readonly call: PortCall,
    private readonly prompts: PromptCache,
    private readonly log: Logger,
  ) {
    this.signal = this.callerGone.signal;
    const follow = (): void => {
      if (!this.hangingUp) this.callerGone.abort(call.signal.reason);
    };
    if (call.signal.aborted) follow();
    else call.signal.addEventListener('abort', follow, { once: true });
  }

  async play(prompt: { text?: string; audio?: string; voice?: string }, opts: { bargeIn: boolean }): Promise<'done' | 'interrupted' | 'stopped'> {
    const call = this.call;
    if (call.signal.aborted) return 'stopped';
    // A key typed ahead answers this prompt before it starts (the key stays readable).
    if (opts.bargeIn && call.digits.pending > 0) return 'interrupted';
    let id: string;
    if (prompt.text !== undefined) {
      try {
        id = await this.prompts.ensure(prompt.text, voiceOf(prompt.voice));
      } catch (err) {
        // The caller hears nothing for this prompt rather than losing the call.
        this.log.error({ callId: call.sipCallId, err: String(err), text: prompt.text.slice(0, 60) }, 'prompt could not be rendered: skipped');
        return 'done';
      }
    } else if (prompt.audio !== undefined) {
      id = prompt.audio;
    } else return 'done';
    if (call.signal.aborted) return 'stopped';
    if (opts.bargeIn && call.digits.pending > 0) return 'interrupted';
    const playing = call.play(id, { bargeIn: opts.bargeIn });
    // A key that landed while the render finished or the play started: stop at once.
    if (opts.bargeIn && call.digits.pending > 0) {
      await call.stopPlayback();
      await playing.catch(() => undefined);
      return 'interrupted';
    }
    try {
      const result = await playing;
      return result === 'done' || result === 'interrupted' ? result : 'stopped';
    } catch (err) {
      if (call.signal.aborted) return 'stopped';
      this.log.warn({ callId: call.sipCallId, err: String(err), prompt: id }, 'prompt could not be played: skipped');
      return 'done';
    }
  }

  async nextDigit(timeoutMs: number): Promise<string | undefined> {
    const digit = await this.call.nextDigit(timeoutMs);
    if (digit !== undefined) {
      this.log.info({ callId: this.call.sipCallId, call: this.call.id, digit }, 'digit');
    }
    return digit;
  }

  clearDigits(): void {
    this.call.digits.clear();
  }

  hangup(): Promise<void> {
    if (!this.call.signal.aborted) this.hangingUp = true;
    return this.call.hangup();
  }
}
