/**
 * Splits a SIP byte stream (TCP, TLS) into messages.
 *
 * RFC 3261 §18.3: over a stream the message boundary is known only from Content-Length,
 * which is therefore mandatory there; a message without it, or with a value that is not a
 * number, leaves the stream unframeable and the connection has to be closed.
 * RFC 3261 §7.5: CRLFs before a start-line are ignored. RFC 5626 §3.5.1: a double CRLF
 * where a message could start is a keep-alive "ping", answered with a single CRLF "pong".
 *
 * The framer reads Content-Length itself (long form and compact "l", any case) so that
 * framing does not depend on the full parser: a message that frames but does not parse is
 * still a clean boundary, and the next message on the stream survives.
 */

export type Frame = { readonly kind: 'message'; readonly bytes: Buffer } | { readonly kind: 'ping' };

export interface FrameResult {
  readonly frames: Frame[];
  /** Set once the stream cannot be framed any more; the caller must close the connection. */
  readonly error?: string;
}

export interface StreamFramerOptions {
  /** Largest message (headers + body) accepted; a bigger one is a framing error. */
  readonly maxMessageSize?: number;
}

export const DEFAULT_MAX_MESSAGE_SIZE = 65_535;

const CR = 0x0d;
const LF = 0x0a;
const PING: Frame = Object.freeze({ kind: 'ping' });
const EMPTY = Buffer.alloc(0);

/**
 * Where the framer is in the stream:
 * - boundary: between messages, where CRLFs are keep-alives or noise;
 * - headers: inside a header section, looking for its terminating empty line;
 * - body: header section read, waiting for `need` bytes in total.
 */
type Phase = 'boundary' | 'headers' | 'body';

export class StreamFramer {
  private readonly max: number;
  /** Bytes received but not yet emitted; starts at the current message (or boundary). */
  private buf: Buffer = EMPTY;
  private phase: Phase = 'boundary';
  /** In 'headers': offset where the search for "\r\n\r\n" resumes, so byte-wise feeding stays linear. */
  private scanFrom = 0;
  /** In 'body': total length of the current message. */
  private need = 0;
  /** At a boundary a lone CRLF ended the previous chunk: half of a split ping, or a pong. */
  private pendingCrlf = false;
  private failed: string | undefined;

  constructor(opts: StreamFramerOptions = {}) {
    this.max = opts.maxMessageSize ?? DEFAULT_MAX_MESSAGE_SIZE;
  }

  /** Feeds one chunk. Never throws; after an error every further push returns that error. */
  push(chunk: Buffer): FrameResult {
    const frames: Frame[] = [];
    if (this.failed !== undefined) return { frames, error: this.failed };
    if (chunk.length === 0) return { frames };
    const buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    const error = this.drain(buf, frames);
    if (error !== undefined) {
      this.failed = error;
      this.buf = EMPTY;
      return { frames, error };
    }
    return { frames };
  }

  /** Bytes held waiting for the rest of a message. */
  get buffered(): number {
    return this.buf.length;
  }

  private drain(buf: Buffer, frames: Frame[]): string | undefined {
    let pos = 0;
    for (;;) {
      if (this.phase === 'boundary') {
        const next = this.skipCrlfs(buf, pos, frames);
        if (next < 0) {
          pos = -next - 1;
          break;
        }
        pos = next;
        if (pos >= buf.length) break;
        // A start-line begins with a method token or "SIP/" (§7.1, §7.2): anything else
        // (a TLS hello, binary noise) can never frame, so fail now rather than at max size.
        if (!isTokenChar(buf[pos]!)) return 'garbage where a start-line should begin';
        this.phase = 'headers';
        this.scanFrom = 0;
      }
      if (this.phase === 'headers') {
        const end = findHeaderEnd(buf, pos + this.scanFrom);
        if (end < 0) {
          if (buf.length - pos > this.max) return `header section exceeds ${this.max} bytes`;
          // Resume three bytes back: the terminator may straddle chunks.
          this.scanFrom = Math.max(0, buf.length - pos - 3);
          break;
        }
        const headerLength = end + 4 - pos;
        const bodyLength = readContentLength(buf, pos, end);
        if (typeof bodyLength === 'string') return bodyLength;
        if (headerLength + bodyLength > this.max) return `message of ${headerLength + bodyLength} bytes exceeds ${this.max}`;
        this.need = headerLength + bodyLength;
        this.phase = 'body';
      }
      if (buf.length - pos < this.need) break;
      frames.push({ kind: 'message', bytes: buf.subarray(pos, pos + this.need) });
      pos += this.need;
      this.phase = 'boundary';
    }
    this.buf = pos >= buf.length ? EMPTY : buf.subarray(pos);
    return undefined;
  }

