/**
 * Recording retention (C16): a queue whose recording config sets retentionDays has its
 * recordings deleted — the WAV (in the audio store, or under the data directory), then its record, audited as
 * 'recording.expire' — once they are that many days old. Runs at start and then hourly; a
 * file already gone is no reason to keep the record. Queues without retentionDays keep theirs.
 */
import { localAudioStore, type AudioStore } from '../../storage/audio-store.ts';
import type { Clock } from '../../clock.ts';
import type { Logger } from '../../log.ts';
import type { QueuesRepository } from '../../store/repositories/queues.ts';
import type { RecordingsRepository } from '../../store/repositories/recordings.ts';

const DAY_MS = 86_400_000;
const BATCH = 100;

export interface RetentionOptions {
  readonly tenantId: string;
  readonly dataDir: string;
  readonly clock: Clock;
  readonly log: Logger;
  readonly queues: Pick<QueuesRepository, 'list'>;
  readonly recordings: Pick<RecordingsRepository, 'expired' | 'remove'>;
  /** Where the WAVs are; default the data directory. */
  readonly audio?: Pick<AudioStore, 'remove'>;
  /** Default one hour. */
  readonly everyMs?: number;
}

export class RecordingRetention {
  private timer: ReturnType<typeof setInterval> | undefined;
  private running: Promise<number> | undefined;

  constructor(private readonly opts: RetentionOptions) {}

  start(): void {
    void this.sweep();
    this.timer = setInterval(() => void this.sweep(), this.opts.everyMs ?? 3_600_000);
    this.timer.unref();
  }

  /** Deletes what is past its queue's retention; resolves with how many recordings went. One sweep at a time. */
  sweep(): Promise<number> {
    this.running ??= this.run()
      .catch((err: unknown) => {
        this.opts.log.error({ err: String(err) }, 'recording retention sweep failed');
        return 0;
      })
      .finally(() => (this.running = undefined));
    return this.running;
  }

  private async run(): Promise<number> {
    const { tenantId, clock, recordings, log } = this.opts;
    const audio = this.opts.audio ?? localAudioStore(this.opts.dataDir);
    let removed = 0;
    for (const q of await this.opts.queues.list(tenantId)) {
      const days = q.config.recording.retentionDays;
      if (days === undefined) continue;
      const before = new Date(clock.wallNow() - days * DAY_MS);
      for (let batch = await recordings.expired(tenantId, q.name, before, BATCH); batch.length > 0; batch = await recordings.expired(tenantId, q.name, before, BATCH)) {
        for (const r of batch) {
          await audio.remove(r.path);
          await recordings.remove(tenantId, r.id, 'retention');
          removed++;
        }
      }
    }
    if (removed > 0) log.info({ removed }, 'recordings past their retention deleted');
    return removed;
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }
}
