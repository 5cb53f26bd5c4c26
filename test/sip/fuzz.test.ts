/**
 * Property tests for the SIP syntax layer: the parser fails only with SipParseError on
 * any input, and parse ∘ serialize is stable.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import fc from 'fast-check';
import { parseMessage, SipParseError } from '../../src/sip/parser.ts';
import { serializeMessage } from '../../src/sip/serialize.ts';
import { createRequest, createResponse } from '../../src/sip/build.ts';
import { getHeaders, parseCSeq, parseNameAddr, parseVia } from '../../src/sip/headers.ts';
import { formatUri, parseUri } from '../../src/sip/uri.ts';
import type { SipMessage } from '../../src/sip/message.ts';

const seeds: Buffer[] = [];
for (const set of ['rfc4475', 'rfc5118', 'sip']) {
  const dir = new URL(`../fixtures/${set}/`, import.meta.url);
  for (const f of readdirSync(dir)) if (f.endsWith('.sip')) seeds.push(readFileSync(new URL(f, dir)));
}

/** Runs `fn`; a SipParseError is an allowed outcome, anything else fails the property. */
function onlySipParseError<T>(fn: () => T): T | undefined {
  try {
    return fn();
  } catch (e) {
    if (e instanceof SipParseError) return undefined;
    throw e;
  }
}

const noLength = (m: SipMessage): SipMessage => ({ ...m, headers: m.headers.filter((h) => h.name !== 'Content-Length') });

/** What a server does with a message it accepted: every structured reader, then re-send. */
function exercise(m: SipMessage): void {
  if (m.kind === 'request') onlySipParseError(() => parseUri(m.uri));
  for (const v of getHeaders(m, 'Via')) onlySipParseError(() => parseVia(v));
  for (const name of ['To', 'From', 'Contact', 'Route', 'Record-Route']) {
    for (const v of getHeaders(m, name)) {
      const na = onlySipParseError(() => parseNameAddr(v));
      if (na !== undefined && na.uri !== '*') {
        const u = onlySipParseError(() => parseUri(na.uri));
        if (u !== undefined) onlySipParseError(() => parseUri(formatUri(u)));
      }
    }
  }
  for (const v of getHeaders(m, 'CSeq')) onlySipParseError(() => parseCSeq(v));
  const out = serializeMessage(m);
  const again = parseMessage(out);
  assert.deepEqual(noLength(again), noLength(m));
  assert.deepEqual(serializeMessage(again), out);
}

function check(buf: Buffer): void {
  let m: SipMessage;
  try {
    m = parseMessage(buf);
  } catch (e) {
    if (!(e instanceof SipParseError)) throw e;
    // A server answers a rejected request from its partial: that must work too.
    if (e.partial !== undefined) serializeMessage(createResponse(e.partial, e.status, e.reason));
    return;
  }
  exercise(m);
}

const SPECIAL = [..."\r\n \t:;,<>\"\\%[]@=?/*", '\r\n', '\r\n ', '\n\n', '\r\n\r\n', 'l: 9\r\n', ',,', '%00', '\u00e9', '"'];

type Mutation =
  | { kind: 'flip'; at: number; byte: number }
  | { kind: 'insert'; at: number; text: string }
  | { kind: 'delete'; at: number; length: number }
  | { kind: 'duplicate'; at: number; length: number }
  | { kind: 'truncate'; at: number };

const at = fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true });
const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at, byte: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant('insert' as const), at, text: fc.oneof(fc.constantFrom(...SPECIAL), fc.string({ maxLength: 6 })) }),
  fc.record({ kind: fc.constant('delete' as const), at, length: fc.integer({ min: 1, max: 40 }) }),
  fc.record({ kind: fc.constant('duplicate' as const), at, length: fc.integer({ min: 1, max: 80 }) }),
  fc.record({ kind: fc.constant('truncate' as const), at }),
);

function mutate(seed: Buffer, mutations: readonly Mutation[]): Buffer {
  let b = seed;
  for (const mu of mutations) {
    const i = Math.floor(mu.at * (b.length + 1));
    switch (mu.kind) {
      case 'flip': {
        const c = Buffer.from(b);
        if (i < c.length) c[i] = mu.byte;
        b = c;
        break;
      }
      case 'insert':
        b = Buffer.concat([b.subarray(0, i), Buffer.from(mu.text, 'utf8'), b.subarray(i)]);
        break;
      case 'delete':
        b = Buffer.concat([b.subarray(0, i), b.subarray(i + mu.length)]);
        break;
      case 'duplicate':
        b = Buffer.concat([b.subarray(0, i + mu.length), b.subarray(i)]);
        break;
      case 'truncate':
        b = b.subarray(0, i);
        break;
    }
  }
  return b;
}