  /**
   * Skips CRLFs at a message boundary (§7.5), emitting a ping for each "\r\n\r\n"
   * (RFC 5626 §3.5.1). Returns the position of the first other byte, or -(pos + 1) when
   * the bytes from pos on are the start of a CRLF sequence whose meaning depends on bytes
   * not received yet.
   */
  private skipCrlfs(buf: Buffer, start: number, frames: Frame[]): number {
    let pos = start;
    for (;;) {
      const left = buf.length - pos;
      if (left === 0) return pos;
      if (buf[pos] !== CR) {
        this.pendingCrlf = false;
        return pos;
      }
      if (left === 1) return -(pos + 1); // a lone CR: wait for its LF
      if (buf[pos + 1] !== LF) return pos; // CR without LF: let the start-line check reject it
      if (this.pendingCrlf) {
        // The second half of a ping that was split across chunks.
        this.pendingCrlf = false;
        frames.push(PING);
        pos += 2;
        continue;
      }
      if (left >= 4 && buf[pos + 2] === CR && buf[pos + 3] === LF) {
        frames.push(PING);
        pos += 4;
        continue;
      }
      if (left === 2) {
        // The chunk ends in one CRLF: a pong, a stray CRLF, or the first half of a ping.
        this.pendingCrlf = true;
        return pos + 2;
      }
      if (left === 3 && buf[pos + 2] === CR) {
        this.pendingCrlf = true;
        return -(pos + 2 + 1); // keep the trailing CR
      }
      // A single CRLF before a start-line: stray (§7.5) or a pong; nothing to answer.
      pos += 2;
    }
  }
}

/** RFC 3261 §25.1 token characters. */
function isTokenChar(b: number): boolean {
  return (
    (b >= 0x41 && b <= 0x5a) || // A-Z
    (b >= 0x61 && b <= 0x7a) || // a-z
    (b >= 0x30 && b <= 0x39) || // 0-9
    b === 0x2d || b === 0x2e || b === 0x21 || b === 0x25 || b === 0x2a || // - . ! % *
    b === 0x5f || b === 0x2b || b === 0x60 || b === 0x27 || b === 0x7e // _ + ` ' ~
  );
}

/** Index of the "\r\n\r\n" that ends the header section, searching from `from`; -1 if absent. */
function findHeaderEnd(buf: Buffer, from: number): number {
  let i = buf.indexOf(CR, from);
  while (i >= 0 && i + 3 < buf.length) {
    if (buf[i + 1] === LF && buf[i + 2] === CR && buf[i + 3] === LF) return i;
    i = buf.indexOf(CR, i + 1);
  }
  return -1;
}

/**
 * Content-Length from the header section that starts at `start` and whose last line ends
 * at `end` — long form or compact "l" (§7.3.3), any case (§7.3.1), value possibly folded.
 * Returns the length, or the reason the stream cannot be framed (§18.3).
 */
function readContentLength(buf: Buffer, start: number, end: number): number | string {
  let found = -1;
  // The start-line never carries a header: begin at the second line.
  let line = buf.indexOf(LF, start) + 1;
  while (line > 0 && line < end + 2) {
    const eol = lineEnd(buf, line, end);
    const value = contentLengthValueStart(buf, line, eol);
    if (value >= 0) {
      const n = parseDigits(buf, value, eol);
      if (n < 0) return 'malformed Content-Length';
      if (found >= 0 && found !== n) return 'conflicting Content-Length values';
      found = n;
    }
    line = eol + 2;
  }
  return found < 0 ? 'missing Content-Length on a stream' : found;
}

/** Index of the CR ending the logical header line that starts at `line`, following folds (§7.3.1). */
function lineEnd(buf: Buffer, line: number, end: number): number {
  let i = buf.indexOf(CR, line);
  while (i >= 0 && i < end) {
    const next = buf[i + 2];
    if (buf[i + 1] === LF && next !== 0x20 && next !== 0x09) return i;
    i = buf.indexOf(CR, i + 1);
  }
  return end;
}

const CONTENT_LENGTH = Buffer.from('content-length', 'latin1');

/** If the line is a Content-Length header, the index just after its colon; otherwise -1. */
function contentLengthValueStart(buf: Buffer, line: number, eol: number): number {
  const first = buf[line]! | 0x20;
  let i: number;
  if (first === 0x6c /* l */) i = line + 1;
  else if (first === 0x63 /* c */ && eol - line >= CONTENT_LENGTH.length && equalsLower(buf, line, CONTENT_LENGTH))
    i = line + CONTENT_LENGTH.length;
  else return -1;
  while (i < eol && (buf[i] === 0x20 || buf[i] === 0x09)) i++;
  return buf[i] === 0x3a /* : */ && i < eol ? i + 1 : -1;
}

function equalsLower(buf: Buffer, at: number, lower: Buffer): boolean {
  for (let k = 0; k < lower.length; k++) {
    const b = buf[at + k]!;
    // Only letters are folded; "-" must match exactly.
    if ((b >= 0x41 && b <= 0x5a ? b | 0x20 : b) !== lower[k]) return false;
  }
  return true;
}

/** Optional LWS, 1–9 digits, optional LWS; -1 for anything else. */
function parseDigits(buf: Buffer, from: number, to: number): number {
  let i = from;
  while (i < to && isLws(buf[i]!)) i++;
  let n = 0;
  let digits = 0;
  while (i < to && buf[i]! >= 0x30 && buf[i]! <= 0x39) {
    if (++digits > 9) return -1;
    n = n * 10 + (buf[i]! - 0x30);
    i++;
  }
  while (i < to && isLws(buf[i]!)) i++;
  return digits === 0 || i !== to ? -1 : n;
}

function isLws(b: number): boolean {
  return b === 0x20 || b === 0x09 || b === CR || b === LF;
}
