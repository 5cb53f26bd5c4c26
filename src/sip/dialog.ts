/**
 * Dialog state (RFC 3261 §12) as a plain value, and the rules that create it, build
 * requests inside it, and check requests that arrive in it. No I/O here: the user agent
 * keeps a table of these and replaces entries as sequence numbers move.
 */
import type { Header, NameAddr, SipRequest, SipResponse } from './message.ts';
import { getHeader, getHeaders, parseCSeq, parseNameAddr } from './headers.ts';
import { parseUri } from './uri.ts';

export interface Dialog {
  readonly role: 'uas' | 'uac';
  readonly callId: string;
  readonly localTag: string;
  readonly remoteTag: string;
  /** Our address-of-record with our tag, as it goes in From (UAC) or To (UAS) of our requests. */
  readonly local: NameAddr;
  /** The peer's, as it goes in To of our requests. */
  readonly remote: NameAddr;
  /** §12.1.1/§12.1.2: the peer's Contact URI; refreshed by target-refresh requests (re-INVITE). */
  readonly remoteTarget: string;
  /** §12.1: Route set, in the order our requests carry it. */
  readonly routeSet: readonly string[];
  /** §12.2.1.1: the last CSeq number we used (requests we send go one higher). */
  readonly localSeq: number;
  /** §12.2.2: the highest CSeq number seen from the peer; undefined until it sends one. */
  readonly remoteSeq: number | undefined;
  readonly secure: boolean;
}

export function dialogKey(callId: string, localTag: string, remoteTag: string): string {
  return `${callId}\u0000${localTag}\u0000${remoteTag}`;
}

export function keyOf(d: Pick<Dialog, 'callId' | 'localTag' | 'remoteTag'>): string {
  return dialogKey(d.callId, d.localTag, d.remoteTag);
}

/** The dialog key a request received inside a dialog names (To tag is ours, From tag theirs). */
export function requestDialogKey(request: SipRequest): string | undefined {
  const callId = getHeader(request, 'Call-ID');
  const to = getHeader(request, 'To');
  const from = getHeader(request, 'From');
  if (!callId || !to || !from) return undefined;
  const localTag = parseNameAddr(to).params.get('tag');
  const remoteTag = parseNameAddr(from).params.get('tag');
  if (!localTag || !remoteTag) return undefined;
  return dialogKey(callId, localTag, remoteTag);
}

function contactUri(msg: SipRequest | SipResponse): string {
  const contact = getHeader(msg, 'Contact');
  if (!contact) throw new DialogError('no Contact header: cannot establish a dialog target');
  return parseNameAddr(contact).uri;
}

export class DialogError extends Error {
  override readonly name = 'DialogError';
}

function withTag(na: NameAddr, tag: string): NameAddr {
  const params = new Map(na.params);
  params.set('tag', tag);
  return { ...na, params };
}

/**
 * §12.1.1: a UAS creates the dialog from the INVITE it answers with a 2xx/1xx carrying a
 * To tag. Route set = Record-Route in order; remote target = the request's Contact;
 * remote sequence = the request's CSeq; local sequence starts empty (we pick our own).
 */
export function createUasDialog(request: SipRequest, localTag: string): Dialog {
  const from = parseNameAddr(requireHeader(request, 'From'));
  const to = parseNameAddr(requireHeader(request, 'To'));
  const remoteTag = from.params.get('tag') ?? '';
  const secure = parseUri(request.uri).scheme === 'sips';
  return {
    role: 'uas',
    callId: requireHeader(request, 'Call-ID'),
    localTag,
    remoteTag,
    local: withTag(to, localTag),
    remote: from,
    remoteTarget: contactUri(request),
    routeSet: getHeaders(request, 'Record-Route').map((r) => `<${parseNameAddr(r).uri}>`),
    // Our first request uses a random-ish start below 2^31 (§8.1.1.5); 1 is allowed and simple to read in traces.
    localSeq: 0,
    remoteSeq: parseCSeq(requireHeader(request, 'CSeq')).seq,
    secure,
  };
}

/**
 * §12.1.2: a UAC creates the dialog from a 2xx (or 1xx with To tag) to its INVITE.
 * Route set = Record-Route of the response in reverse order; remote target = its Contact.
 */
