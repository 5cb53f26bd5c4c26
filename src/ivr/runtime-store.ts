/**
 * What the IVR runtime needs from the store, as one narrow interface: the line a dialled
 * number reaches, published flows, a tenant's schedules, announcement slots and the call
 * records. The repositories implement it (see storeForRuntime in store-adapter.ts); the
 * runtime does not know about SQL.
 */
import type { Schedule } from '../schedules/schedule.ts';
import type { AnnouncementSource } from './announcement-cache.ts';
import type { PublishedSource } from './flow-loader.ts';
import type { CallRecord } from './runtime.ts';
import type { JourneyEntry } from '../flows/interpreter.ts';

export interface LineForCall {
  tenantId: string;
  lineId: string;
  lineName: string;
  timeZone: string;
  flowId: string | null;
}

export interface CallRecordsSink {
  start(rec: {
    id: string;
    tenantId: string;
    lineId: string | null;
    caller: string;
    dialled: string;
    legs: CallRecord['legs'];
    flowId: string | null;
    flowVersion: number | null;
    startedAt: Date;
  }): Promise<void>;
  progress(tenantId: string, id: string, update: { journey: JourneyEntry[]; variables: Record<string, string>; legs?: CallRecord['legs'] }): Promise<void>;
  end(
    tenantId: string,
    id: string,
    end: { endedAt: Date; outcome: string; target?: unknown; journey: JourneyEntry[]; variables: Record<string, string>; legs?: CallRecord['legs'] },
  ): Promise<void>;
  /** A batching sink (CallRecordWriter) writes what it still holds; the runtime calls this on close. */
  close?(): Promise<void>;
}

export interface RuntimeStore {
  lineForCall(digits: string): Promise<LineForCall | undefined>;
  flows: PublishedSource;
  schedules(tenantId: string): Promise<{ name: string; schedule: Schedule }[]>;
  announcements: AnnouncementSource;
  calls: CallRecordsSink;
}
