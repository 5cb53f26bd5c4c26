/**
 * Is the agent's phone still there? An in-dialog OPTIONS every `everyMs` while the agent is in
 * a call (RFC 3261 §11: OPTIONS may be sent inside a dialog; RFC 5057 §5.1: a 481 means the
 * peer has no such dialog — the phone rebooted — and a timeout or 408 that the usage is gone).
 * Any other final response (200, 405, 501 …) is a phone that is alive. One probe at a time.
 *
 * Media silence alone cannot tell (SIPp and some phones send no RTP while nobody speaks:
 * SURGELINE_AGENT_RTP_TIMEOUT stays opt-in); a dead phone cannot answer a request.
 */
import type { SipResponse } from '../sip/message.ts';

export interface ProbedDialog {
  readonly isEnded: boolean;
  request(method: 'OPTIONS'): Promise<SipResponse>;
}

/** Starts probing; `onGone` is called at most once. Returns the function that stops it. */
export function probeDialog(dialog: ProbedDialog, opts: { everyMs: number; onGone: (why: string) => void }): () => void {
  let stopped = false;
  let inFlight = false;
  const gone = (why: string): void => {
    if (stopped || dialog.isEnded) return;
    stop();
    opts.onGone(why);
  };
  const timer = setInterval(() => {
    if (stopped || inFlight || dialog.isEnded) return;
    inFlight = true;
    dialog
      .request('OPTIONS')
      .then(
        (res) => {
          if (res.status === 481 || res.status === 408) gone(`${res.status} ${res.reason}`);
        },
        (err: unknown) => gone(err instanceof Error ? err.message : String(err)),
      )
      .finally(() => (inFlight = false));
  }, opts.everyMs);
  timer.unref();
  function stop(): void {
    stopped = true;
    clearInterval(timer);
  }
  return stop;
}
