/**
 * Media worker thread entry. Owns the UDP sockets of its legs and ONE playout loop that
 * drives all of them, so the 20 ms clock never waits on the main thread's SIP parsing,
 * database queries or garbage collection. Controlled through the typed channel
 * (worker-protocol.ts); started by MediaEngine.
 */
import { parentPort } from 'node:worker_threads';
import { createSocket, type Socket, type SocketOptions, type SocketType } from 'node:dgram';
import { isIPv6 } from 'node:net';
import { getPriority, setPriority } from 'node:os';
import { performance, type EventLoopUtilization } from 'node:perf_hooks';
import { realClock } from '../clock.ts';
import { ChannelServer, MediaError } from './channel.ts';
import { PlayoutLoop } from './playout.ts';
import { Leg, type LegHost } from './leg.ts';
import { PromptAudio } from './prompt.ts';
import { WavRecorder } from './recorder.ts';
import { mediaProtocol, type MediaProtocol, type PlayoutSettings } from './worker-protocol.ts';

const port = parentPort;
if (!port) throw new Error('src/media/worker.ts must run in a worker thread (MediaEngine starts it)');

const clock = realClock();
const legs = new Map<string, Leg>();
const prompts = new Map<string, PromptAudio>();
let slots: Leg[][] = [[]];
let loop: PlayoutLoop | undefined;
let bindHost = '127.0.0.1';
let cname = 'surgeline';
let workerIndex = 0;
let defaultRtpTimeoutMs = 0;
let connectLatched = false;
let faults = 0;
let eluMark: EventLoopUtilization = performance.eventLoopUtilization();

function fault(legId: string | undefined, err: unknown): void {
  faults++;
  const message = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  server.emit('fault', legId === undefined ? { message } : { legId, message });
}

const host: LegHost = {
  now: () => clock.now(),
  wallNow: () => clock.wallNow(),
  get cname() {
    return cname;
  },
  digit: (legId, digit, source) => server.emit('digit', { legId, digit, source }),
  playbackDone: (legId, playId, reason) => server.emit('playbackDone', { legId, playId, reason }),
  rtpTimeout: (legId) => server.emit('rtpTimeout', { legId }),
  fault,
  get connectLatched() {
    return connectLatched;
  },
};

function onSlot(slot: number, period: number): void {
  const list = slots[slot]!;
  for (let i = 0; i < list.length; i++) {
    const leg = list[i]!;
    try {
      leg.tick(period);
    } catch (err) {
      fault(leg.id, err);
    }
  }
}

function startLoop(playout: PlayoutSettings): void {
  loop = new PlayoutLoop(clock, onSlot, { ...playout, defer: (fn) => void setImmediate(fn) });
  slots = Array.from({ length: loop.slots }, () => []);
}

function addToSlot(leg: Leg, near: Leg | undefined): void {
  if (!loop) throw new MediaError('NOT_INITIALISED', 'worker not initialised');
  let slot = 0;
  if (near) slot = near.slot;
  else for (let s = 1; s < slots.length; s++) if (slots[s]!.length < slots[slot]!.length) slot = s;
  const list = slots[slot]!;
  leg.slot = slot;
  leg.slotIndex = list.length;
  list.push(leg);
  if (!loop.isRunning) loop.start();
}

function removeFromSlot(leg: Leg): void {
  const list = slots[leg.slot]!;
  const last = list.pop()!;
  if (last !== leg) {
    list[leg.slotIndex] = last;
    last.slotIndex = leg.slotIndex;
  }
  leg.slotIndex = -1;
  if (legs.size === 0) loop?.stop();
}

// SDP gives IP literals (validated in worker-protocol.ts), so skip dns.lookup's extra
// nextTick round on every one of the 50 sends per second per leg.
// The socket's type already says the family, so no per-send regexp either.
const lookup4: NonNullable<SocketOptions['lookup']> = (address, _options, cb) => cb(null, address, 4);
const lookup6: NonNullable<SocketOptions['lookup']> = (address, _options, cb) => cb(null, address, 6);

function bindSocket(type: SocketType, address: string, p: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = createSocket({ type, lookup: type === 'udp6' ? lookup6 : lookup4 });
    const onError = (err: Error): void => {
      s.close();
      reject(err);
    };
    s.once('error', onError);
    s.bind({ port: p, address, exclusive: true }, () => {
      s.off('error', onError);
      resolve(s);
    });
  });
}

async function bindPair(p: number): Promise<[Socket, Socket]> {
  const type: SocketType = isIPv6(bindHost) ? 'udp6' : 'udp4';
  const rtp = await bindSocket(type, bindHost, p).catch(rethrowBindError(p));
  try {
    // RFC 3550 §11: RTCP on the next higher (odd) port.
    const rtcp = await bindSocket(type, bindHost, p + 1).catch(rethrowBindError(p + 1));
    return [rtp, rtcp];
  } catch (err) {
    rtp.close();
    throw err;
  }
}

function rethrowBindError(p: number) {
  return (err: unknown): never => {
    const code = (err as { code?: unknown }).code;
    throw new MediaError(typeof code === 'string' ? code : 'BIND_FAILED', `cannot bind ${bindHost}:${p}: ${(err as Error).message}`);
  };
}

function leg(legId: string): Leg {
  const l = legs.get(legId);
  if (!l) throw new MediaError('UNKNOWN_LEG', `no leg ${legId} in media worker ${workerIndex}`);
  return l;
}

