/**
 * The messages between MediaEngine (main thread) and a media worker, declared once as
 * zod schemas: the worker validates every request before acting on it, the engine
 * validates every response and event. Types for both sides are inferred from here.
 */
import { isIP } from 'node:net';
import { z } from 'zod';
import { defineProtocol } from './channel.ts';

/** Bytes in any backing store (a transferred ArrayBuffer or a prompt's SharedArrayBuffer). */
const bytesSchema = z.custom<Uint8Array>((v) => v instanceof Uint8Array, 'a Uint8Array');

export const codecSchema = z.enum(['PCMU', 'PCMA']);
export const directionSchema = z.enum(['sendrecv', 'sendonly', 'recvonly', 'inactive']);
export const legIdSchema = z.string().min(1).max(64);
export const recordModeSchema = z.enum(['mono', 'stereo', 'mixed']);
const recordingResultSchema = z.object({
  path: z.string(),
  durationMs: z.number(),
  pauses: z.array(z.object({ startMs: z.number(), endMs: z.number() })),
});
export const playbackResultSchema = z.enum(['done', 'interrupted', 'stopped']);
export const digitSchema = z.string().regex(/^[0-9*#A-Da-d]$/, 'a DTMF digit 0-9 * # A-D');
export const digitsSchema = z.string().regex(/^[0-9*#A-Da-d]{1,64}$/, 'DTMF digits 0-9 * # A-D');

/** An IP literal and port: the engine never resolves names (the SIP layer hands us SDP c= addresses). */
export const endpointSchema = z.object({
  address: z.string().refine((a) => isIP(a) !== 0, 'an IPv4 or IPv6 literal'),
  port: z.number().int().min(0).max(65535),
});

export const legConfigSchema = z.object({
  remote: endpointSchema,
  /** Where to send RTCP; default remote port + 1 (RFC 3550 §11), or the SDP a=rtcp (RFC 3605). */
  rtcp: endpointSchema.optional(),
  codec: codecSchema,
  payloadType: z.number().int().min(0).max(127),
  telephoneEventPt: z.number().int().min(0).max(127).optional(),
  /** Our direction after the offer/answer (RFC 3264 §6.1). */
  direction: directionSchema.default('sendrecv'),
  /** Emit rtpTimeout after this long without inbound RTP while receiving (0: off). */
  rtpTimeoutMs: z.number().int().min(0).optional(),
  /**
   * Symmetric RTP (RFC 4961) latching: 'auto' latches onto packets from the SDP address,
   * or from any source sending the negotiated payload types when that address is private
   * or unspecified (a NATed phone); 'any' always latches onto the first such source;
   * 'off' sends only to the SDP address and accepts only packets from it.
   */
  latching: z.enum(['auto', 'any', 'off']).default('auto'),
});

export const sourceSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('prompt'), id: z.string().min(1) }),
  z.object({ kind: z.literal('g711'), codec: codecSchema, data: bytesSchema }),
  z.object({ kind: z.literal('silence'), ms: z.number().int().min(1) }),
]);

export const legStatsSchema = z.object({
  legId: legIdSchema,
  port: z.number().int(),
  ssrc: z.number().int(),
  packetsSent: z.number().int(),
  octetsSent: z.number().int(),
  packetsReceived: z.number().int(),
  octetsReceived: z.number().int(),
  /** RFC 3550 A.3 cumulative number of packets lost. */
  packetsLost: z.number().int(),
  /** RFC 3550 A.8 interarrival jitter, in ms. */
  jitterMs: z.number(),
  /** Ticks this leg sent late in a catch-up burst or skipped in a resync. */
  lateTicks: z.number().int(),
  /** Packets from sources other than the latched remote (dropped). */
  foreignPackets: z.number().int(),
  /** Packets that are not RTP, or carry a payload type we did not negotiate. */
  invalidPackets: z.number().int(),
  sendErrors: z.number().int(),
  digitsReceived: z.number().int(),
  rtcpSent: z.number().int(),
  rtcpReceived: z.number().int(),
  /** Round-trip time from the far end's report blocks (RFC 3550 §6.4.1), if any. */
  rttMs: z.number().optional(),
  /** Where we send RTP now (the latched source once latched). */
  remote: endpointSchema.nullable(),
  latched: z.boolean(),
  /** Frames the bridge/recording FIFO replaced with silence. */
  underruns: z.number().int(),
});

export const workerStatsSchema = z.object({
  workerIndex: z.number().int(),
  legs: z.number().int(),
  runs: z.number().int(),
  wakeups: z.number().int(),
  resyncs: z.number().int(),
  skipped: z.number().int(),
  lateRuns: z.number().int(),
  latenessP50: z.number(),
  latenessP99: z.number(),
  latenessMax: z.number(),
  /** Event-loop utilisation of the worker since the previous workerStats call (0..1): its share of one core. */
  elu: z.number(),
  /** Exceptions caught in a leg's tick or packet handler (each is also sent as a fault event). */
  faults: z.number().int(),
});

