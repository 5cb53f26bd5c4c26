/**
 * The runtime's view of the store (RuntimeStore) built from the repositories: the one
 * place that ties the IVR to them. Two things here keep the store off each call's path:
 * - call records go through a CallRecordWriter (batched writes, see record-writer.ts);
 * - the line a number reaches is remembered for a second (LineLookupCache), like the
 *   published-flow pointers in flow-loader.ts: a line changed through the API (its flow,
 *   its numbers) reaches new calls within that second, on this node as on any other.
 */
import type { Kysely } from 'kysely';
import type { Clock } from '../clock.ts';
import { createLogger, type Logger } from '../log.ts';
import type { Database } from '../store/schema.ts';
import { announcementsRepository } from '../store/repositories/announcements.ts';
import { callsRepository } from '../store/repositories/calls.ts';
import { flowsRepository } from '../store/repositories/flows.ts';
import { linesRepository } from '../store/repositories/lines.ts';
import { schedulesRepository } from '../store/repositories/schedules.ts';
import { LineLookupCache } from './line-cache.ts';
import { CallRecordWriter } from './record-writer.ts';
import type { RuntimeStore } from './runtime-store.ts';

export interface RuntimeStoreOptions {
  /** Where the record writer reports retries and refusals; default warnings and errors on stdout. */
  readonly log?: Logger;
  /** Longest a call record write waits for its batch; default 50 ms. */
  readonly recordFlushMs?: number;
  /** How long a number's line is remembered; default 1 s, 0 turns the cache off. */
  readonly lineTtlMs?: number;
}

export function storeForRuntime(db: Kysely<Database>, clock: Clock, opts: RuntimeStoreOptions = {}): RuntimeStore {
  const lines = linesRepository(db, clock);
  const schedules = schedulesRepository(db, clock);
  const lineCache = new LineLookupCache((digits) => lines.lineForCall(digits), clock, opts.lineTtlMs ?? 1000);
  return {
    lineForCall: (digits) => lineCache.get(digits),
    flows: flowsRepository(db, clock),
    schedules: (tenantId) => schedules.list(tenantId),
    announcements: announcementsRepository(db, clock),
    calls: new CallRecordWriter({
      calls: callsRepository(db, clock),
      clock,
      log: opts.log ?? createLogger({ level: 'warn' }),
      ...(opts.recordFlushMs !== undefined ? { flushMs: opts.recordFlushMs } : {}),
    }),
  };
}
