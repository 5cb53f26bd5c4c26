import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { parseSdp, marshalSdp, SdpError, type SessionDescription } from '../../src/media/sdp.ts';
import { answerOffer, createOffer, parseAnswer, type LocalAudio } from '../../src/media/sdp-negotiate.ts';

const fixture = (name: string): string => readFileSync(new URL(`../fixtures/sdp/${name}`, import.meta.url), 'latin1');
const FIXTURES = [
  'baresip-offer.sdp',
  'sipp-uac-pcap-offer.sdp',
  'sipp-uas-answer.sdp',
  'linphone-like-offer.sdp',
  'hold-sendonly-offer.sdp',
  'hold-rfc2543-offer.sdp',
  'g729-only-offer.sdp',
  'multi-stream-offer.sdp',
];
const LOCAL: LocalAudio = {
  address: '127.0.0.1',
  port: 20000,
  codecs: ['PCMA', 'PCMU'],
  telephoneEvent: true,
  sessionId: '1001',
  sessionVersion: 1,
};

describe('parseSdp / marshalSdp', () => {
  for (const name of FIXTURES) {
    test(`${name} re-marshals byte for byte`, () => {
      const text = fixture(name);
      assert.equal(marshalSdp(parseSdp(text)), text);
    });
  }
  test('fields of the baresip offer', () => {
    const sd = parseSdp(fixture('baresip-offer.sdp'));
    assert.deepEqual(sd.origin, { username: '-', sessionId: '1900746412', sessionVersion: '757445445', netType: 'IN', addrType: 'IP4', address: '192.0.2.2' });
    assert.equal(sd.sessionName, '-');
    assert.deepEqual(sd.connection, { netType: 'IN', addrType: 'IP4', address: '192.0.2.2' });
    assert.deepEqual(sd.timing, [{ start: '0', stop: '0', repeats: [] }]);
    assert.deepEqual(sd.attributes, [{ name: 'tool', value: 'baresip 1.0.0' }]);
    assert.equal(sd.media.length, 1);
    const m = sd.media[0]!;
    assert.equal(m.type, 'audio');
    assert.equal(m.port, 47132);
    assert.equal(m.protocol, 'RTP/AVP');
    assert.deepEqual(m.formats, ['0', '8', '9', '96', '97', '10', '98', '99', '100', '101', '11', '102', '103', '104', '3', '105']);
    assert.deepEqual(m.attributes.at(-1), { name: 'ptime', value: '20' });
    assert.ok(m.attributes.some((a) => a.name === 'sendrecv' && a.value === undefined));
    assert.ok(m.attributes.some((a) => a.name === 'ssrc' && a.value === '3893263170 cname:sip:tester@127.0.0.1'));
  });
  test('bare LF line ends are accepted and marshalled with CRLF', () => {
    const crlf = fixture('sipp-uac-pcap-offer.sdp');
    assert.equal(marshalSdp(parseSdp(crlf.replaceAll('\r\n', '\n'))), crlf);
  });
  test('multicast, bandwidth, repeat times and other rarely seen lines (RFC 4566 §5 example)', () => {
    const text = [
      'v=0',
      'o=jdoe 2890844526 2890842807 IN IP4 10.47.16.5',
      's=SDP Seminar',
      'i=A Seminar on the session description protocol',
      'u=http://www.example.com/seminars/sdp.pdf',
      'e=j.doe@example.com (Jane Doe)',
      'p=+1 617 555-6011',
      'c=IN IP4 224.2.17.12/127',
      'b=CT:128',
      't=2873397496 2873404696',
      'r=7d 1h 0 25h',
      'z=2882844526 -1h 2898848070 0',
      'k=prompt',
      'a=recvonly',
      'm=audio 49170 RTP/AVP 0',
      'i=voice',
      'c=IN IP6 FF15::101/3',
      'b=AS:64',
      'm=video 51372/2 RTP/AVP 99',
      'a=rtpmap:99 h263-1998/90000',
      '',
    ].join('\r\n');
    const sd = parseSdp(text);
    assert.deepEqual(sd.connection, { netType: 'IN', addrType: 'IP4', address: '224.2.17.12', ttl: 127 });
    assert.deepEqual(sd.media[0]!.connections, [{ netType: 'IN', addrType: 'IP6', address: 'FF15::101', numAddresses: 3 }]);
    assert.equal(sd.media[1]!.numPorts, 2);
    assert.deepEqual(sd.timing[0]!.repeats, ['7d 1h 0 25h']);
    assert.equal(marshalSdp(sd), text);
  });
  test('invalid and truncated SDP throws SdpError("invalid")', () => {
    const good = fixture('baresip-offer.sdp');
    const bad: Array<[string, string]> = [
      ['empty', ''],
      ['not SDP', 'hello world\r\n'],
      ['does not start with v=', good.slice(good.indexOf('o='))],
      ['version 1', good.replace('v=0', 'v=1')],
      ['truncated in o=', good.slice(0, 20)],
      ['truncated before s=', good.slice(0, good.indexOf('s='))],
      ['truncated in m=', good.slice(0, good.indexOf('m=audio') + 12)],
      ['bad port', good.replace('m=audio 47132', 'm=audio 99999')],
      ['space around =', good.replace('s=-', 's = -')],
      ['unknown type letter', good.replace('t=0 0', 't=0 0\r\nx=1')],
      ['duplicate o=', good.replace('s=-', 'o=- 1 1 IN IP4 1.2.3.4\r\ns=-')],
      ['bad c=', good.replace('c=IN IP4 192.0.2.2', 'c=IN IP4')],
      ['bad t=', good.replace('t=0 0', 't=now')],
      ['non-numeric session id', good.replace('1900746412', 'abc')],
      ['media-level s=', good + 's=oops\r\n'],
      ['bad b=', good.replace('t=0 0', 'b=AS:fast\r\nt=0 0')],
      ['IP4 c= with too many suffixes', good.replace('c=IN IP4 192.0.2.2', 'c=IN IP4 224.0.0.1/1/2/3')],
    ];
    for (const [name, text] of bad) {
      assert.throws(
        () => parseSdp(text),
        (e: unknown) => e instanceof SdpError && e.code === 'invalid',
        name,
      );
    }
  });
  test('fuzz: arbitrary text either parses or throws SdpError', () => {
    const base = fixture('linphone-like-offer.sdp');
    fc.assert(
      fc.property(fc.integer({ min: 0, max: base.length }), fc.integer({ min: 0, max: base.length }), fc.string({ maxLength: 5 }), (a, b, ins) => {
        const text = base.slice(0, Math.min(a, b)) + ins + base.slice(Math.max(a, b));
        try {
          const sd = parseSdp(text);
          assert.doesNotThrow(() => parseSdp(marshalSdp(sd)));
        } catch (e) {
          assert.ok(e instanceof SdpError, String(e));
        }
      }),
      { numRuns: 1000 },
    );
  });
});

