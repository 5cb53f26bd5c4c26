/**
 * The repositories the API works through, built once per server over the node's store
 * and clock. Every tenant-scoped method takes the tenant id first; handlers pass the
 * caller's, so this is the only door to the data and it is always tenant-filtered.
 */
import type { Kysely } from 'kysely';
import type { Clock } from '../clock.ts';
import type { Database } from '../store/schema.ts';
import { announcementsRepository, type AnnouncementsRepository } from '../store/repositories/announcements.ts';
import { apiKeysRepository, type ApiKeysRepository } from '../store/repositories/api-keys.ts';
import { auditRepository, type AuditRepository } from '../store/repositories/audit.ts';
import { callsRepository, type CallsRepository } from '../store/repositories/calls.ts';
import { flowsRepository, type FlowsRepository } from '../store/repositories/flows.ts';
import { linesRepository, type LinesRepository } from '../store/repositories/lines.ts';
import { schedulesRepository, type SchedulesRepository } from '../store/repositories/schedules.ts';
import { tenantsRepository, type TenantsRepository } from '../store/repositories/tenants.ts';
import { usersRepository, type UsersRepository } from '../store/repositories/users.ts';
import { agentEventsRepository, type AgentEventsRepository } from '../store/repositories/agent-events.ts';
import { agentsRepository, type AgentsRepository } from '../store/repositories/agents.ts';
import { callbacksRepository, type CallbacksRepository } from '../store/repositories/callbacks.ts';
import { queuesRepository, type QueuesRepository } from '../store/repositories/queues.ts';
import { queueCallsRepository, type QueueCallsRepository } from '../store/repositories/queue-calls.ts';
import { recordingsRepository, type RecordingsRepository } from '../store/repositories/recordings.ts';
import { trunksRepository, type TrunksRepository } from '../store/repositories/trunks.ts';
import { voicemailsRepository, type VoicemailsRepository } from '../store/repositories/voicemails.ts';

export interface Services {
  readonly tenants: TenantsRepository;
  readonly users: UsersRepository;
  readonly apiKeys: ApiKeysRepository;
  readonly lines: LinesRepository;
  readonly flows: FlowsRepository;
  readonly schedules: SchedulesRepository;
  readonly announcements: AnnouncementsRepository;
  readonly calls: CallsRepository;
  readonly audit: AuditRepository;
  readonly agents: AgentsRepository;
  readonly agentEvents: AgentEventsRepository;
  readonly queues: QueuesRepository;
  readonly queueCalls: QueueCallsRepository;
  readonly callbacks: CallbacksRepository;
  readonly voicemails: VoicemailsRepository;
  readonly recordings: RecordingsRepository;
  readonly trunks: TrunksRepository;
}

export function services(db: Kysely<Database>, clock: Clock): Services {
  return {
    tenants: tenantsRepository(db, clock),
    users: usersRepository(db, clock),
    apiKeys: apiKeysRepository(db, clock),
    lines: linesRepository(db, clock),
    flows: flowsRepository(db, clock),
    schedules: schedulesRepository(db, clock),
    announcements: announcementsRepository(db, clock),
    calls: callsRepository(db, clock),
    audit: auditRepository(db, clock),
    agents: agentsRepository(db, clock),
    agentEvents: agentEventsRepository(db, clock),
    queues: queuesRepository(db, clock),
    queueCalls: queueCallsRepository(db, clock),
    callbacks: callbacksRepository(db, clock),
    voicemails: voicemailsRepository(db, clock),
    recordings: recordingsRepository(db, clock),
    trunks: trunksRepository(db, clock),
  };
}
