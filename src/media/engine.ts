/**
 * MediaEngine: the main thread's handle on RTP. Legs live in worker threads (worker.ts),
 * each worker running one drift-free 20 ms playout loop for all its legs, so nothing the
 * main thread does — SIP parsing, a slow database query, a GC pause — shows in packet
 * timing. This facade allocates ports, routes commands to the worker that owns a leg,
 * turns worker events into typed events, and keeps the engine usable when a worker dies
 * (its calls are lost and reported; a fresh worker takes its place).
 */
import { EventEmitter } from 'node:events';
import { availableParallelism } from 'node:os';
import { randomBytes } from 'node:crypto';
import { isIP } from 'node:net';
import type { Worker } from 'node:worker_threads';
import { realClock, type Clock } from '../clock.ts';
import type { Logger } from '../log.ts';
import {
  Channel,
  MediaChannelClosedError,
  MediaError,
  MediaRequestError,
  MediaWorkerDiedError,
  startWorker,
} from './channel.ts';
import { PortAllocator, parsePortRange } from './ports.ts';
import type { RecordingResult } from './recorder.ts';
import {
  mediaProtocol,
  type Direction,
  type G711Codec,
  type LegStats,
  type MediaProtocol,
  type PlaybackResult,
  type PlayoutSettings,
  type RecordMode,
  type WorkerStats,
} from './worker-protocol.ts';

export type { Direction, G711Codec, LegStats, PlaybackResult, RecordMode, WorkerStats, PlayoutSettings };
export { MediaWorkerDiedError, MediaRequestError, MediaError, MediaChannelClosedError };

declare const legIdBrand: unique symbol;
/** A leg handle from allocate(); opaque. */
export type LegId = string & { readonly [legIdBrand]: true };

export interface MediaEngineOptions {
  /** IP literal to bind RTP/RTCP sockets on (the address the SDP advertises, or 0.0.0.0). */
  host: string;
  /** Inclusive RTP port range, e.g. [20000, 29999] or "20000-29999". */
  portRange: readonly [number, number] | string;
  /** Media worker threads (default: one per core). */
  workers?: number;
  /** For request timeouts (default: the real clock). The workers always use the real clock. */
  clock?: Clock;
  /** Emit rtpTimeout after this long without inbound RTP on a receiving leg (default 0: off). */
  rtpTimeoutMs?: number;
  /** Playout-loop tuning (sub-slots, early wake, spin); the defaults were measured in bench/media-playout.ts. */
  playout?: PlayoutSettings;
  /** Reject a worker request that gets no answer within this time (default 15 s). */
  requestTimeoutMs?: number;
  /**
   * Connect each leg's RTP socket to its far end once latched (default CONNECT_DEFAULT):
   * cheaper sends, and the kernel drops other sources' packets before they cost anything
   * — but those are then no longer counted in foreignPackets.
   */
  connectLatched?: boolean;
  /**
   * Nice value for the media worker threads (e.g. -10), so the 20 ms clock wins the CPU
   * from batch work on a busy host. Linux applies it per thread; values below 0 need
   * root or CAP_SYS_NICE (a refusal is logged, not fatal). Default: leave it alone.
   */
  workerNiceness?: number;
  /** Start a replacement when a worker dies (default true). */
  respawn?: boolean;
  logger?: Logger;
}

export interface Endpoint {
  address: string;
  port: number;
}

export interface ConfigureOptions {
  remote: Endpoint;
  codec: G711Codec;
  payloadType: number;
  telephoneEventPt?: number;
  direction?: Direction;
  /** RTCP destination from SDP a=rtcp (RFC 3605); default remote port + 1. */
  rtcp?: Endpoint;
  /** Per-leg override of the engine's rtpTimeoutMs. */
  rtpTimeoutMs?: number;
  /** Symmetric-RTP latching (see worker-protocol.ts); default 'auto'. */
  latching?: 'auto' | 'any' | 'off';
}

export type PlaySource =
  | { kind: 'prompt'; id: string }
  | { kind: 'g711'; codec: G711Codec; data: Uint8Array }
  | { kind: 'silence'; ms: number };

