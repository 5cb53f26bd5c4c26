/**
 * Supervisor listen, whisper and barge (C11) on a queue call in conversation: the supervisor's
 * phone (any registered extension) is rung with the call's X-Surgeline headers plus
 * X-Surgeline-Supervise: <mode>; once it answers, its media leg (on the caller's worker)
 * hears caller and agent mixed. Whisper adds the supervisor to what the agent hears (coaching
 * the caller cannot hear); barge adds the supervisor to what the caller hears too. The mode
 * can be changed while connected. The supervisor hanging up leaves the conversation as it
 * was; the conversation ending hangs the supervisor up. One supervisor per call.
 */
import type { AgentDialer } from '../../agents/dialer.ts';
import type { Logger } from '../../log.ts';
import type { LegId, MediaEngine } from '../../media/engine.ts';
import type { SipSession } from '../../sip/ua/session.ts';
import { ConflictError, NotFoundError } from '../../store/errors.ts';
import type { Conversation, Conversations } from './conversations.ts';

export const SUPERVISE_MODES = ['listen', 'whisper', 'barge'] as const;
export type SuperviseMode = (typeof SUPERVISE_MODES)[number];

export interface SupervisorView {
  callId: string;
  extension: string;
  mode: SuperviseMode;
  /** Epoch ms the supervisor's phone answered. */
  since: number;
}

interface Supervisor {
  readonly extension: string;
  readonly legId: LegId;
  readonly session: SipSession;
  mode: SuperviseMode;
  readonly since: number;
}

export interface SupervisionOptions {
  readonly media: Pick<MediaEngine, 'mix' | 'release'>;
  readonly dialer: Pick<AgentDialer, 'ring'>;
  readonly conversations: Conversations;
  readonly log: Logger;
  readonly now: () => number;
  /** How long the supervisor's phone rings before we give up (default 20 s). */
  readonly ringTimeoutMs?: number;
}

export class Supervision {
  private readonly byCall = new Map<string, Supervisor>();
  private readonly joining = new Set<string>();

  constructor(private readonly opts: SupervisionOptions) {}

  get(callId: string): SupervisorView | undefined {
    const s = this.byCall.get(callId);
    return s && { callId, extension: s.extension, mode: s.mode, since: s.since };
  }

  /**
   * Joins `extension` to the call in `mode`, or changes the mode of the supervisor already on
   * it. NotFoundError: the call is not in conversation here. ConflictError: another supervisor
   * is on it or joining, the extension is the call's agent, or the phone did not answer.
   */
  async supervise(callId: string, extension: string, mode: SuperviseMode, actor: string): Promise<SupervisorView> {
    const c = this.conversation(callId);
    const current = this.byCall.get(callId);
    if (current) {
      if (current.extension !== extension) throw new ConflictError(`call ${callId} is already supervised by ${current.extension}`, undefined);
      if (current.mode !== mode) {
        await this.applyMode(c, current, mode);
        c.note('supervisor.mode', `${extension} ${mode} by ${actor}`);
      }
      return this.get(callId)!;
    }
    if (this.joining.has(callId)) throw new ConflictError(`a supervisor is already being rung for call ${callId}`, undefined);
    if (extension === c.agentExtension) throw new ConflictError(`${extension} is the agent on call ${callId}`, undefined);
    this.joining.add(callId);
    try {
      const res = await this.opts.dialer.ring({
        extension,
        callerLeg: c.callerLegId,
        callerCodec: c.callerCodec,
        callId,
        caller: c.callerNumber,
        ivrPath: c.ivrPath,
        queue: c.queue,
        ringTimeoutMs: this.opts.ringTimeoutMs ?? 20_000,
        signal: c.ended,
        headers: [['X-Surgeline-Supervise', mode]],
      });
      if (res.kind !== 'answered') {
        if (c.ended.aborted) throw new NotFoundError('call in conversation', callId);
        throw new ConflictError(`supervisor ${extension} did not take the call: ${res.kind}${'reason' in res ? ` (${res.reason})` : ''}`, undefined);
      }
      const sup: Supervisor = { extension, legId: res.legId, session: res.session, mode, since: this.opts.now() };
      if (c.ended.aborted || res.session.isEnded) {
        await this.hangUp(sup);
        throw new NotFoundError('call in conversation', callId);
      }
      this.byCall.set(callId, sup);
      try {
        await this.applyMode(c, sup, mode);
      } catch (err) {
        this.byCall.delete(callId);
        await this.hangUp(sup);
        throw err;
      }
      c.note('supervisor.joined', `${extension} ${mode} by ${actor}`);
      this.opts.log.info({ callId, supervisor: extension, mode }, 'supervisor joined');
      const end = (): void => void this.leave(callId, sup, c);
      c.ended.addEventListener('abort', end, { once: true });
      void sup.session.ended.then(end);
      return this.get(callId)!;
    } finally {
      this.joining.delete(callId);
    }
  }

  /** Hangs the supervisor up. NotFoundError when the call has none. */
  async stop(callId: string): Promise<void> {
    const sup = this.byCall.get(callId);
    if (!sup) throw new NotFoundError('supervisor on call', callId);
    await sup.session.bye().catch(() => undefined);
    const c = this.opts.conversations.get(callId);
    await this.leave(callId, sup, c);
  }

  private conversation(callId: string): Conversation {
    const c = this.opts.conversations.get(callId);
    if (!c) throw new NotFoundError('call in conversation', callId);
    return c;
  }

  /** Who hears the supervisor: nobody (listen), the agent (whisper), both (barge). */
  private async applyMode(c: Conversation, sup: Supervisor, mode: SuperviseMode): Promise<void> {
    const { media } = this.opts;
    await media.mix(sup.legId, [c.callerLegId, c.legId]);
    await media.mix(c.legId, mode === 'listen' ? [] : [sup.legId]);
    await media.mix(c.callerLegId, mode === 'barge' ? [sup.legId] : []);
    sup.mode = mode;
  }

  /** Once per supervisor: BYE if still up, leg released (which takes it out of every mix). */
  private async leave(callId: string, sup: Supervisor, c: Conversation | undefined): Promise<void> {
    if (this.byCall.get(callId) !== sup) return;
    this.byCall.delete(callId);
    if (c && !c.ended.aborted) c.note('supervisor.left', sup.extension);
    await this.hangUp(sup);
    this.opts.log.info({ callId, supervisor: sup.extension }, 'supervisor left');
  }

  private async hangUp(sup: Supervisor): Promise<void> {
    await sup.session.bye().catch(() => undefined);
    await this.opts.media.release(sup.legId).catch(() => undefined);
  }
}