describe('answerOffer (RFC 3264 §6)', () => {
  test('SIPp uac_pcap: PCMA + telephone-event 101 with events 0-11,16', () => {
    const r = answerOffer(parseSdp(fixture('sipp-uac-pcap-offer.sdp')), LOCAL);
    assert.deepEqual(r.codec, { name: 'PCMA', payloadType: 8 });
    assert.equal(r.telephoneEventPt, 101);
    assert.deepEqual(r.remote, { address: '127.0.0.1', port: 47300 });
    assert.equal(r.direction, 'sendrecv');
    assert.equal(r.remoteRtcp, undefined);
    assert.equal(
      marshalSdp(r.answer),
      [
        'v=0',
        'o=surgeline 1001 1 IN IP4 127.0.0.1',
        's=-',
        'c=IN IP4 127.0.0.1',
        't=0 0',
        'm=audio 20000 RTP/AVP 8 101',
        'a=rtpmap:8 PCMA/8000',
        'a=rtpmap:101 telephone-event/8000',
        'a=fmtp:101 0-11',
        'a=ptime:20',
        'a=sendrecv',
        '',
      ].join('\r\n'),
    );
  });
  test('baresip: first offered codec we support wins (PCMU), telephone-event is 105 not 101', () => {
    const r = answerOffer(parseSdp(fixture('baresip-offer.sdp')), LOCAL);
    assert.deepEqual(r.codec, { name: 'PCMU', payloadType: 0 });
    assert.equal(r.telephoneEventPt, 105);
    assert.equal(r.ptime, 20);
    assert.deepEqual(r.remote, { address: '192.0.2.2', port: 47132 });
    assert.deepEqual(r.answer.media[0]!.formats, ['0', '105']);
  });
  test('our codec list filters: PCMA only', () => {
    const r = answerOffer(parseSdp(fixture('baresip-offer.sdp')), { ...LOCAL, codecs: ['PCMA'] });
    assert.deepEqual(r.codec, { name: 'PCMA', payloadType: 8 });
  });
  test('linphone-like: telephone-event at 8000 Hz chosen among three rates; video rejected with port 0', () => {
    const r = answerOffer(parseSdp(fixture('linphone-like-offer.sdp')), LOCAL);
    assert.deepEqual(r.codec, { name: 'PCMU', payloadType: 0 });
    assert.equal(r.telephoneEventPt, 100);
    assert.equal(r.answer.media.length, 2);
    assert.deepEqual(r.answer.media[1], { type: 'video', port: 0, protocol: 'RTP/AVP', formats: ['96', '97'], connections: [], bandwidths: [], attributes: [] });
    assert.match(marshalSdp(r.answer), /\r\nm=video 0 RTP\/AVP 96 97\r\n$/);
  });
  test('without telephoneEvent locally, none is answered', () => {
    const r = answerOffer(parseSdp(fixture('sipp-uac-pcap-offer.sdp')), { ...LOCAL, telephoneEvent: false });
    assert.equal(r.telephoneEventPt, undefined);
    assert.deepEqual(r.answer.media[0]!.formats, ['8']);
  });
  test('hold: a=sendonly offer → we answer recvonly', () => {
    const r = answerOffer(parseSdp(fixture('hold-sendonly-offer.sdp')), LOCAL);
    assert.equal(r.direction, 'recvonly');
    assert.deepEqual(r.codec, { name: 'PCMA', payloadType: 8 });
    assert.ok(r.answer.media[0]!.attributes.some((a) => a.name === 'recvonly'));
  });
  test('RFC 2543 hold: c=0.0.0.0 means do not send', () => {
    const r = answerOffer(parseSdp(fixture('hold-rfc2543-offer.sdp')), LOCAL);
    assert.deepEqual(r.remote, { address: '0.0.0.0', port: 20000 });
    assert.equal(r.direction, 'recvonly');
    const inactive = parseSdp(fixture('hold-rfc2543-offer.sdp').replace('m=audio 20000 RTP/AVP 0\r\n', 'm=audio 20000 RTP/AVP 0\r\na=recvonly\r\n'));
    assert.equal(answerOffer(inactive, LOCAL).direction, 'inactive');
  });
  test('direction table: recvonly → sendonly, inactive → inactive, session-level attribute applies', () => {
    const base = fixture('sipp-uac-pcap-offer.sdp');
    assert.equal(answerOffer(parseSdp(base + 'a=recvonly\r\n'), LOCAL).direction, 'sendonly');
    assert.equal(answerOffer(parseSdp(base + 'a=inactive\r\n'), LOCAL).direction, 'inactive');
    assert.equal(answerOffer(parseSdp(base.replace('t=0 0\r\n', 't=0 0\r\na=sendonly\r\n')), LOCAL).direction, 'recvonly');
    assert.equal(answerOffer(parseSdp(base), { ...LOCAL, direction: 'sendonly' }).direction, 'sendonly');
  });
  test('multi-stream: skips the rejected and the SRTP stream, takes the dynamic PCMU, keeps the m= count', () => {
    const r = answerOffer(parseSdp(fixture('multi-stream-offer.sdp')), LOCAL);
    assert.deepEqual(r.codec, { name: 'PCMU', payloadType: 97 });
    assert.deepEqual(r.remote, { address: '198.51.100.2', port: 40002 });
    assert.deepEqual(r.remoteRtcp, { address: '198.51.100.3', port: 40013 });
    assert.equal(r.ptime, 30);
    assert.deepEqual(
      r.answer.media.map((m) => `${m.type} ${m.port} ${m.protocol} ${m.formats.join(' ')}`),
      ['audio 0 RTP/AVP 0', 'audio 0 RTP/SAVP 0', 'audio 20000 RTP/AVP 97', 'application 0 UDP/BFCP *'],
    );
    assert.ok(r.answer.media[2]!.attributes.some((a) => a.name === 'rtpmap' && a.value === '97 PCMU/8000'));
  });
  test('no common codec → SdpError("incompatible") for a 488', () => {
    for (const name of ['g729-only-offer.sdp']) {
      assert.throws(
        () => answerOffer(parseSdp(fixture(name)), LOCAL),
        (e: unknown) => e instanceof SdpError && e.code === 'incompatible' && /G729|18 4|codec/.test(e.message),
      );
    }
    assert.throws(() => answerOffer(parseSdp(fixture('sipp-uac-pcap-offer.sdp')), { ...LOCAL, codecs: ['PCMU'] }), (e: unknown) => e instanceof SdpError && e.code === 'incompatible');
    const noAudio = parseSdp(fixture('linphone-like-offer.sdp'));
    noAudio.media.shift();
    assert.throws(() => answerOffer(noAudio, LOCAL), (e: unknown) => e instanceof SdpError && e.code === 'incompatible');
    // PCMU at 16 kHz is not G.711
    const wide = parseSdp(fixture('multi-stream-offer.sdp').replace('97 PCMU/8000', '97 PCMU/16000').replace('RTP/AVP 97 0', 'RTP/AVP 97'));
    assert.throws(() => answerOffer(wide, LOCAL), (e: unknown) => e instanceof SdpError && e.code === 'incompatible');
  });
  test('audio without any c= line is invalid', () => {
    const sd = parseSdp(fixture('sipp-uac-pcap-offer.sdp').replace('c=IN IP4 127.0.0.1\r\n', ''));
    assert.throws(() => answerOffer(sd, LOCAL), (e: unknown) => e instanceof SdpError && e.code === 'invalid');
  });
  test('re-INVITE: the answer keeps our o= session id and increments its version (RFC 3264 §8)', () => {
    const first = answerOffer(parseSdp(fixture('sipp-uac-pcap-offer.sdp')), LOCAL).answer;
    const hold = answerOffer(parseSdp(fixture('hold-sendonly-offer.sdp')), { ...LOCAL, sessionId: 'ignored', previous: first });
    assert.deepEqual(hold.answer.origin, { ...first.origin, sessionVersion: '2' });
    const big = { ...first, origin: { ...first.origin, sessionVersion: '9007199254740993' } };
    assert.equal(answerOffer(parseSdp(fixture('sipp-uac-pcap-offer.sdp')), { ...LOCAL, previous: big }).answer.origin.sessionVersion, '9007199254740994');
  });
  test('does not mutate the offer; IPv6 local address', () => {
    const offer = parseSdp(fixture('linphone-like-offer.sdp'));
    const before = structuredClone(offer);
    const r = answerOffer(offer, { ...LOCAL, address: '::1' });
    assert.deepEqual(offer, before);
    assert.match(marshalSdp(r.answer), /^v=0\r\no=surgeline 1001 1 IN IP6 ::1\r\ns=-\r\nc=IN IP6 ::1\r\n/);
  });
});

