/**
 * The surge simulator's core (C23; issue 5 §4): a discrete-event simulation of callers arriving
 * by a profile (a Poisson process, its rate constant within each interval), entering queues,
 * routed to agents by the live system's own incremental router (src/acd/route-index.ts, the
 * same decisions as route()), talking for an exponential handle time, wrapping up for the
 * queue's wrap-up seconds, or abandoning after an exponential patience. Queue overflow and
 * max-wait/max-size targets apply exactly as live. Time is simulated milliseconds from the
 * run's start; nothing reads a clock. Same input and seed, same result.
 *
 * The queues' staffing tiers are live too: every 10 simulated seconds each queue's waiting
 * count and longest wait go through the same evaluateTiers (hysteresis) as the live node,
 * and a level change hands the router the groups it adds (agents of a standby group then
 * take calls), as src/acd/live/tier-watch.ts does.
 *
 * Statistics are per interval of arrival (offered, answered, abandoned, answered within the
 * target, ASA, targets), plus occupancy (busy agent-time over staffed agent-time of the
 * interval) and waiting callers (peak during, and at the end of, each interval).
 */
import { RouteIndex } from '../../acd/route-index.ts';
import type { AgentSnapshot, RoutingDecision, WaitingCall } from '../../acd/types.ts';
import { TimerHeap } from '../../acd/timer-heap.ts';
import { evaluateTiers, tierGroups, type TierState } from '../../acd/tiers.ts';
import { Rng } from './rng.ts';
import { WindowClock } from './window-clock.ts';
import { checkSimInput, SimInputError, type SimInput, type SimInterval, type SimResult } from './sim-input.ts';

export { SimInputError } from './sim-input.ts';
export type { SimAgent, SimEntry, SimInput, SimInterval, SimResult } from './sim-input.ts';

/** How often the tiers are re-evaluated (the live node does it every second; 10 s keeps a day cheap). */
const TIER_EVERY_MS = 10_000;

type Ev =
  | { k: 'arrive' }
  | { k: 'enter'; entry: number; interval: number; patience: number }
  | { k: 'retry'; call: CallRec }
  | { k: 'offer'; call: string }
  | { k: 'abandon'; call: string }
  | { k: 'talked'; agent: number; queue: string }
  | { k: 'free'; agent: number }
  | { k: 'tiers' }
  | { k: 'on'; agent: number }
  | { k: 'off'; agent: number };

interface CallRec {
  readonly w: WaitingCall;
  /** A callback being worked, not a caller on the line: no patience, not in the callers' figures. */
  readonly callback?: boolean;
  /** A callback's attempts so far. */
  attempts?: number;
  readonly interval: number;
  state: 'waiting' | 'done';
}

interface AgentRec {
  readonly snap: AgentSnapshot;
  onShift: boolean;
  busy: boolean;
  busySince: number;
}


