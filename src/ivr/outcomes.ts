/**
 * What a call does once its flow has ended: the queue, voicemail and callback booking (the live ACD of
 * src/acd/live/ when the node runs one for the call's tenant, else the placeholders), the
 * B2BUA transfer through the tenant trunk (none configured: the call ends as an error
 * "no trunk"), or nothing (hang-ups are done by the flow or by the caller). The outcome
 * and target go on the call record; a transfer that fails is recorded as an error with
 * the reason in the journey.
 */
import type { Call } from '../call/call.ts';
import type { Clock } from '../clock.ts';
import type { FlowOutcome } from '../flows/interpreter.ts';
import type { Logger } from '../log.ts';
import type { MediaEngine } from '../media/engine.ts';
import type { InviteOptions } from '../sip/ua/outbound-invite.ts';
import type { SipSession } from '../sip/ua/session.ts';
import type { LiveCallRecord } from './call-record.ts';
import { LivePort } from './live-port.ts';
import { callbackUnavailable, holdInQueue, TRANSFER_FAILED_TEXT, TRANSFER_WAIT_TEXT, voicemailUnavailable } from './placeholders.ts';
import type { PromptCache } from './prompt-cache.ts';
import { transfer } from './transfer.ts';
import type { AcdDirectory, FlowCall } from '../acd/live/live-acd.ts';
import type { TrunkDialInfo } from '../store/repositories/trunks.ts';

export interface OutcomeDeps {
  readonly clock: Clock;
  readonly log: Logger;
  readonly prompts: PromptCache;
  readonly media: MediaEngine;
  readonly invite: (opts: InviteOptions) => Promise<SipSession>;
  readonly mediaAddress: string;
  readonly trunk?: string;
  /** The tenant's outbound trunk (URI, digest, caller ID); undefined: none, `trunk` is used. */
  readonly trunkOf?: (tenantId: string) => Promise<TrunkDialInfo | undefined>;
  /** How long the queue placeholder holds a caller; default 10 min. */
  readonly queueHoldMs?: number;
  /** The live ACD of a call's tenant (queues, agents, voicemail); absent or none for the tenant: placeholders. */
  readonly acd?: AcdDirectory;
  /** What a line's announcement slot says now (null: nothing): comfort and peak-shifting messages. */
  readonly slotText?: (tenantId: string, lineId: string, slot: string) => string | null;
}

export async function carryOut(
  deps: OutcomeDeps,
  call: Call,
  rec: LiveCallRecord,
  outcome: FlowOutcome,
  defaultCallerId: string,
  line: { timeZone: string } = { timeZone: 'Asia/Taipei' },
): Promise<void> {
  rec.outcome = outcome.end;
  if (outcome.target !== undefined) rec.target = outcome.target;
  const port = new LivePort(call, deps.prompts, deps.log);
  const target = outcome.target;
  const endWithError = (reason: string): void => {
    rec.outcome = 'error';
    rec.journey.push({ kind: 'end', at: deps.clock.wallNow(), end: 'error', reason });
  };
  const acd = await deps.acd?.acdFor(rec.base.tenantId);
  const flowCall = (): FlowCall => ({
    call,
    callId: rec.id,
    lineId: rec.base.lineId,
    timeZone: line.timeZone,
    callerNumber: rec.base.caller,
    journey: rec.journey,
    variables: rec.variables,
    slotText: (slot) => (rec.base.lineId !== null ? (deps.slotText?.(rec.base.tenantId, rec.base.lineId, slot) ?? null) : null),
    // What the queue and voicemail say goes into the journey like the flow's prompts.
    say: async (text, opts) => {
      const result = await port.play({ text }, { bargeIn: opts?.bargeIn ?? false });
      rec.journey.push({ kind: 'prompt', at: deps.clock.wallNow(), node: outcome.end, text, result });
      return result;
    },
  });
  switch (outcome.end) {
    case 'queue': {
      if (acd && target?.kind === 'queue') {
        const end = await acd.queue(flowCall(), target);
        if (end.end === 'no-queue') endWithError(`no queue "${target.queue}"`);
        return;
      }
      const why = await holdInQueue(call, port, deps.clock, deps.queueHoldMs ?? 600_000);
      deps.log.info({ callId: call.sipCallId, queue: target?.kind === 'queue' ? target.queue : undefined, ended: why }, 'queue placeholder: caller held');
      return;
    }
    case 'voicemail':
      if (acd && target?.kind === 'voicemail') {
        if ((await acd.voicemail(flowCall(), target)) === 'failed') endWithError('voicemail not stored');
        return;
      }
      await voicemailUnavailable(port);
      return;
    case 'callback':
      if (acd && target?.kind === 'callback') {
        const booked = await acd.callback(flowCall(), target);
        if (booked === 'no-queue') endWithError(`no queue "${target.queue}"`);
        else if (booked === 'failed') endWithError('callback not stored');
        return;
      }
      await callbackUnavailable(port);
      return;
    case 'transfer': {
      if (target?.kind !== 'transfer') return;
      // The tenant's own trunk first (issue 4 §7), the node's default trunk otherwise.
      const own = await deps.trunkOf?.(rec.base.tenantId).catch((err: unknown) => {
        deps.log.warn({ err: String(err) }, 'tenant trunk could not be read: the default trunk is used');
        return undefined;
      });
      const trunk = own ?? (deps.trunk ? { uri: deps.trunk, username: null, realm: null, ha1Md5: null, callerId: null } : undefined);
      if (!trunk) {
        endWithError('no trunk');
        await port.play({ text: TRANSFER_FAILED_TEXT }, { bargeIn: false });
        return;
      }
      void port.play({ text: TRANSFER_WAIT_TEXT }, { bargeIn: false });
      const result = await transfer({ invite: deps.invite, media: deps.media, mediaAddress: deps.mediaAddress, log: deps.log }, call, target.to, {
        trunk: trunk.uri,
        ...(trunk.ha1Md5 && trunk.username && trunk.realm ? { credentials: { username: trunk.username, realm: trunk.realm, ha1: trunk.ha1Md5 } } : {}),
        callerId: target.callerId ?? trunk.callerId ?? defaultCallerId,
        onAnswered: (sipCallId) => rec.legs.push({ role: 'transfer', sipCallId, to: target.to }),
      });
      if (!result.ok) {
        endWithError(`transfer failed: ${result.reason}`);
        if (!call.signal.aborted) await port.play({ text: TRANSFER_FAILED_TEXT }, { bargeIn: false });
      }
      return;
    }
    default:
      return;
  }
}