export interface PlayOptions {
  source: PlaySource;
  loop?: boolean;
  /** A digit (RFC 4733 or injected SIP INFO) ends the playback with 'interrupted'. */
  bargeIn?: boolean;
}

/** The playback's outcome, with its id (the same playId the playbackDone event carries). */
export type Playback = Promise<PlaybackResult> & { readonly playId: number };

export interface DigitEvent {
  legId: LegId;
  digit: string;
  source: 'rfc4733' | 'info';
}
export interface PlaybackDoneEvent {
  legId: LegId;
  playId: number;
  reason: PlaybackResult;
}
export interface WorkerDiedEvent {
  workerIndex: number;
  /** Legs that were on the worker: their calls have no media any more. */
  legIds: LegId[];
  error: MediaWorkerDiedError;
}
export interface FaultEvent {
  workerIndex: number;
  legId?: LegId;
  message: string;
}

export interface MediaEngineEvents {
  digit: [DigitEvent];
  playbackDone: [PlaybackDoneEvent];
  rtpTimeout: [{ legId: LegId }];
  workerDied: [WorkerDiedEvent];
  fault: [FaultEvent];
}

export interface ReleaseResult extends LegStats {
  /** Present when the leg was still recording: the recording was finalised. */
  recording?: RecordingResult;
}

interface WorkerSlot {
  index: number;
  worker: Worker;
  channel: Channel<MediaProtocol>;
  legs: Set<LegId>;
  dead: MediaWorkerDiedError | undefined;
}

interface LegEntry {
  worker: WorkerSlot;
  port: number;
}

interface PendingPlay {
  legId: LegId;
  resolve: (r: PlaybackResult) => void;
  reject: (e: Error) => void;
}

const WORKER_URL = new URL('./worker.ts', import.meta.url);
const CONNECT_DEFAULT = false;

export class MediaEngine extends EventEmitter<MediaEngineEvents> {
  private readonly workers: WorkerSlot[] = [];
  private readonly legs = new Map<LegId, LegEntry>();
  /** Legs whose worker died: later calls on them reject with the worker's error. */
  private readonly lostLegs = new Map<LegId, MediaWorkerDiedError>();
  private readonly plays = new Map<number, PendingPlay>();
  private readonly prompts = new Map<string, { codec: G711Codec; data: Uint8Array }>();
  private readonly ports: PortAllocator;
  private readonly clock: Clock;
  private readonly cname = randomBytes(12).toString('base64');
  private nextLeg = 1;
  private nextPlay = 1;
  private closing = false;

  private constructor(private readonly opts: MediaEngineOptions) {
    super();
    this.ports = new PortAllocator(typeof opts.portRange === 'string' ? parsePortRange(opts.portRange) : opts.portRange);
    this.clock = opts.clock ?? realClock();
  }

  static async start(opts: MediaEngineOptions): Promise<MediaEngine> {
    if (isIP(opts.host) === 0) throw new MediaError('BAD_HOST', `host must be an IP literal, got ${opts.host}`);
    const engine = new MediaEngine(opts);
    // One worker per core: a packet's cost is mostly the kernel's send path, so spreading
    // legs over every core is what reaches high leg counts (bench/media-playout.ts).
    const n = opts.workers ?? Math.max(1, availableParallelism());
    try {
      await Promise.all(Array.from({ length: n }, (_, i) => engine.spawn(i)));
    } catch (err) {
      await engine.close();
      throw err;
    }
    return engine;
  }

  /** Number of live workers. */
  get workerCount(): number {
    return this.workers.filter((w) => !w.dead).length;
  }

  /** Legs currently allocated. */
  get legCount(): number {
    return this.legs.size;
  }

