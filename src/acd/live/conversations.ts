/**
 * The queue calls that are in conversation on this node (caller bridged to an agent), so a
 * supervisor or the agent can act on one while it runs: a supervisor listens, whispers or
 * barges in (supervision.ts), and the recording is paused and resumed while the caller reads
 * out card details (C16, PCI DSS "pause and resume"). The
 * file then holds silence for that stretch (src/media/recorder.ts), the stretch is stored
 * with the recording, and the call's journey names who paused and resumed it.
 */
import { ConflictError, NotFoundError } from '../../store/errors.ts';
import type { G711Codec, LegId } from '../../media/engine.ts';

export interface Conversation {
  readonly callId: string;
  readonly queue: string;
  readonly agentId: string;
  /** The agent's media leg: the one the recording is written from. */
  readonly legId: LegId;
  readonly agentExtension: string;
  /** The caller's media leg and its codec (a supervisor's leg goes on its worker). */
  readonly callerLegId: LegId;
  readonly callerCodec: G711Codec;
  readonly callerNumber: string;
  readonly ivrPath: readonly string[];
  /** Aborted when the conversation ends. */
  readonly ended: AbortSignal;
  /** Whether the queue's policy records this conversation. */
  readonly recorded: boolean;
  /** Adds a `set` entry to the call's journey. */
  note(name: string, value: string): void;
}

export interface RecordingPauseResult {
  callId: string;
  paused: boolean;
  /** False when the recording already was in that state. */
  changed: boolean;
  /** Where in the recording (ms from its start) the change took effect. */
  atMs: number;
}

export interface PauseControl {
  pauseRecording(legId: LegId, paused: boolean): Promise<{ changed: boolean; atMs: number }>;
}

export class Conversations {
  private readonly byCall = new Map<string, Conversation>();

  constructor(private readonly media: PauseControl) {}

  /** Registers a conversation; the returned function removes it when it ends. */
  add(c: Conversation): () => void {
    this.byCall.set(c.callId, c);
    return () => {
      if (this.byCall.get(c.callId) === c) this.byCall.delete(c.callId);
    };
  }

  get(callId: string): Conversation | undefined {
    return this.byCall.get(callId);
  }

  get size(): number {
    return this.byCall.size;
  }

  /**
   * Pauses (or resumes) the call's recording. NotFoundError when the call is not in
   * conversation here; ConflictError when its queue does not record it or the recording
   * has not started yet (the first instants of the bridge) or has already ended.
   */
  async pauseRecording(callId: string, paused: boolean, actor: string): Promise<RecordingPauseResult> {
    const c = this.byCall.get(callId);
    if (!c) throw new NotFoundError('call in conversation', callId);
    if (!c.recorded) throw new ConflictError(`call ${callId} is not recorded (queue ${c.queue} records no calls)`, undefined);
    let res: { changed: boolean; atMs: number };
    try {
      res = await this.media.pauseRecording(c.legId, paused);
    } catch (err) {
      if ((err as { code?: unknown }).code === 'NOT_RECORDING' || (err as { code?: unknown }).code === 'UNKNOWN_LEG') {
        throw new ConflictError(`call ${callId} has no running recording (it is starting or has ended): try again`, undefined);
      }
      throw err;
    }
    if (res.changed) c.note(paused ? 'recording.paused' : 'recording.resumed', `${actor} at ${(res.atMs / 1000).toFixed(1)} s`);
    return { callId, paused, changed: res.changed, atMs: res.atMs };
  }
}
