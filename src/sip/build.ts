/**
 * Building requests and responses as values.
 *
 * createResponse follows RFC 3261 §8.2.6: the response copies Via (all, in order), From,
 * To, Call-ID and CSeq from the request, adds a To tag when one is given and the request
 * had none, and carries Content-Length.
 */
import type { Header, SipRequest, SipResponse, Uri } from './message.ts';
import { canonicalHeaderName, isToken } from './parser.ts';
import { getHeader, getHeaders, parseNameAddr } from './headers.ts';
import { formatUri } from './uri.ts';

/** Header list input: Header values or [name, value] pairs; names are canonicalised. */
export type HeaderInput = readonly (Header | readonly [string, string])[];

function toHeaders(input: HeaderInput | undefined): Header[] {
  if (input === undefined) return [];
  return input.map((h) =>
    'name' in h ? { name: canonicalHeaderName(h.name), value: h.value } : { name: canonicalHeaderName(h[0]), value: h[1] },
  );
}

function toBody(body: Buffer | string | undefined): Buffer {
  if (body === undefined) return Buffer.alloc(0);
  return typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
}

/** Replaces any Content-Length by the body's length, in place, or appends it. */
function withContentLength(headers: Header[], length: number): Header[] {
  const value = String(length);
  const out: Header[] = [];
  let placed = false;
  for (const h of headers) {
    if (h.name !== 'Content-Length') out.push(h);
    else if (!placed) {
      out.push({ name: 'Content-Length', value });
      placed = true;
    }
  }
  if (!placed) out.push({ name: 'Content-Length', value });
  return out;
}

export interface RequestInit {
  readonly method: string;
  readonly uri: string | Uri;
  /** In wire order. Nothing is added but Content-Length (§8.1.1 headers are the caller's). */
  readonly headers?: HeaderInput;
  readonly body?: Buffer | string;
}

export function createRequest(init: RequestInit): SipRequest {
  if (!isToken(init.method)) throw new Error(`bad method ${JSON.stringify(init.method)}`);
  const body = toBody(init.body);
  return {
    kind: 'request',
    method: init.method,
    uri: typeof init.uri === 'string' ? init.uri : formatUri(init.uri),
    headers: withContentLength(toHeaders(init.headers), body.length),
    body,
  };
}

export interface ResponseExtras {
  /** Added to To when the request's To has no tag (§8.2.6.2; 100 Trying normally has none). */
  readonly toTag?: string;
  /** Appended after the copied headers, in order. */
  readonly headers?: HeaderInput;
  readonly body?: Buffer | string;
}

// Requests whose responses can create a dialog (§12.1.1, RFC 6665 §4.1.2.1, RFC 3515).
const DIALOG_CREATING = new Set(['INVITE', 'SUBSCRIBE', 'REFER', 'NOTIFY']);

/**
 * A response to `request`. Also copies Timestamp into a 100 (§8.2.6.1) and Record-Route
 * into a 101-299 response to a dialog-creating request (§12.1.1). Works on the `partial`
 * of a SipParseError too: headers the request lacks are simply not copied.
 */
export function createResponse(request: SipRequest, status: number, reason?: string, extras: ResponseExtras = {}): SipResponse {
  if (!Number.isInteger(status) || status < 100 || status > 699) throw new Error(`bad status ${status}`);
  const headers: Header[] = [];
  for (const value of getHeaders(request, 'Via')) headers.push({ name: 'Via', value });
  const from = getHeader(request, 'From');
  if (from !== undefined) headers.push({ name: 'From', value: from });
  let to = getHeader(request, 'To');
  if (to !== undefined && extras.toTag !== undefined && !hasTag(to)) to = `${to};tag=${extras.toTag}`;
  if (to !== undefined) headers.push({ name: 'To', value: to });
  const callId = getHeader(request, 'Call-ID');
  if (callId !== undefined) headers.push({ name: 'Call-ID', value: callId });
  const cseq = getHeader(request, 'CSeq');
  if (cseq !== undefined) headers.push({ name: 'CSeq', value: cseq });
  if (status === 100) {
    const timestamp = getHeader(request, 'Timestamp');
    if (timestamp !== undefined) headers.push({ name: 'Timestamp', value: timestamp });
  }
  if (status > 100 && status < 300 && DIALOG_CREATING.has(request.method)) {
    for (const value of getHeaders(request, 'Record-Route')) headers.push({ name: 'Record-Route', value });
  }
  headers.push(...toHeaders(extras.headers));
  const body = toBody(extras.body);
  return {
    kind: 'response',
    status,
    reason: reason ?? reasonPhrase(status),
    headers: withContentLength(headers, body.length),
    body,
  };
}

function hasTag(to: string): boolean {
  try {
    return parseNameAddr(to).params.has('tag');
  } catch {
    // A malformed To (answering a partial request with 400): leave it as it came.
    return true;
  }
}

const REASONS: Record<number, string> = {
  100: 'Trying',
  180: 'Ringing',
  181: 'Call Is Being Forwarded',
  182: 'Queued',
  183: 'Session Progress',
  199: 'Early Dialog Terminated',
  200: 'OK',
  202: 'Accepted',
  204: 'No Notification',
  300: 'Multiple Choices',
  301: 'Moved Permanently',
  302: 'Moved Temporarily',
  305: 'Use Proxy',
  380: 'Alternative Service',
  400: 'Bad Request',
  401: 'Unauthorized',
  402: 'Payment Required',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  406: 'Not Acceptable',
  407: 'Proxy Authentication Required',
  408: 'Request Timeout',
  410: 'Gone',
  412: 'Conditional Request Failed',
  413: 'Request Entity Too Large',
  414: 'Request-URI Too Long',
  415: 'Unsupported Media Type',
  416: 'Unsupported URI Scheme',
  417: 'Unknown Resource-Priority',
  420: 'Bad Extension',
  421: 'Extension Required',
  422: 'Session Interval Too Small',
  423: 'Interval Too Brief',
  428: 'Use Identity Header',
  429: 'Provide Referrer Identity',
  433: 'Anonymity Disallowed',
  436: 'Bad Identity-Info',
  437: 'Unsupported Certificate',
  438: 'Invalid Identity Header',
  439: 'First Hop Lacks Outbound Support',
  440: 'Max-Breadth Exceeded',
  469: 'Bad Info Package',
  470: 'Consent Needed',
  480: 'Temporarily Unavailable',
  481: 'Call/Transaction Does Not Exist',
  482: 'Loop Detected',
  483: 'Too Many Hops',
  484: 'Address Incomplete',
  485: 'Ambiguous',
  486: 'Busy Here',
  487: 'Request Terminated',
  488: 'Not Acceptable Here',
  489: 'Bad Event',
  491: 'Request Pending',
  493: 'Undecipherable',
  494: 'Security Agreement Required',
  500: 'Server Internal Error',
  501: 'Not Implemented',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Server Time-out',
  505: 'Version Not Supported',
  513: 'Message Too Large',
  555: 'Push Notification Service Not Supported',
  580: 'Precondition Failure',
  600: 'Busy Everywhere',
  603: 'Decline',
  604: 'Does Not Exist Anywhere',
  606: 'Not Acceptable',
  607: 'Unwanted',
  608: 'Rejected',
};

/** The RFC's reason phrase for a status code ('' for codes without one: the phrase may be empty, §25.1). */
export function reasonPhrase(status: number): string {
  return REASONS[status] ?? '';
}