function unbridge(l: Leg): void {
  const peer = l.peer;
  if (!peer) return;
  l.peer = undefined;
  peer.peer = undefined;
  l.updateInboundNeed();
  peer.updateInboundNeed();
}

const server: ChannelServer<MediaProtocol> = new ChannelServer(port, mediaProtocol, {
  init(req) {
    workerIndex = req.workerIndex;
    bindHost = req.host;
    cname = req.cname;
    defaultRtpTimeoutMs = req.rtpTimeoutMs;
    connectLatched = req.connectLatched;
    startLoop(req.playout);
    if (req.niceness === undefined) return {};
    try {
      // pid 0 is the calling thread on Linux, where nice values are per thread.
      setPriority(0, req.niceness);
      return { niceness: getPriority(0) };
    } catch (err) {
      return { nicenessError: err instanceof Error ? err.message : String(err) };
    }
  },

  async bind({ legId, port: p, near }) {
    if (legs.has(legId)) throw new MediaError('DUPLICATE_LEG', `leg ${legId} exists`);
    const nearLeg = near === undefined ? undefined : leg(near);
    const [rtp, rtcp] = await bindPair(p);
    const l = new Leg(legId, p, rtp, rtcp, host, defaultRtpTimeoutMs);
    legs.set(legId, l);
    addToSlot(l, nearLeg);
    return { port: p };
  },

  configure({ legId, config }) {
    leg(legId).configure(config);
    return {};
  },

  loadPrompt({ id, codec, data }) {
    prompts.set(id, new PromptAudio(codec, data));
    return {};
  },

  unloadPrompt({ id }) {
    prompts.delete(id);
    return {};
  },

  play({ legId, playId, source, loop: looped, bargeIn }) {
    const l = leg(legId);
    if (source.kind === 'silence') {
      l.startPlayback(playId, undefined, source.ms, looped, bargeIn);
    } else {
      const audio = source.kind === 'prompt' ? prompts.get(source.id) : new PromptAudio(source.codec, source.data);
      if (!audio) throw new MediaError('UNKNOWN_PROMPT', `prompt ${source.kind === 'prompt' ? source.id : ''} is not loaded`);
      l.startPlayback(playId, audio, 0, looped, bargeIn);
    }
    return {};
  },

  stopPlayback({ legId }) {
    leg(legId).finishPlayback('stopped');
    return {};
  },

  async sendDigits({ legId, digits, durationMs, gapMs }) {
    await leg(legId).sendDigits(digits, durationMs, gapMs);
    return {};
  },

  injectDigit({ legId, digit }) {
    leg(legId).injectDigit(digit);
    return {};
  },

  async record({ legId, path, mode }) {
    const l = leg(legId);
    if (l.recorder) throw new MediaError('ALREADY_RECORDING', `leg ${legId} is already recording`);
    const rec = await WavRecorder.open(path, mode, l.codec);
    if (legs.get(legId) !== l || l.recorder) {
      await rec.close();
      throw new MediaError('UNKNOWN_LEG', `leg ${legId} went away while its recording opened`);
    }
    l.recorder = rec;
    l.updateInboundNeed();
    return {};
  },

  pauseRecording({ legId, paused }) {
    const rec = leg(legId).recorder;
    if (!rec) throw new MediaError('NOT_RECORDING', `leg ${legId} is not recording`);
    return { changed: rec.setPaused(paused), atMs: rec.durationMs };
  },

  async stopRecording({ legId }) {
    const l = leg(legId);
    const rec = l.recorder;
    if (!rec) throw new MediaError('NOT_RECORDING', `leg ${legId} is not recording`);
    l.recorder = undefined;
    l.updateInboundNeed();
    return rec.close();
  },

  bridge({ a, b }) {
    const la = leg(a);
    const lb = leg(b);
    if (la === lb) throw new MediaError('BAD_REQUEST', 'cannot bridge a leg to itself');
    unbridge(la);
    unbridge(lb);
    la.peer = lb;
    lb.peer = la;
    la.updateInboundNeed();
    lb.updateInboundNeed();
    return {};
  },

  unbridge({ legId }) {
    unbridge(leg(legId));
    return {};
  },

  stats({ legId }) {
    return leg(legId).stats();
  },

  mix({ legId, sources }) {
    const l = leg(legId);
    const others = sources.map((id) => leg(id));
    if (others.includes(l)) throw new MediaError('BAD_REQUEST', 'a leg cannot hear its own inbound audio');
    l.setExtras(others);
    return {};
  },

  async release({ legId }) {
    const l = leg(legId);
    legs.delete(legId);
    l.setExtras([]);
    for (const o of legs.values()) o.dropExtra(l);
    removeFromSlot(l);
    return l.close();
  },

  workerStats() {
    const st = loop?.stats();
    const elu = performance.eventLoopUtilization(eluMark);
    eluMark = performance.eventLoopUtilization();
    return {
      workerIndex,
      legs: legs.size,
      runs: st?.runs ?? 0,
      wakeups: st?.wakeups ?? 0,
      resyncs: st?.resyncs ?? 0,
      skipped: st?.skipped ?? 0,
      lateRuns: st?.lateRuns ?? 0,
      latenessP50: st?.latenessP50 ?? 0,
      latenessP99: st?.latenessP99 ?? 0,
      latenessMax: st?.latenessMax ?? 0,
      elu: elu.utilization,
      faults,
    };
  },
});