export function simulate(input: SimInput): SimResult {
  checkSimInput(input);
  // Three streams (common random numbers): arrivals, the callers' choices and patience, and
  // handle times. A what-if that changes agents or the flow keeps the same callers arriving.
  const arrivalRng = new Rng(input.seed);
  const callerRng = new Rng(input.seed ^ 0x9e3779b9);
  const serviceRng = new Rng(input.seed ^ 0x85ebca6b);
  const callbackRng = new Rng(input.seed ^ 0xc2b2ae35);
  const reach = input.callbackReach ?? 1;
  const acceptance = input.callbackAcceptance ?? 0;
  const dialMs = Math.round((input.callbackDialSeconds ?? 30) * 1000);
  const stepMs = input.intervalMinutes * 60_000;
  const n = input.calls.length;
  const endMs = n * stepMs;
  const ahtAt = (t: number): number => {
    const a = input.ahtSeconds;
    return typeof a === 'number' ? a : a[Math.min(a.length - 1, Math.floor(t / stepMs))]!;
  };
  const queues = new Map(input.queues.map((q) => [q.name, q]));
  const windows = input.clock ? new WindowClock(input.clock.startMs, input.clock.timeZone, queues) : undefined;
  const index = new RouteIndex({ queues: input.queues });
  const events = new TimerHeap<Ev>();

  // Per-interval counters.
  const offered = new Float64Array(n);
  const deflected = new Float64Array(n);
  const callbacks = new Float64Array(n);
  const voicemails = new Float64Array(n);
  const failed = new Float64Array(n);
  const queued = new Float64Array(n);
  const completed = new Float64Array(n);
  const backlogAt = new Float64Array(n);
  let backlog = 0;
  /** Callbacks between attempts: in the backlog, not in their queue. */
  let retrying = 0;
  /** A callback given up now (its last attempt unanswered, no window to place it in, sent on by a target). */
  const giveUp = (): void => {
    backlog--;
    failed[Math.min(n - 1, Math.floor(now / stepMs))]!++;
  };
  /** Callers waiting in the queues (the index also holds the callbacks waiting there). */
  const waitingCallers = (): number => index.waitingCount - (backlog - retrying);
  /**
   * Outside its queue's calling window a callback waits for the next opening (backlog, not in
   * the queue); false when it may be worked now. A queue that never opens gives it up.
   */
  const deferred = (rec: CallRec, queue: string): boolean => {
    if (!windows || windows.isOpen(queue, now)) return false;
    const at = windows.nextOpen(queue, now);
    if (at === undefined) {
      giveUp();
      return true;
    }
    retrying++;
    events.push(at, { k: 'retry', call: rec });
    return true;
  };
  /** A callback for `queue` joins it as a keep-place entry (at `place`: a caller who took the offer keeps theirs): an agent takes it in turn, then calls the customer. */
  const addCallback = (queue: string, interval: number, caller?: WaitingCall): void => {
    const id = `b${seq++}`;
    const w = waitingEntry(id, 'callback', queue, caller?.enteredAt ?? now, caller?.priority ?? queues.get(queue)!.priority, caller?.skills ?? []);
    const rec: CallRec = { w, interval, state: 'waiting', callback: true, attempts: 0 };
    backlog++;
    if (deferred(rec, queue)) return;
    calls.set(id, rec);
    apply(index.addCall(w, now));
  };
  /** A voicemail filed for `queue` (none: kept in the inbox) becomes a callback when the queue says so, as live. */
  const addVoicemail = (queue: string | undefined, interval: number): void => {
    voicemails[interval]!++;
    if (queue === undefined || !queues.get(queue)!.voicemail.createCallback) return;
    callbacks[interval]!++;
    addCallback(queue, interval);
  };
  const answered = new Float64Array(n);
  const abandoned = new Float64Array(n);
  const targeted = new Float64Array(n);
  const within = new Float64Array(n);
  const waitSum = new Float64Array(n);
  const busyMs = new Float64Array(n);
  const staffedMs = new Float64Array(n);
  const peak = new Float64Array(n);
  const atEnd = new Float64Array(n);

  /** Adds [from, to) to the per-interval sums of `into`. */
  const spread = (into: Float64Array, from: number, to: number): void => {
    for (let t = Math.max(0, from); t < Math.min(to, endMs); ) {
      const i = Math.floor(t / stepMs);
      const next = Math.min(to, (i + 1) * stepMs, endMs);
      into[i]! += next - t;
      t = next;
    }
  };

  const agents: AgentRec[] = input.agents.map((a) => ({
    snap: { id: a.id, extension: a.id, skills: { ...a.skills }, groups: [...(a.groups ?? [])], state: 'offline', stateSince: 0, lastCallEndedAt: null, answeredToday: 0, talkMsToday: 0, loggedInMsToday: 0 },
    onShift: false,
    busy: false,
    busySince: 0,
  }));
  const agentIndex = new Map(agents.map((a, i) => [a.snap.id, i]));
  input.agents.forEach((a, i) => {
    // Without shifts an agent stays on until the last caller is served (no cut at the run's end).
    for (const s of mergedShifts(a.shifts ?? [{ from: 0, to: Infinity }], i)) {
      events.push(s.from, { k: 'on', agent: i });
      if (s.to !== Infinity) events.push(s.to, { k: 'off', agent: i });
      spread(staffedMs, s.from, s.to);
    }
  });

  const calls = new Map<string, CallRec>();
  // Waiting callers per queue in order of entry (a Map keeps insertion order): count and longest wait for the tiers.
  const waitingIn = new Map<string, Map<string, number>>(input.queues.map((q) => [q.name, new Map()]));
  const leave = (w: WaitingCall): void => void waitingIn.get(w.queue)?.delete(w.id);
  const join = (w: WaitingCall, at: number): void => void waitingIn.get(w.queue)?.set(w.id, at);
  const tiered = input.queues.filter((q) => q.tiers.length > 0);
  const tierState = new Map<string, TierState>();
  const tierChanges: SimResult['tierChanges'] = [];
  let seq = 0;
  let now = 0;
  let processed = 0;

  const apply = (decisions: readonly RoutingDecision[]): void => {
    for (const d of decisions) {
      const rec = calls.get(d.callId);
      if (!rec) continue;
      if (d.kind === 'offer') {
        rec.state = 'done';
        calls.delete(d.callId);
        leave(rec.w);
        const wait = now - rec.w.firstEnteredAt;
        let talk: number | undefined;
        if (rec.callback && windows && !windows.isOpen(d.queue, now)) {
          // Offered after its window closed: not placed now; the agent is free again.
          rec.state = 'waiting';
          deferred(rec, d.queue);
          agentFree(agentIndex.get(d.agentId)!);
          continue;
        }
        if (rec.callback) {
          rec.attempts = (rec.attempts ?? 0) + 1;
          if (reach === 1 || callbackRng.next() < reach) {
            backlog--;
            completed[Math.min(n - 1, Math.floor(now / stepMs))]!++;
          } else {
            // Not answered: the agent's time is the ring; then the next attempt after the queue's spacing, or given up.
            talk = dialMs;
            const cfg = queues.get(d.queue)!.callbacks;
            if (rec.attempts >= cfg.maxAttempts) giveUp();
            else {
              retrying++;
              events.push(now + dialMs + cfg.retrySpacingSeconds * 1000, { k: 'retry', call: rec });
            }
          }
        } else {
          answered[rec.interval]!++;
          waitSum[rec.interval]! += wait;
          if (wait <= input.targetSeconds * 1000) within[rec.interval]!++;
        }
        const ai = agentIndex.get(d.agentId)!;
        const a = agents[ai]!;
        a.busy = true;
        a.busySince = now;
        a.snap.state = 'on-call';
        a.snap.stateSince = now;
        talk ??= Math.ceil(serviceRng.exp(ahtAt(now)) * 1000);
        a.snap.answeredToday++;
        a.snap.talkMsToday += talk;
        events.push(now + talk, { k: 'talked', agent: ai, queue: d.queue });
      } else if (d.kind === 'overflow') {
        leave(rec.w);
        const w: WaitingCall = { ...rec.w, queue: d.to, enteredAt: now, requeuedAtFront: false, refusedBy: [] };
        const moved: CallRec = { ...rec, w, state: 'waiting' };
        calls.set(w.id, moved);
        if (!rec.callback) join(w, now);
        apply(index.addCall(w, now));
      } else {
        rec.state = 'done';
        calls.delete(d.callId);
        leave(rec.w);
        if (rec.callback) {
          // A queue that sends its callbacks on to a target: given up here (not ours to follow).
          giveUp();
          continue;
        }
        targeted[rec.interval]!++;
        if (d.target.kind === 'callback') {
          callbacks[rec.interval]!++;
          addCallback(d.queue, rec.interval);
        } else if (d.target.kind === 'voicemail') addVoicemail(d.queue, rec.interval);
      }
    }
  };

  const agentFree = (ai: number): void => {
    const a = agents[ai]!;
    if (a.busy) spread(busyMs, a.busySince, now);
    a.busy = false;
    if (!a.onShift) {
      a.snap.state = 'offline';
      return;
    }
    a.snap.state = 'available';
    a.snap.stateSince = now;
    a.snap.lastCallEndedAt = now;
    // The index keeps this object while the agent is free; it is changed only after the index let go of it (offer, off shift).
    apply(index.agentAvailable(a.snap, now));
  };

  // The first arrival; each arrival draws the next (exact for a piecewise-constant rate: memoryless).
  // A replay takes the recorded instants in turn instead.
  let replayed = 0;
  // Events happen on whole milliseconds, as live (the router's deadlines, enteredAt + a step's
  // seconds, must compare exactly); the Poisson clock itself keeps its fractions, so flooring
  // each arrival does not shorten the gaps (which would add calls).
  let poissonAt = 0;
  const nextArrival = (): number | undefined => {
    if (input.arrivals) {
      const at = input.arrivals[replayed++];
      return at === undefined ? undefined : Math.floor(at);
    }
    for (let t = poissonAt; t < endMs; ) {
      const i = Math.floor(t / stepMs);
      const rate = input.calls[i]! / stepMs;
      const boundary = (i + 1) * stepMs;
      if (rate > 0) {
        const at = t + arrivalRng.exp(1 / rate);
        if (at < boundary) {
          poissonAt = at;
          return Math.floor(at);
        }
      }
      t = boundary;
    }
    poissonAt = endMs;
    return undefined;
  };
  if (tiered.length > 0) events.push(TIER_EVERY_MS, { k: 'tiers' });
  const first = nextArrival();
  if (first !== undefined) events.push(first, { k: 'arrive' });

  let interval = 0;
  const closeIntervalsUpTo = (t: number): void => {
    while (interval < n && t >= (interval + 1) * stepMs) {
      atEnd[interval] = waitingCallers();
      backlogAt[interval] = backlog;
      interval++;
      if (interval < n) peak[interval] = waitingCallers();
    }
  };

  const weights = input.entries.map((x) => x.weight);
  /** The caller leaves the IVR (interval i counts it): an IVR end, or a queue. */
  const enter = (entryAt: number, i: number, patience: number): void => {
    const entry = input.entries[entryAt]!;
    if ('ivr' in entry) {
      if (entry.ivr === 'callback') {
        callbacks[i]!++;
        if (entry.queue !== undefined) addCallback(entry.queue, i);
      } else if (entry.ivr === 'voicemail') addVoicemail(entry.queue, i);
      else deflected[i]!++;
      return;
    }
    queued[i]!++;
    const id = `c${seq++}`;
    const w = waitingEntry(id, 'call', entry.queue, now, entry.priority ?? queues.get(entry.queue)!.priority, entry.skills ?? []);
    calls.set(id, { w, interval: i, state: 'waiting' });
    join(w, now);
    apply(index.addCall(w, now));
    // Only a caller left waiting needs the abandon event.
    if (patience !== Infinity && calls.has(id)) events.push(now + patience, { k: 'abandon', call: id });
    // Drawn for every queued caller (common random numbers across a comparison); only a taker needs the event.
    const takes = callerRng.next() < acceptance;
    if (takes && calls.has(id)) events.push(now + queues.get(entry.queue)!.announcements.offerCallbackAfterSeconds * 1000, { k: 'offer', call: id });
  };
  for (;;) {
    const ev = events.peek();
    const due = index.nextCheckAt();
    const at = Math.min(ev?.at ?? Infinity, due ?? Infinity);
    // After the last arrival the run goes on until the callers still there are served or gone (a day at most).
    if (at === Infinity || at > endMs + 86_400_000) break;
    closeIntervalsUpTo(at);
    now = at;
    if (due !== undefined && due <= (ev?.at ?? Infinity)) {
      apply(index.advance(now));
      continue;
    }
    events.pop();
    processed++;
    const e = ev!.key;
    switch (e.k) {
      case 'arrive': {
        const i = Math.floor(now / stepMs);
        const entryAt = callerRng.pick(weights);
        // Drawn for every caller, queued or not, so both sides of a comparison draw alike.
        const patience = input.patienceSeconds !== undefined ? Math.ceil(callerRng.exp(input.patienceSeconds) * 1000) : Infinity;
        offered[i]!++;
        const ivrMs = Math.round((input.entries[entryAt]!.ivrSeconds ?? 0) * 1000);
        if (ivrMs > 0) events.push(now + ivrMs, { k: 'enter', entry: entryAt, interval: i, patience });
        else enter(entryAt, i, patience);
        const next = nextArrival();
        if (next !== undefined) events.push(next, { k: 'arrive' });
        break;
      }
      case 'enter':
        enter(e.entry, e.interval, e.patience);
        break;
      case 'retry': {
        retrying--;
        const w: WaitingCall = { ...e.call.w, enteredAt: now, requeuedAtFront: false, refusedBy: [] };
        const rec: CallRec = { ...e.call, w, state: 'waiting' };
        if (deferred(rec, w.queue)) break;
        calls.set(w.id, rec);
        apply(index.addCall(w, now));
        break;
      }
      case 'offer': {
        const rec = calls.get(e.call);
        if (!rec || rec.state !== 'waiting' || rec.callback) break;
        index.removeCall(e.call);
        calls.delete(e.call);
        leave(rec.w);
        rec.state = 'done';
        targeted[rec.interval]!++;
        callbacks[rec.interval]!++;
        addCallback(rec.w.queue, rec.interval, rec.w);
        break;
      }
      case 'abandon': {
        const rec = calls.get(e.call);
        if (!rec || rec.state !== 'waiting') break;
        index.removeCall(e.call);
        calls.delete(e.call);
        leave(rec.w);
        rec.state = 'done';
        abandoned[rec.interval]!++;
        break;
      }
      case 'talked': {
        const a = agents[e.agent]!;
        const wrap = (queues.get(e.queue)?.wrapUpSeconds ?? 0) * 1000;
        if (wrap > 0) {
          a.snap.state = 'wrap-up';
          a.snap.stateSince = now;
          events.push(now + wrap, { k: 'free', agent: e.agent });
        } else agentFree(e.agent);
        break;
      }
      case 'free':
        agentFree(e.agent);
        break;
      case 'tiers': {
        let changed = false;
        const groups: Record<string, string[]> = {};
        for (const q of tiered) {
          const waiting = waitingIn.get(q.name)!;
          const oldest = waiting.values().next();
          const before = tierState.get(q.name) ?? { level: 0, since: now };
          const next = evaluateTiers(q.tiers, { waiting: waiting.size, longestWaitSeconds: oldest.done ? 0 : (now - oldest.value) / 1000 }, before, now);
          tierState.set(q.name, { level: next.level, since: next.since });
          if (next.level > 0) groups[q.name] = tierGroups(q.tiers, next.level);
          if (next.level !== before.level) {
            changed = true;
            tierChanges.push({ at: now, queue: q.name, level: next.level, name: next.level > 0 ? q.tiers[next.level - 1]!.name : null });
          }
        }
        if (changed) apply(index.setExtraGroups(groups, now));
        if (now < endMs || calls.size > 0) events.push(now + TIER_EVERY_MS, { k: 'tiers' });
        break;
      }
      case 'on': {
        const a = agents[e.agent]!;
        if (a.onShift) break;
        a.onShift = true;
        if (!a.busy) agentFree(e.agent);
        break;
      }
      case 'off': {
        const a = agents[e.agent]!;
        a.onShift = false;
        if (!a.busy) {
          index.agentGone(a.snap.id);
          a.snap.state = 'offline';
        }
        break;
      }
    }
    if (interval < n) peak[interval] = Math.max(peak[interval]!, waitingCallers());
  }
  closeIntervalsUpTo(endMs);

  const ratio = (a: number, b: number): number | null => (b > 0 ? a / b : null);
  const intervals: SimInterval[] = Array.from({ length: n }, (_, i) => ({
    offered: offered[i]!,
    deflected: deflected[i]!,
    voicemails: voicemails[i]!,
    callbacksCreated: callbacks[i]!,
    callbacksCompleted: completed[i]!,
    callbacksFailed: failed[i]!,
    callbackBacklog: backlogAt[i]!,
    queued: queued[i]!,
    answered: answered[i]!,
    abandoned: abandoned[i]!,
    targeted: targeted[i]!,
    answeredWithinTarget: within[i]!,
    serviceLevel: ratio(within[i]!, queued[i]!),
    asaSeconds: answered[i]! > 0 ? waitSum[i]! / answered[i]! / 1000 : null,
    occupancy: ratio(busyMs[i]!, staffedMs[i]!),
    peakWaiting: peak[i]!,
    waitingAtEnd: atEnd[i]!,
  }));
  const sum = (xs: Float64Array): number => xs.reduce((s, x) => s + x, 0);
  const totals = {
    offered: sum(offered),
    deflected: sum(deflected),
    voicemails: sum(voicemails),
    callbacksCreated: sum(callbacks),
    callbacksCompleted: sum(completed),
    callbacksFailed: sum(failed),
    /** Still waiting for an agent when the run ended. */
    callbackBacklog: backlog,
    queued: sum(queued),
    answered: sum(answered),
    abandoned: sum(abandoned),
    targeted: sum(targeted),
    answeredWithinTarget: sum(within),
    serviceLevel: ratio(sum(within), sum(queued)),
    asaSeconds: sum(answered) > 0 ? sum(waitSum) / sum(answered) / 1000 : null,
    occupancy: ratio(sum(busyMs), sum(staffedMs)),
    peakWaiting: Math.max(0, ...peak),
    events: processed,
  };
  return { intervals, totals, tierChanges };
}

/** An agent's shifts in order, whole milliseconds, touching or overlapping ones joined (one on, one off). */
function mergedShifts(shifts: readonly { readonly from: number; readonly to: number }[], agent: number): { from: number; to: number }[] {
  const sorted = shifts.map((s) => {
    if (!(s.from < s.to)) throw new SimInputError(`agents[${agent}].shifts`, 'each shift must end after it starts');
    return { from: Math.max(0, Math.round(s.from)), to: s.to === Infinity ? Infinity : Math.round(s.to) };
  });
  sorted.sort((a, b) => a.from - b.from);
  const out: { from: number; to: number }[] = [];
  for (const s of sorted) {
    const last = out.at(-1);
    if (last && s.from <= last.to) last.to = Math.max(last.to, s.to);
    else out.push(s);
  }
  return out;
}

/** A new caller or callback in a queue, as the router sees it (first visit: no previous agent). */
function waitingEntry(id: string, kind: WaitingCall['kind'], queue: string, at: number, priority: number, skills: readonly string[]): WaitingCall {
  return { id, queue, enteredAt: at, firstEnteredAt: at, priority, customerType: 'new', lastAgentId: null, lastAgentAt: null, skills: [...skills], kind, requeuedAtFront: false, refusedBy: [] };
}