export const playoutOptionsSchema = z.object({
  periodMs: z.number().positive().optional(),
  slots: z.number().int().min(1).max(20).optional(),
  maxCatchUpPeriods: z.number().int().min(0).optional(),
  earlyMs: z.number().min(0).max(5).optional(),
  spinMs: z.number().min(0).max(5).optional(),
});

const ok = z.object({});

export const mediaProtocol = defineProtocol({
  requests: {
    init: {
      request: z.object({
        workerIndex: z.number().int().min(0),
        host: z.string().refine((a) => isIP(a) !== 0, 'an IP literal'),
        cname: z.string().min(1),
        playout: playoutOptionsSchema,
        rtpTimeoutMs: z.number().int().min(0),
        connectLatched: z.boolean(),
        /** Nice value for the worker thread (Linux: per thread; needs CAP_SYS_NICE below 0). */
        niceness: z.number().int().min(-20).max(19).optional(),
      }),
      response: z.object({ niceness: z.number().int().optional(), nicenessError: z.string().optional() }),
    },
    bind: {
      request: z.object({ legId: legIdSchema, port: z.number().int().min(1).max(65534), near: legIdSchema.optional() }),
      response: z.object({ port: z.number().int() }),
    },
    configure: { request: z.object({ legId: legIdSchema, config: legConfigSchema }), response: ok },
    loadPrompt: {
      request: z.object({ id: z.string().min(1), codec: codecSchema, data: bytesSchema }),
      response: ok,
    },
    unloadPrompt: { request: z.object({ id: z.string().min(1) }), response: ok },
    play: {
      request: z.object({
        legId: legIdSchema,
        playId: z.number().int(),
        source: sourceSchema,
        loop: z.boolean().default(false),
        bargeIn: z.boolean().default(false),
      }),
      response: ok,
    },
    stopPlayback: { request: z.object({ legId: legIdSchema }), response: ok },
    sendDigits: {
      request: z.object({
        legId: legIdSchema,
        digits: digitsSchema,
        durationMs: z.number().int().min(40).max(5000).default(100),
        gapMs: z.number().int().min(0).max(5000).default(40),
      }),
      response: ok,
    },
    injectDigit: { request: z.object({ legId: legIdSchema, digit: digitSchema }), response: ok },
    record: { request: z.object({ legId: legIdSchema, path: z.string().min(1), mode: recordModeSchema }), response: ok },
    /** Pause (silence in the file) or resume a leg's recording; atMs is where in the file. */
    pauseRecording: {
      request: z.object({ legId: legIdSchema, paused: z.boolean() }),
      response: z.object({ changed: z.boolean(), atMs: z.number() }),
    },
    stopRecording: {
      request: z.object({ legId: legIdSchema }),
      response: recordingResultSchema,
    },
    bridge: { request: z.object({ a: legIdSchema, b: legIdSchema }), response: ok },
    unbridge: { request: z.object({ legId: legIdSchema }), response: ok },
    /** What legId sends becomes its peer's audio mixed with these legs' inbound audio (supervision); [] ends it. */
    mix: { request: z.object({ legId: legIdSchema, sources: z.array(legIdSchema).max(4) }), response: ok },
    stats: { request: z.object({ legId: legIdSchema }), response: legStatsSchema },
    release: {
      request: z.object({ legId: legIdSchema }),
      response: z.object({
        stats: legStatsSchema,
        recording: recordingResultSchema.optional(),
      }),
    },
    workerStats: { request: z.object({}), response: workerStatsSchema },
  },
  events: {
    digit: z.object({ legId: legIdSchema, digit: z.string().length(1), source: z.enum(['rfc4733', 'info']) }),
    playbackDone: z.object({ legId: legIdSchema, playId: z.number().int(), reason: playbackResultSchema }),
    rtpTimeout: z.object({ legId: legIdSchema }),
    /** Something threw inside the worker and was contained (for the engine's log). */
    fault: z.object({ legId: legIdSchema.optional(), message: z.string() }),
  },
});

export type MediaProtocol = typeof mediaProtocol;
export type G711Codec = z.infer<typeof codecSchema>;
export type Direction = z.infer<typeof directionSchema>;
export type RecordMode = z.infer<typeof recordModeSchema>;
export type PlaybackResult = z.infer<typeof playbackResultSchema>;
export type LegConfig = z.output<typeof legConfigSchema>;
export type LegConfigInput = z.input<typeof legConfigSchema>;
export type PlaySource = z.infer<typeof sourceSchema>;
export type LegStats = z.infer<typeof legStatsSchema>;
export type WorkerStats = z.infer<typeof workerStatsSchema>;
export type PlayoutSettings = z.infer<typeof playoutOptionsSchema>;