  /**
   * Binds an even RTP port and port+1 for RTCP in a worker. `near` places the leg on the
   * same worker (and playout sub-slot) as another so the two can be bridged.
   */
  async allocate(opts: { near?: LegId } = {}): Promise<{ legId: LegId; port: number }> {
    this.checkOpen();
    let w: WorkerSlot;
    if (opts.near !== undefined) w = this.entry(opts.near).worker;
    else {
      const live = this.workers.filter((x) => !x.dead);
      if (live.length === 0) throw new MediaWorkerDiedError('no media worker is alive');
      w = live.reduce((a, b) => (b.legs.size < a.legs.size ? b : a));
    }
    const legId = `leg-${this.nextLeg++}` as LegId;
    for (let attempt = 0; attempt < this.ports.capacity; attempt++) {
      const port = this.ports.take();
      if (port === undefined) break;
      try {
        await w.channel.request('bind', { legId, port, ...(opts.near !== undefined ? { near: opts.near } : {}) });
      } catch (err) {
        this.ports.release(port);
        // Another process holds this port (or port+1): try the next pair.
        if (err instanceof MediaRequestError && (err.code === 'EADDRINUSE' || err.code === 'EACCES')) continue;
        throw err;
      }
      if (w.dead) {
        this.ports.release(port);
        throw w.dead;
      }
      this.legs.set(legId, { worker: w, port });
      w.legs.add(legId);
      return { legId, port };
    }
    throw new MediaError('NO_PORTS', `no free RTP port pair in ${this.ports.range.join('-')}`);
  }

  /** Applies the negotiated media (again on re-INVITE: hold/unhold, codec or address change). */
  async configure(legId: LegId, config: ConfigureOptions): Promise<void> {
    await this.entry(legId).worker.channel.request('configure', { legId, config });
  }

  /**
   * Makes G.711 audio playable by id on every worker. The bytes are copied once into
   * shared memory that all workers read; legs in the other law get a copy transcoded once
   * per worker. Loading an id again replaces it.
   */
  async loadPrompt(id: string, codec: G711Codec, data: Uint8Array): Promise<void> {
    this.checkOpen();
    const shared = new Uint8Array(new SharedArrayBuffer(data.length));
    shared.set(data);
    this.prompts.set(id, { codec, data: shared });
    await Promise.all(this.live().map((w) => w.channel.request('loadPrompt', { id, codec, data: shared })));
  }

  async unloadPrompt(id: string): Promise<void> {
    this.prompts.delete(id);
    await Promise.all(this.live().map((w) => w.channel.request('unloadPrompt', { id })));
  }

  /**
   * Plays to a leg, replacing (as 'stopped') whatever it was playing. Resolves when the
   * playback ends: 'done' (played out), 'interrupted' (barge-in digit), 'stopped'
   * (stopPlayback, another play, release).
   */
  play(legId: LegId, opts: PlayOptions): Playback {
    const playId = this.nextPlay++;
    const promise = new Promise<PlaybackResult>((resolve, reject) => {
      let entry: LegEntry;
      try {
        entry = this.entry(legId);
      } catch (err) {
        reject(err instanceof Error ? err : new Error(String(err)));
        return;
      }
      this.plays.set(playId, { legId, resolve, reject });
      const s = opts.source;
      let source: PlaySource = s;
      const transfer: ArrayBuffer[] = [];
      if (s.kind === 'g711') {
        // One copy into a buffer we own, moved (not cloned) to the worker.
        const copy = new Uint8Array(s.data);
        transfer.push(copy.buffer);
        source = { kind: 'g711', codec: s.codec, data: copy };
      }
      entry.worker.channel
        .request('play', { legId, playId, source, loop: opts.loop ?? false, bargeIn: opts.bargeIn ?? false }, { transfer })
        .catch((err: unknown) => {
          if (this.plays.delete(playId)) reject(err instanceof Error ? err : new Error(String(err)));
        });
    });
    return Object.assign(promise, { playId });
  }

  async stopPlayback(legId: LegId): Promise<void> {
    await this.entry(legId).worker.channel.request('stopPlayback', { legId });
  }

  /** Sends RFC 4733 telephone-events; resolves once the last end packet went out. */
  async sendDigits(legId: LegId, digits: string, opts: { durationMs?: number; gapMs?: number } = {}): Promise<void> {
    const durationMs = opts.durationMs ?? 100;
    const gapMs = opts.gapMs ?? 40;
    const expected = digits.length * (durationMs + gapMs + 80);
    await this.entry(legId).worker.channel.request(
      'sendDigits',
      { legId, digits, durationMs, gapMs },
      { timeoutMs: expected + (this.opts.requestTimeoutMs ?? 15_000) },
    );
  }

