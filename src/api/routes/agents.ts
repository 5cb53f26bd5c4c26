/**
 * Agents: users with an extension, SIP credentials and skills (issue 4 item 1). Named in
 * paths by id or extension. Admins manage everything; supervisors read all agents and
 * change their skills, groups, wrap-up and state; an agent's key (named after its
 * extension or user name) reads and changes only its own state. The SIP password goes in
 * and is kept as HA1 only (the store); it never comes out. The live state comes from the
 * queue runtime when this node runs one, else from the agent state log.
 */
import { z } from 'zod';
import type { AgentSnapshot } from '../../acd/types.ts';
import type { AgentView } from '../../store/repositories/agents.ts';
import type { AgentEvent } from '../../store/repositories/agent-events.ts';
import { type AcdLive, requireOwnAgent, resolveAgent } from '../acd.ts';
import { ADMIN, ALL_ROLES, STAFF, requireRole, type Principal } from '../auth.ts';
import { ApiError } from '../errors.ts';
import type { Registrar } from '../route.ts';
import type { Services } from '../services.ts';

const agentParam = z.string().min(1).max(200).describe('an agent id or extension');
const extension = z.string().regex(/^[0-9]{2,15}$/, 'an extension: 2 to 15 digits');
const sipPassword = z.string().min(4).max(256).describe('SIP digest password; stored as HA1 only, never returned');
const skills = z.record(z.string().min(1).max(64), z.number().int().min(1).max(10)).describe('skill → proficiency 1–10');
const groups = z.array(z.string().min(1).max(64)).max(100);
const wrapUpSeconds = z.number().int().min(0).max(3600).nullable();
const breakReason = z.string().min(1).max(64);

export interface AgentStateView {
  state: AgentSnapshot['state'];
  since: Date | null;
  reason: string | null;
  /** 'live': this node's queue runtime; 'log': the last entry of the agent state log. */
  source: 'live' | 'log';
}

function stateOf(live: AgentSnapshot | undefined, logged: AgentEvent | undefined): AgentStateView {
  if (live) return { state: live.state, since: new Date(live.stateSince), reason: live.breakReason ?? null, source: 'live' };
  if (logged) return { state: logged.state, since: logged.at, reason: logged.reason, source: 'log' };
  return { state: 'offline', since: null, reason: null, source: 'log' };
}

function view(a: AgentView, state: AgentStateView) {
  const { tenantId: _, ...rest } = a;
  return { ...rest, state };
}