describe('parseMessage never fails with anything but SipParseError', () => {
  test('arbitrary bytes', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 1500 }), (bytes) => check(Buffer.from(bytes))), { numRuns: 3000 });
  });

  test('arbitrary text shaped like a message', () => {
    const line = fc.oneof(fc.string({ maxLength: 40 }), fc.constantFrom('Via: SIP/2.0/UDP h;branch=z9hG4bK1', 'To: <sip:a@b>', 'From: <sip:c@d>;tag=1', 'Call-ID: x', 'CSeq: 1 OPTIONS', 'l: 0', ' folded'));
    const startLine = fc.oneof(fc.constantFrom('OPTIONS sip:a@b SIP/2.0', 'SIP/2.0 200 OK'), fc.string({ maxLength: 40 }));
    fc.assert(
      fc.property(startLine, fc.array(line, { maxLength: 12 }), fc.string({ maxLength: 30 }), (start, lines, body) =>
        check(Buffer.from([start, ...lines].join('\r\n') + '\r\n\r\n' + body, 'utf8')),
      ),
      { numRuns: 3000 },
    );
  });

  test('mutated torture and captured messages', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: seeds.length - 1 }), fc.array(mutation, { minLength: 1, maxLength: 4 }), (k, muts) =>
        check(mutate(seeds[k] as Buffer, muts)),
      ),
      { numRuns: 4000 },
    );
  });
});

// Messages built as values from generated parts.
const token = fc.stringMatching(/^[A-Za-z0-9.!%*_+`'~-]{1,10}$/);
const method = fc.oneof(fc.constantFrom('INVITE', 'ACK', 'BYE', 'CANCEL', 'OPTIONS', 'REGISTER', 'INFO', 'NOTIFY'), token);
const host = fc.oneof(fc.domain(), fc.ipV4(), fc.ipV6().map((a) => `[${a}]`));
const userPart = fc.string({ minLength: 1, maxLength: 10, unit: 'grapheme' });
const sipUri = fc
  .record({ user: fc.option(userPart, { nil: undefined }), host, port: fc.option(fc.integer({ min: 1, max: 65535 }), { nil: undefined }) })
  .map(({ user, host: h, port }) => formatUri({ scheme: 'sip', ...(user === undefined ? {} : { user }), host: h, ...(port === undefined ? {} : { port }), params: new Map(), headers: new Map() }));
// Header values as the parser delivers them: no line breaks, no surrounding SP/HTAB.
const value = fc
  .string({ maxLength: 30, unit: 'grapheme' })
  .map((s) => s.replace(/[\r\n]/g, '').replace(/^[ \t]+|[ \t]+$/g, ''));
const extraHeader = fc.tuple(fc.stringMatching(/^X-[A-Za-z0-9-]{1,10}$/), value.map((v) => v.replace(/,/g, ';')));

const request = fc
  .record({
    method,
    uri: sipUri,
    viaHost: host,
    branch: token,
    from: sipUri,
    to: sipUri,
    tag: token,
    callId: fc.stringMatching(/^[A-Za-z0-9.!%*_+`'~()<>:\\"/[\]?{}-]{1,20}(@[a-z0-9.]{1,10})?$/),
    seq: fc.integer({ min: 0, max: 4294967295 }),
    extras: fc.array(extraHeader, { maxLength: 6 }),
    body: fc.uint8Array({ maxLength: 200 }),
  })
  .map((r) =>
    createRequest({
      method: r.method,
      uri: r.uri,
      headers: [
        ['Via', `SIP/2.0/UDP ${r.viaHost};branch=z9hG4bK${r.branch}`],
        ['Max-Forwards', '70'],
        ['From', `<${r.from}>;tag=${r.tag}`],
        ['To', `<${r.to}>`],
        ['Call-ID', r.callId],
        ['CSeq', `${r.seq} ${r.method}`],
        ...r.extras,
      ],
      body: Buffer.from(r.body),
    }),
  );

describe('parse ∘ serialize on generated messages', () => {
  test('a generated request parses back to itself, and serializing again gives the same bytes', () => {
    fc.assert(
      fc.property(request, (m) => {
        const bytes = serializeMessage(m);
        const back = parseMessage(bytes);
        assert.deepEqual(back, m);
        assert.deepEqual(serializeMessage(back), bytes);
      }),
      { numRuns: 1000 },
    );
  });

  test('responses built from generated requests parse back to themselves', () => {
    fc.assert(
      fc.property(request, fc.integer({ min: 100, max: 699 }), value, token, (req, status, reason, tag) => {
        const r = createResponse(req, status, reason, { toTag: tag });
        const back = parseMessage(serializeMessage(r));
        assert.deepEqual(back, r);
      }),
      { numRuns: 500 },
    );
  });
});