describe('createOffer / parseAnswer (RFC 3264 §5, §7)', () => {
  const offer = createOffer({ ...LOCAL, codecs: ['PCMU', 'PCMA'] });
  test('offer bytes', () => {
    assert.equal(
      marshalSdp(offer),
      [
        'v=0',
        'o=surgeline 1001 1 IN IP4 127.0.0.1',
        's=-',
        'c=IN IP4 127.0.0.1',
        't=0 0',
        'm=audio 20000 RTP/AVP 0 8 101',
        'a=rtpmap:0 PCMU/8000',
        'a=rtpmap:8 PCMA/8000',
        'a=rtpmap:101 telephone-event/8000',
        'a=fmtp:101 0-15',
        'a=ptime:20',
        'a=sendrecv',
        '',
      ].join('\r\n'),
    );
    assert.throws(() => createOffer({ ...LOCAL, codecs: [] }), RangeError);
  });
  test('our own answerer accepts our own offer, and parseAnswer reads its answer', () => {
    const { answer, codec } = answerOffer(offer, { ...LOCAL, address: '10.1.1.1', port: 30000, codecs: ['PCMA', 'PCMU'] });
    assert.deepEqual(codec, { name: 'PCMU', payloadType: 0 });
    const n = parseAnswer(offer, parseSdp(marshalSdp(answer)));
    assert.deepEqual(n, { codec: { name: 'PCMU', payloadType: 0 }, telephoneEventPt: 101, remote: { address: '10.1.1.1', port: 30000 }, direction: 'sendrecv', ptime: 20 });
  });
  test('SIPp uas answers PCMU whatever was offered: fine for a PCMU offer, incompatible for PCMA only', () => {
    const answer = parseSdp(fixture('sipp-uas-answer.sdp'));
    assert.deepEqual(parseAnswer(offer, answer), { codec: { name: 'PCMU', payloadType: 0 }, remote: { address: '127.0.0.1', port: 47200 }, direction: 'sendrecv' });
    const pcmaOnly = createOffer({ ...LOCAL, codecs: ['PCMA'] });
    assert.throws(() => parseAnswer(pcmaOnly, answer), (e: unknown) => e instanceof SdpError && e.code === 'incompatible');
  });
  test('answer directions, rejection and shape errors', () => {
    const ans = (extra: string, port = 4000): SessionDescription =>
      parseSdp(`v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\ns=-\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\nm=audio ${port} RTP/AVP 8\r\n${extra}`);
    assert.equal(parseAnswer(offer, ans('a=recvonly\r\n')).direction, 'sendonly');
    assert.equal(parseAnswer(offer, ans('a=sendonly\r\n')).direction, 'recvonly');
    assert.equal(parseAnswer(createOffer({ ...LOCAL, direction: 'sendonly' }), ans('a=recvonly\r\n')).direction, 'sendonly');
    assert.deepEqual(parseAnswer(offer, ans('')).codec, { name: 'PCMA', payloadType: 8 });
    assert.throws(() => parseAnswer(offer, ans('', 0)), (e: unknown) => e instanceof SdpError && e.code === 'incompatible');
    const two = ans('m=video 0 RTP/AVP 96\r\n');
    assert.throws(() => parseAnswer(offer, two), (e: unknown) => e instanceof SdpError && e.code === 'invalid');
  });
});
