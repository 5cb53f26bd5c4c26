/**
 * Where a request for a URI goes. No DNS (RFC 3263) yet: a SIP URI's host must be an
 * address, and its port defaults to 5060 (§19.1.2). The transport comes from the URI's
 * `transport` parameter, else from the flow the dialog was learned on (a TCP phone that
 * leaves the parameter out still talks TCP), else UDP.
 */
import type { Endpoint } from '../message.ts';
import { parseNameAddr } from '../headers.ts';
import { parseUri } from '../uri.ts';

export class TargetError extends Error {
  override readonly name = 'TargetError';
}

function stripBrackets(host: string): string {
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}

export function endpointForUri(uriText: string, fallback: Endpoint['transport'] = 'udp'): Endpoint {
  const uri = parseUri(uriText);
  if (uri.scheme === 'tel') throw new TargetError(`cannot route a tel: URI without a gateway: ${uriText}`);
  const t = uri.params.get('transport')?.toLowerCase();
  const transport: Endpoint['transport'] = t === 'tcp' ? 'tcp' : t === 'ws' || t === 'wss' ? 'ws' : t === 'udp' ? 'udp' : fallback;
  const maddr = uri.params.get('maddr');
  return { transport, host: stripBrackets(maddr ?? uri.host), port: uri.port ?? 5060 };
}

/**
 * §8.1.2 / §12.2.1.1: a request goes to the first Route if there is one, else to the
 * Request-URI.
 */
export function nextHop(requestUri: string, routeSet: readonly string[], fallback: Endpoint['transport']): Endpoint {
  const first = routeSet[0];
  return endpointForUri(first !== undefined ? parseNameAddr(first).uri : requestUri, fallback);
}
