/**
 * Which number an INVITE dialled, as candidates in the order a line is looked up:
 *
 *  1. the Request-URI user part (RFC 3261 §8.1.1.1: the Request-URI names the target; a
 *     carrier trunk puts the dialled number there, sip:4008001111@… or tel:+886…);
 *  2. the To user part (§8.1.1.2, §20.39: the logical recipient, which a proxy that
 *     retargets the Request-URI leaves alone);
 *  3. P-Called-Party-ID (RFC 3455 §4.2; the P-header family of RFC 3325's trust model):
 *     the number the caller dialled, set by an IMS/carrier core;
 *  4. the first Diversion entry (RFC 5806 §3: the most recent redirection first; its
 *     URI is the number that diverted to us, e.g. a published number forwarded to a DID).
 *
 * A user part carries a telephone-subscriber (§19.1.1 user=phone; RFC 3966): parameters
 * after ';' (isub, phone-context, …) are not part of the number and visual separators
 * ("-", ".", "(", ")") are dropped. Anything that is not a number after that is skipped;
 * duplicates are dropped, keeping the first source.
 */
import { getHeader, parseNameAddr } from '../sip/headers.ts';
import type { SipRequest } from '../sip/message.ts';
import { splitList } from '../sip/parser.ts';
import { parseUri } from '../sip/uri.ts';

export type DialledSource = 'request-uri' | 'to' | 'p-called-party-id' | 'diversion';

export interface DialledCandidate {
  readonly source: DialledSource;
  /** Digits with an optional leading "+". */
  readonly number: string;
}

const NUMBER = /^\+?[0-9]{2,20}$/;
const VISUAL_SEPARATORS = /[-.()]/g;

/** The number in a sip:/sips:/tel: URI's user part, or undefined when it holds none. */
export function numberOfUri(uriText: string): string | undefined {
  let raw: string | undefined;
  try {
    const uri = parseUri(uriText);
    raw = uri.scheme === 'tel' ? uri.number : uri.user;
  } catch {
    return undefined;
  }
  if (raw === undefined) return undefined;
  const semi = raw.indexOf(';');
  const number = (semi < 0 ? raw : raw.slice(0, semi)).replace(VISUAL_SEPARATORS, '');
  return NUMBER.test(number) ? number : undefined;
}

function numberOfNameAddr(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  try {
    return numberOfUri(parseNameAddr(value).uri);
  } catch {
    return undefined;
  }
}

export function dialledCandidates(request: SipRequest): DialledCandidate[] {
  const found: [DialledSource, string | undefined][] = [
    ['request-uri', numberOfUri(request.uri)],
    ['to', numberOfNameAddr(getHeader(request, 'To'))],
    ['p-called-party-id', numberOfNameAddr(getHeader(request, 'P-Called-Party-ID'))],
  ];
  const diversion = getHeader(request, 'Diversion');
  found.push(['diversion', numberOfNameAddr(diversion === undefined ? undefined : splitList(diversion)[0])]);
  const out: DialledCandidate[] = [];
  for (const [source, number] of found) {
    if (number !== undefined && !out.some((c) => c.number === number)) out.push({ source, number });
  }
  return out;
}
