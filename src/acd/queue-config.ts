/**
 * A queue's configuration: the zod schema stored as jsonb in `queues.config` and validated at
 * the API and the store. Every optional knob has a default so a queue can be declared with just
 * a name; parse once (queueConfigSchema.parse) and the pure ACD modules read the output type.
 *
 * Nested objects use `.prefault({})` (zod 4): the empty object is parsed, so the inner
 * defaults apply (zod 4's `.default({})` would return `{}` unparsed).
 */
import { z } from 'zod';
import { WEEKDAYS } from '../schedules/schedule.ts';

const HHMM_OPEN = /^([01]\d|2[0-3]):[0-5]\d$/;
const HHMM_CLOSE = /^(([01]\d|2[0-3]):[0-5]\d|24:00)$/;

/** Where a call goes when the queue is full or it waited too long. */
export const queueTargetSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('voicemail') }),
  z.strictObject({ kind: z.literal('callback') }),
  z.strictObject({ kind: z.literal('queue'), queue: z.string().min(1) }),
  z.strictObject({ kind: z.literal('flow'), flow: z.string().min(1) }),
]);
export type QueueTarget = z.infer<typeof queueTargetSchema>;

/** One escalation tier (seeds: three tiers by load), evaluated by tiers.ts with hysteresis. */
export const tierLevelSchema = z.strictObject({
  name: z.string().min(1),
  when: z
    .strictObject({
      waitingAtLeast: z.number().int().min(0).optional(),
      longestWaitSecondsAtLeast: z.number().min(0).optional(),
      ewtSecondsAtLeast: z.number().min(0).optional(),
      /** Fraction 0..1 (service level = answered within target / offered). */
      serviceLevelBelow: z.number().min(0).max(1).optional(),
    })
    .prefault({}),
  addGroups: z.array(z.string()).default([]),
  announcementPreset: z.strictObject({ line: z.string(), slot: z.string(), preset: z.string() }).optional(),
  /** Release thresholds: the at-least thresholds × this; serviceLevelBelow x → 1 − (1 − x) × this (tiers.ts). */
  releaseBelowFactor: z.number().gt(0).max(1).default(0.8),
  holdSeconds: z.number().int().min(0).default(120),
});
export type TierLevel = z.infer<typeof tierLevelSchema>;

export const queueConfigSchema = z.strictObject({
  name: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/), // referenced by flows' queue nodes
  displayName: z.string().optional(),
  priority: z.number().int().min(0).max(100).default(50), // higher first across queues sharing agents
  requiredSkills: z
    .array(z.strictObject({ skill: z.string(), minProficiency: z.number().int().min(1).max(10).default(1) }))
    .default([]),
  strategy: z.enum(['longest-idle', 'least-occupied', 'best-skill', 'round-robin']).default('longest-idle'),
  customerTypes: z
    .strictObject({
      vipPriorityBoost: z.number().int().min(0).max(100).default(20),
      returningPriorityBoost: z.number().int().min(0).max(100).default(0),
      sameAgentWithinSeconds: z.number().int().min(0).default(0),
    })
    .prefault({}),
  relax: z
    .array(
      z.strictObject({
        afterSeconds: z.number().int().min(1),
        minProficiency: z.number().int().min(1).max(10).optional(),
        dropSkills: z.array(z.string()).optional(),
      }),
    )
    .default([]),
  overflow: z.array(z.strictObject({ afterSeconds: z.number().int().min(1), queue: z.string() })).default([]),
  maxSize: z.number().int().min(1).optional(),
  maxWaitSeconds: z.number().int().min(1).optional(),
  onFull: queueTargetSchema.default({ kind: 'voicemail' }),
  onMaxWait: queueTargetSchema.default({ kind: 'voicemail' }),
  ringTimeoutSeconds: z.number().int().min(1).default(20),
  wrapUpSeconds: z.number().int().min(0).default(10),
  /** The codes an agent may give a call of this queue after it (empty: any code of 1–64 characters). */
  wrapUpCodes: z.array(z.string().min(1).max(64)).max(200).default([]),
  agentGroups: z.array(z.string()).default([]), // agents in these groups serve the queue (plus skill match)
  announcements: z
    .strictObject({
      positionEverySeconds: z.number().int().min(0).default(45),
      mode: z.enum(['less-than', 'rounded', 'precise']).default('rounded'),
      comfortSlot: z.string().optional(),
      peakShiftingSlot: z.string().optional(),
      callbackKey: z.string().regex(/^[0-9*#]$/).default('#'),
      offerCallbackAfterSeconds: z.number().int().min(0).default(0),
    })
    .prefault({}),
  recording: z
    .strictObject({
      enabled: z.boolean().default(false),
      mode: z.enum(['stereo', 'mixed']).default('stereo'),
      /** Recordings of this queue are deleted (file and record) this many days after the call; unset: kept. */
      retentionDays: z.number().int().min(1).max(3650).optional(),
    })
    .prefault({}),
  serviceLevel: z.strictObject({ targetSeconds: z.number().int().min(1).default(30) }).prefault({}), // seeds: answered within 30 s
  tiers: z.array(tierLevelSchema).default([]),
  voicemail: z
    .strictObject({ maxSeconds: z.number().int().min(1).default(120), createCallback: z.boolean().default(true) })
    .prefault({}),
  callbacks: z
    .strictObject({
      windows: z
        .array(
          z.strictObject({
            days: z.array(z.enum(WEEKDAYS)).min(1),
            open: z.string().regex(HHMM_OPEN, 'open must be HH:MM'),
            close: z.string().regex(HHMM_CLOSE, 'close must be HH:MM (24:00 allowed)'),
          }),
        )
        .default(() => [{ days: [...WEEKDAYS], open: '09:00', close: '21:00' }]),
      maxAttempts: z.number().int().min(1).default(3),
      retrySpacingSeconds: z.number().int().min(0).default(600),
      idleFirst: z.boolean().default(false),
    })
    .prefault({}),
});

/** Parsed configuration: every default filled in. */
export type QueueConfig = z.output<typeof queueConfigSchema>;
/** What an admin may write (defaults optional). */
export type QueueConfigInput = z.input<typeof queueConfigSchema>;

/** Parse and fill defaults; throws a ZodError on invalid input. */
export function parseQueueConfig(input: unknown): QueueConfig {
  return queueConfigSchema.parse(input);
}