export function registerAgentRoutes(r: Registrar, acd: AcdLive | undefined): void {
  const params = z.object({ agent: agentParam });

  const withState = async (s: Services, tenantId: string, a: AgentView) => {
    const live = acd?.agentState(tenantId, a.id);
    const logged = live ? undefined : (await s.agentEvents.latest(tenantId)).find((e) => e.agentId === a.id);
    return view(a, stateOf(live, logged));
  };

  /** Agents' keys reach only their own agent. */
  const mayTouch = async (s: Services, p: Principal, a: AgentView): Promise<void> => {
    if (p.role !== 'agent') return;
    const own = await requireOwnAgent(s, p);
    if (own.id !== a.id) throw new ApiError('forbidden', 'an agent key may only read and change its own agent');
  };

  r.route({
    method: 'GET',
    path: '/agents',
    summary: "The tenant's agents with skills, groups and state (an agent key: only its own)",
    tag: 'agents',
    access: ALL_ROLES,
    handler: async ({ tenantId, principal }) => {
      const s = r.ctx.services();
      const latest = new Map((await s.agentEvents.latest(tenantId)).map((e) => [e.agentId, e] as const));
      let agents = await s.agents.list(tenantId);
      if (principal.role === 'agent') {
        const own = await requireOwnAgent(s, principal);
        agents = agents.filter((a) => a.id === own.id);
      }
      return agents.map((a) => view(a, stateOf(acd?.agentState(tenantId, a.id), latest.get(a.id))));
    },
  });

  r.route({
    method: 'POST',
    path: '/agents',
    summary: 'Create an agent (a new user named after the extension unless userId is given)',
    tag: 'agents',
    access: ADMIN,
    status: 201,
    body: z.strictObject({
      extension,
      password: sipPassword.optional(),
      userId: z.uuid().optional(),
      displayName: z.string().min(1).max(200).optional(),
      skills: skills.optional(),
      groups: groups.optional(),
      wrapUpSeconds: wrapUpSeconds.optional(),
    }),
    handler: async ({ tenantId, principal, body }) => {
      const s = r.ctx.services();
      const created = await s.agents.create(tenantId, body, principal.actor);
      await acd?.agentsChanged?.(tenantId);
      return withState(s, tenantId, created);
    },
  });

  r.route({
    method: 'GET',
    path: '/agents/{agent}',
    summary: 'An agent with its state (an agent key: only its own)',
    tag: 'agents',
    access: ALL_ROLES,
    params,
    handler: async ({ tenantId, principal, params }) => {
      const s = r.ctx.services();
      const a = await resolveAgent(s, tenantId, params.agent);
      await mayTouch(s, principal, a);
      return withState(s, tenantId, a);
    },
  });

  r.route({
    method: 'PATCH',
    path: '/agents/{agent}',
    summary: "Change an agent's skills, groups, wrap-up (admins, supervisors), extension, name or SIP password (admins)",
    tag: 'agents',
    access: STAFF,
    params,
    body: z.strictObject({
      extension: extension.optional(),
      password: sipPassword.optional(),
      displayName: z.string().min(1).max(200).optional(),
      skills: skills.optional(),
      groups: groups.optional(),
      wrapUpSeconds: wrapUpSeconds.optional(),
    }),
    handler: async ({ tenantId, principal, params, body }) => {
      const s = r.ctx.services();
      if (body.extension !== undefined || body.password !== undefined || body.displayName !== undefined) {
        requireRole(principal, ADMIN, "change an agent's extension, name or SIP password");
      }
      const a = await resolveAgent(s, tenantId, params.agent);
      const updated = await s.agents.update(tenantId, a.id, body, principal.actor);
      // This node's router uses the new skills and groups from the next decision on (other nodes within their refresh period).
      await acd?.agentsChanged?.(tenantId);
      return withState(s, tenantId, updated);
    },
  });

  r.route({
    method: 'DELETE',
    path: '/agents/{agent}',
    summary: 'Remove an agent (its user stays)',
    tag: 'agents',
    access: ADMIN,
    status: 204,
    params,
    handler: async ({ tenantId, principal, params }) => {
      const s = r.ctx.services();
      const a = await resolveAgent(s, tenantId, params.agent);
      await s.agents.remove(tenantId, a.id, principal.actor);
      await acd?.agentsChanged?.(tenantId);
    },
  });

  r.route({
    method: 'PUT',
    path: '/agents/{agent}/state',
    summary: 'Put an agent on break (with a reason code) or back to available (supervisors, admins, the agent itself)',
    description:
      'Goes through the agent state machine of the queue runtime: an offline agent cannot go available (its phone must register), ' +
      'a break asked for while ringing or on a call is taken when the call ends. 409 when the state machine refuses (an offline agent included); 503 on a node without the queue runtime for the tenant.',
    tag: 'agents',
    access: ALL_ROLES,
    params,
    body: z.discriminatedUnion('state', [
      z.strictObject({ state: z.literal('available') }),
      z.strictObject({ state: z.literal('break'), reason: breakReason.optional() }),
    ]),
    errors: { 409: 'the agent state machine refuses the change', 503: 'this node runs no queue runtime' },
    handler: async ({ tenantId, principal, params, body }) => {
      const s = r.ctx.services();
      const a = await resolveAgent(s, tenantId, params.agent);
      await mayTouch(s, principal, a);
      if (!acd) throw new ApiError('unavailable', 'this node runs no queue runtime: agent states cannot be changed here');
      const change = body.state === 'break' ? { state: 'break' as const, reason: body.reason ?? 'break' } : { state: 'available' as const };
      const next = await acd.setAgentState(tenantId, a.id, change);
      return view(a, stateOf(next, undefined));
    },
  });
}
