/**
 * SIP messages as plain values (RFC 3261 §7). The parser (parser.ts) produces these and
 * the serializer (serialize.ts) turns them back into bytes; everything above the
 * transport layer works on these values, never on raw text.
 *
 * Header model: an ordered list of single values. The parser expands compact forms
 * (§7.3.3: "v" → "Via") into the canonical long name and splits comma-separated lists
 * (§7.3.1) of the headers whose grammar allows them, so one Header is one value.
 */

export interface Header {
  /** Canonical long form, e.g. "Via", "Call-ID", "CSeq", "WWW-Authenticate". */
  readonly name: string;
  /** The value with leading/trailing whitespace trimmed and line folding (LWS) collapsed. */
  readonly value: string;
}

export interface SipRequest {
  readonly kind: 'request';
  readonly method: string;
  /** The Request-URI as written (parse it with uri.ts parseUri). */
  readonly uri: string;
  readonly headers: readonly Header[];
  readonly body: Buffer;
}

export interface SipResponse {
  readonly kind: 'response';
  readonly status: number;
  readonly reason: string;
  readonly headers: readonly Header[];
  readonly body: Buffer;
}

export type SipMessage = SipRequest | SipResponse;

/** URI parameters keep insertion order; a parameter without value maps to null (e.g. ";lr"). */
export type Params = Map<string, string | null>;

/** sip: / sips: URI (RFC 3261 §19.1). Host is lower-cased; an IPv6 reference keeps its brackets. */
export interface SipUri {
  readonly scheme: 'sip' | 'sips';
  readonly user?: string;
  readonly password?: string;
  readonly host: string;
  readonly port?: number;
  readonly params: Params;
  readonly headers: Params;
}

/** tel: URI (RFC 3966). */
export interface TelUri {
  readonly scheme: 'tel';
  readonly number: string;
  readonly params: Params;
}

export type Uri = SipUri | TelUri;

/** A Via header value (§20.42). */
export interface Via {
  readonly protocol: string; // "SIP/2.0"
  readonly transport: string; // upper-case: UDP, TCP, WS, TLS …
  readonly host: string;
  readonly port?: number;
  readonly params: Params; // branch, received, rport, maddr, ttl …
}

/** name-addr / addr-spec with header parameters: From, To, Contact, Route, Record-Route (§20.10, §25.1). */
export interface NameAddr {
  readonly displayName?: string;
  /** The URI text inside <> (or the bare addr-spec). "*" for Contact: *. */
  readonly uri: string;
  readonly params: Params; // tag, expires, q …
}

export interface CSeq {
  readonly seq: number;
  readonly method: string;
}

/** Where a message goes or came from. */
export interface Endpoint {
  readonly transport: 'udp' | 'tcp' | 'ws';
  readonly host: string;
  readonly port: number;
}