export function createUacDialog(request: SipRequest, response: SipResponse): Dialog {
  const from = parseNameAddr(requireHeader(request, 'From'));
  const to = parseNameAddr(requireHeader(response, 'To'));
  const localTag = from.params.get('tag');
  const remoteTag = to.params.get('tag');
  if (!localTag || !remoteTag) throw new DialogError('From or To tag missing: no dialog');
  return {
    role: 'uac',
    callId: requireHeader(request, 'Call-ID'),
    localTag,
    remoteTag,
    local: from,
    remote: to,
    remoteTarget: contactUri(response),
    routeSet: getHeaders(response, 'Record-Route')
      .map((r) => `<${parseNameAddr(r).uri}>`)
      .reverse(),
    localSeq: parseCSeq(requireHeader(request, 'CSeq')).seq,
    remoteSeq: undefined,
    secure: parseUri(request.uri).scheme === 'sips',
  };
}

function requireHeader(msg: SipRequest | SipResponse, name: string): string {
  const v = getHeader(msg, name);
  if (v === undefined) throw new DialogError(`missing ${name}`);
  return v;
}

export type InDialogCheck =
  | { ok: true; dialog: Dialog }
  /** §12.2.2: a CSeq lower than the remote sequence is out of order → 500. */
  | { ok: false; status: 500; reason: string };

/**
 * §12.2.2: check a request received in the dialog and advance the remote sequence.
 * ACK and CANCEL carry the CSeq of the request they refer to and do not move it.
 */
export function acceptInDialogRequest(dialog: Dialog, request: SipRequest): InDialogCheck {
  if (request.method === 'ACK' || request.method === 'CANCEL') return { ok: true, dialog };
  const seq = parseCSeq(requireHeader(request, 'CSeq')).seq;
  if (dialog.remoteSeq !== undefined && seq <= dialog.remoteSeq) {
    // NOTE: equal CSeq is a retransmission that the transaction layer absorbs before we
    // see it; reaching here it is a new request with a stale number, so it is out of order.
    return { ok: false, status: 500, reason: 'CSeq out of order' };
  }
  let next: Dialog = { ...dialog, remoteSeq: seq };
  // §12.2.2: a target refresh request (re-INVITE, UPDATE) replaces the remote target.
  if (request.method === 'INVITE' || request.method === 'UPDATE') {
    const contact = getHeader(request, 'Contact');
    if (contact) next = { ...next, remoteTarget: parseNameAddr(contact).uri };
  }
  return { ok: true, dialog: next };
}

function formatNa(na: NameAddr): string {
  let out = na.displayName !== undefined ? `"${na.displayName.replace(/(["\\])/g, '\\$1')}" <${na.uri}>` : `<${na.uri}>`;
  for (const [k, v] of na.params) out += v === null ? `;${k}` : `;${k}=${v}`;
  return out;
}

export interface InDialogRequest {
  readonly request: SipRequest;
  readonly dialog: Dialog;
}

/**
 * §12.2.1.1: build a request inside the dialog. The Request-URI is the remote target
 * (loose routing, RFC 3261 §16.12) unless the first route lacks `lr` (strict routing:
 * the first route becomes the Request-URI and the remote target goes last in Route).
 * CSeq is one more than the last local one, except ACK (the INVITE's number, §13.2.2.4)
 * and CANCEL (built from the INVITE itself, §9.1, not here).
 * The caller adds Via (the transport layer completes sent-by) and Contact where needed.
 */
export function createInDialogRequest(
  dialog: Dialog,
  method: string,
  opts: { headers?: readonly Header[]; body?: Buffer; ackSeq?: number; maxForwards?: number } = {},
): InDialogRequest {
  const isAck = method === 'ACK';
  const seq = isAck ? (opts.ackSeq ?? dialog.localSeq) : dialog.localSeq + 1;
  let uri = dialog.remoteTarget;
  let routes = [...dialog.routeSet];
  const first = routes[0];
  if (first !== undefined) {
    const firstUri = parseNameAddr(first).uri;
    const parsed = parseUri(firstUri);
    if (parsed.scheme !== 'tel' && !parsed.params.has('lr')) {
      uri = firstUri;
      routes = [...routes.slice(1), `<${dialog.remoteTarget}>`];
    }
  }
  const headers: Header[] = [
    ...routes.map((r) => ({ name: 'Route', value: r })),
    { name: 'Max-Forwards', value: String(opts.maxForwards ?? 70) },
    { name: 'From', value: formatNa(dialog.local) },
    { name: 'To', value: formatNa(dialog.remote) },
    { name: 'Call-ID', value: dialog.callId },
    { name: 'CSeq', value: `${seq} ${method}` },
    ...(opts.headers ?? []),
  ];
  const request: SipRequest = { kind: 'request', method, uri, headers, body: opts.body ?? Buffer.alloc(0) };
  return { request, dialog: isAck ? dialog : { ...dialog, localSeq: seq } };
}
