import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { serializeMessage } from '../../src/sip/serialize.ts';
import { parseMessage, SipParseError } from '../../src/sip/parser.ts';
import { createRequest, createResponse } from '../../src/sip/build.ts';
import type { SipMessage, SipRequest, SipResponse } from '../../src/sip/message.ts';

const dir = (name: string): URL => new URL(`../fixtures/${name}/`, import.meta.url);

function fixtures(name: string): [string, Buffer][] {
  return readdirSync(dir(name))
    .filter((f) => f.endsWith('.sip'))
    .map((f) => [f, readFileSync(new URL(f, dir(name)))]);
}

function parsesOrNull(buf: Buffer): SipMessage | null {
  try {
    return parseMessage(buf);
  } catch (e) {
    if (e instanceof SipParseError) return null;
    throw e;
  }
}

describe('serializeMessage: byte-exact output', () => {
  test('a request built as a value', () => {
    const m: SipRequest = {
      kind: 'request',
      method: 'INVITE',
      uri: 'sip:bob@biloxi.example.com',
      headers: [
        { name: 'Via', value: 'SIP/2.0/UDP client.atlanta.example.com:5060;branch=z9hG4bK74bf9' },
        { name: 'Max-Forwards', value: '70' },
        { name: 'From', value: 'Alice <sip:alice@atlanta.example.com>;tag=9fxced76sl' },
        { name: 'To', value: 'Bob <sip:bob@biloxi.example.com>' },
        { name: 'Call-ID', value: '3848276298220188511@atlanta.example.com' },
        { name: 'CSeq', value: '1 INVITE' },
        { name: 'Content-Type', value: 'text/plain' },
      ],
      body: Buffer.from('hé'),
    };
    const expected =
      'INVITE sip:bob@biloxi.example.com SIP/2.0\r\n' +
      'Via: SIP/2.0/UDP client.atlanta.example.com:5060;branch=z9hG4bK74bf9\r\n' +
      'Max-Forwards: 70\r\n' +
      'From: Alice <sip:alice@atlanta.example.com>;tag=9fxced76sl\r\n' +
      'To: Bob <sip:bob@biloxi.example.com>\r\n' +
      'Call-ID: 3848276298220188511@atlanta.example.com\r\n' +
      'CSeq: 1 INVITE\r\n' +
      'Content-Type: text/plain\r\n' +
      'Content-Length: 3\r\n' +
      '\r\n' +
      'hé';
    assert.deepEqual(serializeMessage(m), Buffer.from(expected, 'utf8'));
  });

  test('a response; a wrong Content-Length is replaced where it stood; empty values are `Name:`', () => {
    const m: SipResponse = {
      kind: 'response',
      status: 200,
      reason: 'OK',
      headers: [
        { name: 'Via', value: 'SIP/2.0/UDP h;branch=z9hG4bK1' },
        { name: 'Content-Length', value: '999' },
        { name: 'Supported', value: '' },
        { name: 'l', value: '7' },
      ],
      body: Buffer.from([0, 1, 2]),
    };
    assert.deepEqual(
      serializeMessage(m),
      Buffer.concat([Buffer.from('SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nContent-Length: 3\r\nSupported:\r\n\r\n'), Buffer.from([0, 1, 2])]),
    );
  });

  test('an empty reason phrase keeps its SP', () => {
    const m: SipResponse = { kind: 'response', status: 100, reason: '', headers: [], body: Buffer.alloc(0) };
    assert.equal(serializeMessage(m).toString(), 'SIP/2.0 100 \r\nContent-Length: 0\r\n\r\n');
  });

  test('line breaks in values or start lines are refused (no header injection)', () => {
    const base = createRequest({ method: 'OPTIONS', uri: 'sip:a@b' });
    assert.throws(() => serializeMessage({ ...base, headers: [{ name: 'Subject', value: 'x\r\nVia: evil' }] }));
    assert.throws(() => serializeMessage({ ...base, headers: [{ name: 'Bad:Name', value: 'x' }] }));
    assert.throws(() => serializeMessage({ ...base, uri: 'sip:a@b SIP/2.0\r\nX: y' }));
    assert.throws(() => serializeMessage({ kind: 'response', status: 200, reason: 'OK\r\nX: y', headers: [], body: Buffer.alloc(0) }));
  });

  test('the input value is not modified', () => {
    const m = createRequest({ method: 'OPTIONS', uri: 'sip:a@b', headers: [['Content-Length', '42']], body: 'xy' });
    const before = JSON.stringify(m);
    serializeMessage(m);
    assert.equal(JSON.stringify(m), before);
  });
});

describe('round trips on real bytes', () => {
  test('captured messages serialize back to the same bytes, list headers one value per line', () => {
    for (const [name, bytes] of fixtures('sip')) {
      if (name === 'sipp-uac-invite.sip' || name === 'sipp-uas-200-invite.sip') continue;
      let expected = bytes.toString('utf8');
      // The parser splits list headers (§7.3.1); they come out as one field per value.
      expected = expected.replace(/^Allow: (.*)\r$/m, (_, list: string) => list.split(',').map((v) => `Allow: ${v}`).join('\r\n') + '\r');
      assert.equal(serializeMessage(parseMessage(bytes)).toString('utf8'), expected, name);
    }
  });

  test("SIPp's padded Content-Length is the only thing normalised", () => {
    for (const name of ['sipp-uac-invite.sip', 'sipp-uas-200-invite.sip']) {
      const bytes = readFileSync(new URL(name, dir('sip')));
      const out = serializeMessage(parseMessage(bytes));
      assert.deepEqual(out, Buffer.from(bytes.toString('latin1').replace('Content-Length:   129', 'Content-Length: 129'), 'latin1'), name);
    }
  });

  test('every message that parses is stable under parse ∘ serialize (RFC 4475, RFC 5118, captures)', () => {
    let parsed = 0;
    for (const set of ['rfc4475', 'rfc5118', 'sip']) {
      for (const [name, bytes] of fixtures(set)) {
        const first = parsesOrNull(bytes);
        if (first === null) continue;
        parsed++;
        const out = serializeMessage(first);
        const second = parseMessage(out);
        // Equal but for Content-Length, which serialization always states (inv2543 had none).
        const noLength = (m: SipMessage): SipMessage => ({ ...m, headers: m.headers.filter((h) => h.name !== 'Content-Length') });
        assert.deepEqual(noLength(second), noLength(first), name);
        const again = serializeMessage(second);
        assert.deepEqual(again, out, name);
        assert.deepEqual(parseMessage(again), second, name);
      }
    }
    assert.ok(parsed >= 40, `${parsed} fixtures parsed`);
  });

  test('wsinv comes out unfolded with canonical names, and its body intact', () => {
    const bytes = readFileSync(new URL('wsinv.sip', dir('rfc4475')));
    const text = serializeMessage(parseMessage(bytes)).toString('latin1');
    assert.ok(text.startsWith('INVITE sip:vivekg@chair-dnrc.example.com;unknownparam SIP/2.0\r\nTo: sip:vivekg@chair-dnrc.example.com ;   tag    = 1918181833n\r\n'));
    assert.ok(text.includes('\r\nVia: SIP  / 2.0  / TCP     spindle.example.com   ; branch  =   z9hG4bK9ikj8\r\nVia: SIP  /    2.0   / UDP  192.168.255.111   ; branch= z9hG4bK30239\r\n'));
    assert.ok(text.includes('\r\nSubject:\r\n'));
    assert.ok(text.endsWith('\r\n\r\n' + bytes.toString('latin1').split('\r\n\r\n')[1]));
  });
});