  /** A digit received out of band (SIP INFO): reported as a digit event with source 'info', and barges in. */
  async injectDigit(legId: LegId, digit: string): Promise<void> {
    await this.entry(legId).worker.channel.request('injectDigit', { legId, digit });
  }

  /** Starts recording to a WAV file (written by the worker, incrementally). */
  async record(legId: LegId, opts: { path: string; mode: RecordMode }): Promise<void> {
    await this.entry(legId).worker.channel.request('record', { legId, path: opts.path, mode: opts.mode });
  }

  /**
   * Pauses (paused = true) or resumes a leg's recording: while paused the file gets silence.
   * `changed` is false when it already was so; `atMs` is the position in the recording.
   */
  async pauseRecording(legId: LegId, paused: boolean): Promise<{ changed: boolean; atMs: number }> {
    return this.entry(legId).worker.channel.request('pauseRecording', { legId, paused });
  }

  async stopRecording(legId: LegId): Promise<RecordingResult> {
    return this.entry(legId).worker.channel.request('stopRecording', { legId });
  }

  /**
   * Mixes the inbound audio of `sources` into what `legId` sends, besides its bridge peer:
   * a supervisor's leg hears caller and agent (listen), the agent hears the supervisor too
   * (whisper), the caller as well (barge). [] ends it. All legs must share a worker.
   */
  async mix(legId: LegId, sources: readonly LegId[]): Promise<void> {
    const w = this.entry(legId).worker;
    for (const s of sources) {
      if (this.entry(s).worker !== w) throw new MediaError('NOT_SAME_WORKER', `legs ${legId} and ${s} are on different workers; allocate one with { near }`);
    }
    await w.channel.request('mix', { legId, sources: [...sources] });
  }

  /** Forwards audio both ways, re-timed onto each leg's own stream. Both legs must share a worker (allocate with `near`). */
  async bridge(a: LegId, b: LegId): Promise<void> {
    const ea = this.entry(a);
    const eb = this.entry(b);
    if (ea.worker !== eb.worker) {
      throw new MediaError('NOT_SAME_WORKER', `legs ${a} and ${b} are on different workers; allocate one with { near }`);
    }
    await ea.worker.channel.request('bridge', { a, b });
  }

  async unbridge(legId: LegId): Promise<void> {
    await this.entry(legId).worker.channel.request('unbridge', { legId });
  }

  async stats(legId: LegId): Promise<LegStats> {
    return this.entry(legId).worker.channel.request('stats', { legId });
  }

  /** Closes the leg's sockets (after an RTCP BYE) and returns its final stats; finalises a running recording. */
  async release(legId: LegId): Promise<ReleaseResult> {
    const lost = this.lostLegs.get(legId);
    if (lost) {
      this.lostLegs.delete(legId);
      throw lost;
    }
    const e = this.entry(legId);
    try {
      const res = await e.worker.channel.request('release', { legId });
      return res.recording ? { ...res.stats, recording: res.recording } : res.stats;
    } finally {
      if (this.legs.get(legId) === e) {
        this.legs.delete(legId);
        e.worker.legs.delete(legId);
        this.ports.release(e.port);
      }
    }
  }

  /** Playout-loop health per worker (lateness, resyncs, event-loop utilisation). */
  async workerStats(): Promise<WorkerStats[]> {
    return Promise.all(this.live().map((w) => w.channel.request('workerStats', {})));
  }

  /** The Worker thread that owns a leg (diagnostics, and tests that kill it). */
  workerThread(legId: LegId): Worker {
    return this.entry(legId).worker.worker;
  }

