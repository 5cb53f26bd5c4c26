/**
 * Feature codes an agent dials from his own phone (issue 4 §1: states "changed by the phone,
 * e.g. DND"), the way PBX users expect them: *78 do not disturb (a break with reason 'dnd'),
 * *79 back from it. Only an agent may use them: the user agent has already made any INVITE
 * whose From is an agent's prove it with the agent's digest credentials (AgentPhones.
 * screenInvite, RFC 3261 §22.3), so the From user here is the authenticated extension.
 *
 * Refusals are final responses before answering (403 not an agent; 409 when the agent's state
 * does not allow it, e.g. offline). Accepted codes are answered, confirmed with one beep (two
 * for "back"), and hung up: the phone shows a short answered call, as with a PBX.
 */
import type { Call } from '../call/call.ts';
import type { CallRouter, RouteDecision } from '../call/call-manager.ts';
import type { Logger } from '../log.ts';
import { toneG711 } from '../media/tones.ts';
import { getHeader, parseNameAddr } from '../sip/headers.ts';
import type { SipRequest } from '../sip/message.ts';
import { parseUri } from '../sip/uri.ts';
import type { AgentEvent } from '../acd/agent-state.ts';

export const FEATURE_CODES = { '*78': 'dnd-on', '*79': 'dnd-off' } as const;
export type FeatureCode = keyof typeof FEATURE_CODES;

/** The agents the codes act on: the live registry's lookup and reducer. */
export interface FeatureAgents {
  byExt(extension: string): { id: string } | undefined;
  apply(id: string, event: AgentEvent): boolean;
}

interface FeatureRoute {
  readonly feature: FeatureCode;
  readonly extension: string;
}

function userPart(uriText: string): string | undefined {
  try {
    const uri = parseUri(uriText);
    return uri.scheme === 'tel' ? uri.number : uri.user;
  } catch {
    return undefined;
  }
}

/** The feature code a Request-URI dials, if any ("*78", also written %2A78). */
export function featureOf(requestUri: string): FeatureCode | undefined {
  const user = userPart(requestUri);
  const code = user === undefined ? undefined : decodeURIComponent(user);
  return code !== undefined && Object.hasOwn(FEATURE_CODES, code) ? (code as FeatureCode) : undefined;
}

export function isFeatureCall(call: Pick<Call, 'route'>): boolean {
  const r = call.route as Partial<FeatureRoute> | undefined;
  return typeof r === 'object' && r !== null && typeof r.feature === 'string' && typeof r.extension === 'string';
}

export class FeatureCodes {
  /** `agents`: the live agents of the tenant whose agent sent the request (its From's realm). */
  constructor(private readonly opts: { agents: (request: SipRequest) => FeatureAgents | undefined; log: Logger }) {}

  /** A router that takes feature codes and hands every other INVITE to `inner`. */
  wrap(inner: CallRouter): CallRouter {
    return (request) => {
      const feature = featureOf(request.uri);
      return feature === undefined ? inner(request) : this.route(request, feature);
    };
  }

  private route(request: SipRequest, feature: FeatureCode): RouteDecision {
    let extension: string | undefined;
    try {
      extension = userPart(parseNameAddr(getHeader(request, 'From') ?? '').uri);
    } catch {
      extension = undefined;
    }
    const agents = this.opts.agents(request);
    const agent = extension === undefined ? undefined : agents?.byExt(extension);
    if (!agents || !agent || extension === undefined) return { reject: { status: 403, reason: 'Forbidden: feature codes are for agents' } };
    const applied = agents.apply(agent.id, { type: FEATURE_CODES[feature] });
    this.opts.log.info({ extension, feature, applied }, 'agent feature code');
    if (!applied) return { reject: { status: 409, reason: `Conflict: ${FEATURE_CODES[feature]} not possible in the agent's state` } };
    const route: FeatureRoute = { feature, extension };
    return { route, dialled: feature };
  }

  /** Answered feature call: confirm with beeps, then hang up. */
  async handle(call: Call): Promise<void> {
    const { feature } = call.route as FeatureRoute;
    const codec = call.audio.codec.name === 'PCMA' ? 'PCMA' : 'PCMU';
    const beeps = feature === '*78' ? 1 : 2;
    try {
      for (let i = 0; i < beeps && !call.signal.aborted; i++) {
        await call.play({ kind: 'g711', codec, data: toneG711(codec, { frequencyHz: 1400, ms: 200, levelDbfs: -10 }) });
        await call.play({ kind: 'silence', ms: 150 });
      }
    } finally {
      if (!call.signal.aborted) await call.hangup();
    }
  }
}
