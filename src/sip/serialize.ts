/**
 * SIP message to bytes (RFC 3261 §7): start line, one `Name: value` line per Header in
 * order (`Name:` alone for an empty value), the empty line, the body. Content-Length is
 * always written and always equals the body length (§18.3, §20.14): it replaces a given
 * Content-Length where that one stood, or ends the header section when there was none.
 */
import type { SipMessage } from './message.ts';

const CRLF = '\r\n';

function isContentLength(name: string): boolean {
  return name === 'Content-Length' || name === 'l' || name === 'L' || (name.length === 14 && name.toLowerCase() === 'content-length');
}

/** The start line and header section, up to and including the empty line. */
export function serializeHead(msg: SipMessage): string {
  if (msg.kind === 'request' ? /[\s]/.test(msg.method + msg.uri) : /[\r\n]/.test(msg.reason)) {
    throw new Error('start line holds whitespace or a line break where it cannot');
  }
  let head =
    msg.kind === 'request' ? `${msg.method} ${msg.uri} SIP/2.0${CRLF}` : `SIP/2.0 ${msg.status} ${msg.reason}${CRLF}`;
  const contentLength = `Content-Length: ${msg.body.length}${CRLF}`;
  let wroteLength = false;
  for (const h of msg.headers) {
    if (isContentLength(h.name)) {
      if (!wroteLength) head += contentLength;
      wroteLength = true;
      continue;
    }
    // A CR or LF in a value would end the field early and inject whatever follows as
    // headers (or a body). Values from the parser never hold one; refuse built ones.
    if (h.value.indexOf('\n') >= 0 || h.value.indexOf('\r') >= 0 || h.name.indexOf(':') >= 0) {
      throw new Error(`header ${JSON.stringify(h.name)} holds a line break or colon`);
    }
    // An empty value is written `Name:` (as baresip sends `Supported:`), so it round-trips.
    head += h.value.length > 0 ? h.name + ': ' + h.value + CRLF : h.name + ':' + CRLF;
  }
  if (!wroteLength) head += contentLength;
  return head + CRLF;
}

export function serializeMessage(msg: SipMessage): Buffer {
  const head = serializeHead(msg);
  const headLength = Buffer.byteLength(head, 'utf8');
  const out = Buffer.allocUnsafe(headLength + msg.body.length);
  out.write(head, 0, 'utf8');
  msg.body.copy(out, headLength);
  return out;
}