  /** Releases every leg (RTCP BYE, recordings finalised), then stops the workers. */
  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    await Promise.allSettled([...this.legs.keys()].map((id) => this.release(id)));
    await Promise.allSettled(
      this.workers.map(async (w) => {
        w.channel.close();
        await w.worker.terminate();
      }),
    );
    for (const [id, p] of this.plays) {
      this.plays.delete(id);
      p.reject(new MediaChannelClosedError('media engine closed'));
    }
  }

  // ---- internals ------------------------------------------------------------------------

  private checkOpen(): void {
    if (this.closing) throw new MediaChannelClosedError('media engine closed');
  }

  private live(): WorkerSlot[] {
    return this.workers.filter((w) => !w.dead);
  }

  private entry(legId: LegId): LegEntry {
    const e = this.legs.get(legId);
    if (e) return e;
    const lost = this.lostLegs.get(legId);
    if (lost) throw lost;
    throw new MediaError('UNKNOWN_LEG', `no media leg ${legId}`);
  }

  private async spawn(index: number): Promise<void> {
    const worker = startWorker(WORKER_URL, { name: `media-${index}` });
    const channel = new Channel(worker, mediaProtocol, {
      name: `media worker ${index}`,
      clock: this.clock,
      timeoutMs: this.opts.requestTimeoutMs ?? 15_000,
      onProtocolError: (e) => this.opts.logger?.error({ err: e.message, worker: index }, 'media protocol error'),
    });
    const slot: WorkerSlot = { index, worker, channel, legs: new Set(), dead: undefined };
    this.workers[index] = slot;
    channel.on('digit', (e) => this.emit('digit', { legId: e.legId as LegId, digit: e.digit, source: e.source }));
    channel.on('rtpTimeout', (e) => this.emit('rtpTimeout', { legId: e.legId as LegId }));
    channel.on('fault', (e) => {
      this.opts.logger?.warn({ worker: index, legId: e.legId, fault: e.message }, 'media worker fault');
      this.emit('fault', e.legId === undefined ? { workerIndex: index, message: e.message } : { workerIndex: index, legId: e.legId as LegId, message: e.message });
    });
    channel.on('playbackDone', (e) => {
      const p = this.plays.get(e.playId);
      if (p) {
        this.plays.delete(e.playId);
        p.resolve(e.reason);
      }
      this.emit('playbackDone', { legId: e.legId as LegId, playId: e.playId, reason: e.reason });
    });
    worker.on('exit', (code) => this.onWorkerExit(slot, code));
    // Errors are also seen by the channel, which fails its pending requests.
    worker.on('error', (err) => this.opts.logger?.error({ worker: index, err: err.message }, 'media worker crashed'));

    const init = await channel.request('init', {
      workerIndex: index,
      host: this.opts.host,
      cname: this.cname,
      playout: this.opts.playout ?? {},
      rtpTimeoutMs: this.opts.rtpTimeoutMs ?? 0,
      connectLatched: this.opts.connectLatched ?? CONNECT_DEFAULT,
      ...(this.opts.workerNiceness !== undefined ? { niceness: this.opts.workerNiceness } : {}),
    });
    if (init.nicenessError) this.opts.logger?.warn({ worker: index, err: init.nicenessError }, 'media worker priority not set');
    await Promise.all([...this.prompts].map(([id, p]) => channel.request('loadPrompt', { id, codec: p.codec, data: p.data })));
  }

  private onWorkerExit(slot: WorkerSlot, code: number): void {
    if (slot.dead) return;
    const error =
      (slot.channel.closedBy instanceof MediaWorkerDiedError ? slot.channel.closedBy : undefined) ??
      new MediaWorkerDiedError(`media worker ${slot.index} exited with code ${code}`, code);
    slot.dead = error;
    slot.channel.fail(error);
    if (this.closing) return;
    const legIds = [...slot.legs];
    for (const legId of legIds) {
      const e = this.legs.get(legId);
      this.legs.delete(legId);
      // The thread's sockets closed with it, so its ports are free again.
      if (e) this.ports.release(e.port);
      this.lostLegs.set(legId, error);
    }
    slot.legs.clear();
    for (const [playId, p] of this.plays) {
      if (legIds.includes(p.legId)) {
        this.plays.delete(playId);
        p.reject(error);
      }
    }
    this.opts.logger?.error({ worker: slot.index, legs: legIds.length, code }, 'media worker died');
    this.emit('workerDied', { workerIndex: slot.index, legIds, error });
    if (this.opts.respawn ?? true) {
      this.spawn(slot.index).catch((err: unknown) =>
        this.opts.logger?.error({ worker: slot.index, err: String(err) }, 'media worker respawn failed'),
      );
    }
  }
}
