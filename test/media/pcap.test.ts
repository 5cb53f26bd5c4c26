import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync, mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { parseRtp } from '../../src/media/rtp/packet.ts';
import {
  readPcap,
  readUdpFromPcap,
  extractUdp,
  writePcap,
  ethernetIpv4UdpFrame,
  rtpPcapFromG711,
  PcapError,
  LINKTYPE_ETHERNET,
  LINKTYPE_LINUX_SLL,
  LINKTYPE_RAW,
  LINKTYPE_NULL,
} from '../../src/media/pcap.ts';

const SIPP_DTMF_1 = '/usr/share/sip-tester/dtmf_2833_1.pcap';
const SIPP_PCMA = '/usr/share/sip-tester/g711a.pcap';
const FIXTURE = new URL('../fixtures/dtmf/sipp-play-dtmf.pcapng', import.meta.url);
const hasTshark = existsSync('/usr/bin/tshark');

describe('reading captures', () => {
  test('classic pcap (little-endian, µs, Ethernet) from SIPp', () => {
    const pkts = readPcap(readFileSync(SIPP_DTMF_1));
    assert.equal(pkts.length, 10);
    assert.equal(pkts[0]!.linkType, LINKTYPE_ETHERNET);
    assert.equal(pkts[0]!.ts, 0x439df1a0 + 0x087396 / 1e6);
    assert.equal(pkts[0]!.data.length, 58);
    const d = extractUdp(pkts[0]!)!;
    assert.deepEqual(
      { src: d.srcAddr, dst: d.dstAddr, sp: d.srcPort, dp: d.dstPort },
      { src: '192.168.0.3', dst: '192.168.0.1', sp: 49176, dp: 10000 },
    );
    assert.deepEqual(d.payload, Buffer.from('80e51f30000033e00e05384e010a0000', 'hex'));
  });
  test('big-endian and nanosecond variants of the same file', () => {
    const le = readFileSync(SIPP_DTMF_1);
    const be = Buffer.from(le);
    const swap32 = (o: number): void => void be.writeUInt32BE(le.readUInt32LE(o), o);
    const swap16 = (o: number): void => void be.writeUInt16BE(le.readUInt16LE(o), o);
    swap32(0);
    swap16(4);
    swap16(6);
    for (const o of [8, 12, 16, 20]) swap32(o);
    for (let o = 24; o < le.length; ) {
      const incl = le.readUInt32LE(o + 8);
      for (const k of [0, 4, 8, 12]) swap32(o + k);
      o += 16 + incl;
    }
    assert.deepEqual(readPcap(be), readPcap(le));
    const ns = Buffer.from(le);
    ns.writeUInt32LE(0xa1b23c4d, 0);
    ns.writeUInt32LE(le.readUInt32LE(28) * 1000, 28);
    assert.equal(readPcap(ns)[0]!.ts, readPcap(le)[0]!.ts);
  });
  test('the PCMA pcap: 236 RTP packets of 252 bytes, 30 ms apart', () => {
    const ds = readUdpFromPcap(readFileSync(SIPP_PCMA));
    assert.equal(ds.length, 236);
    assert.ok(ds.every((d) => d.payload.length === 252 && d.dstPort === 2006));
    const span = ds.at(-1)!.ts - ds[0]!.ts;
    assert.ok(span > 7 && span < 7.1, String(span));
  });
  test('pcapng written by tshark (SIP and RTP on loopback)', () => {
    const buf = readFileSync(FIXTURE);
    const ds = readUdpFromPcap(buf);
    const rtp = ds.filter((d) => d.dstPort === 47200);
    assert.equal(rtp.length, 20 + 36 + 20 + 13 + 20);
    assert.ok(ds.some((d) => d.payload.subarray(0, 6).toString() === 'INVITE'));
    for (let i = 1; i < ds.length; i++) assert.ok(ds[i]!.ts >= ds[i - 1]!.ts);
    assert.ok(ds[0]!.ts > 1.7e9, 'nanosecond/microsecond resolution handled');
  });
  test('agrees with tshark on every UDP payload of the pcapng', { skip: !hasTshark && 'tshark missing' }, () => {
    const out = execFileSync('tshark', ['-r', FIXTURE.pathname, '-T', 'fields', '-e', 'udp.payload'], {
      stdio: ['ignore', 'pipe', 'ignore'],
    }).toString();
    const theirs = out.trim().split('\n');
    const ours = readUdpFromPcap(readFileSync(FIXTURE)).map((d) => d.payload.toString('hex'));
    assert.deepEqual(ours, theirs);
  });
  test('truncated or foreign files throw PcapError', () => {
    const buf = readFileSync(SIPP_DTMF_1);
    assert.throws(() => readPcap(buf.subarray(0, 3)), PcapError);
    assert.throws(() => readPcap(buf.subarray(0, 20)), PcapError);
    assert.throws(() => readPcap(buf.subarray(0, 24 + 16 + 10)), PcapError);
    assert.throws(() => readPcap(Buffer.from('RIFF....WAVEfmt nothing here')), PcapError);
    const ng = readFileSync(FIXTURE);
    assert.throws(() => readPcap(ng.subarray(0, ng.length - 2)), PcapError);
  });
});

describe('frames of other link types', () => {
  const payload = Buffer.from('hello rtp');
  const eth = ethernetIpv4UdpFrame({ srcAddr: '10.0.0.1', dstAddr: '10.0.0.2', srcPort: 4000, dstPort: 5000, payload });
  const ipPacket = eth.subarray(14);
  test('Linux cooked (SLL), raw IPv4, BSD loopback', () => {
    const sll = Buffer.concat([Buffer.from('00000304000600000000000000000800', 'hex'), ipPacket]);
    const nul = Buffer.concat([Buffer.from('02000000', 'hex'), ipPacket]);
    for (const [linkType, data] of [
      [LINKTYPE_LINUX_SLL, sll],
      [LINKTYPE_RAW, ipPacket],
      [LINKTYPE_NULL, nul],
    ] as const) {
      const d = extractUdp({ ts: 1, data, linkType, origLen: data.length });
      assert.ok(d, `link type ${linkType}`);
      assert.deepEqual(d.payload, payload);
      assert.equal(d.dstPort, 5000);
      assert.equal(d.srcAddr, '10.0.0.1');
    }
  });
  test('non-UDP and IP fragments are skipped', () => {
    const tcp = Buffer.from(eth);
    tcp[14 + 9] = 6;
    assert.equal(extractUdp({ ts: 0, data: tcp, linkType: 1, origLen: tcp.length }), undefined);
    const frag = Buffer.from(eth);
    frag.writeUInt16BE(0x2000, 14 + 6); // MF
    assert.equal(extractUdp({ ts: 0, data: frag, linkType: 1, origLen: frag.length }), undefined);
    assert.equal(extractUdp({ ts: 0, data: eth, linkType: 147, origLen: eth.length }), undefined);
  });
});

describe('writing captures', () => {
  test('IPv4 header checksum verifies', () => {
    const f = ethernetIpv4UdpFrame({ srcAddr: '127.0.0.1', dstAddr: '127.0.0.1', srcPort: 1, dstPort: 2, payload: Buffer.alloc(172) });
    let sum = 0;
    for (let i = 0; i < 20; i += 2) sum += f.readUInt16BE(14 + i);
    while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
    assert.equal(sum, 0xffff);
    assert.throws(() => ethernetIpv4UdpFrame({ srcAddr: '::1', dstAddr: '1.2.3.4', srcPort: 1, dstPort: 2, payload: f }), RangeError);
  });
  test('write → read round trip, and tshark reads it as RTP', () => {
    const payloads = [0, 1, 2].map((i) => Buffer.from(`8000000${i}000000a0deadbeef${'ff'.repeat(160)}`, 'hex'));
    const file = writePcap(
      payloads.map((payload, i) => ({
        ts: 1700000000 + i * 0.02,
        data: ethernetIpv4UdpFrame({ srcAddr: '127.0.0.1', dstAddr: '127.0.0.1', srcPort: 6000, dstPort: 6002, payload }),
      })),
    );
    const back = readUdpFromPcap(file);
    assert.deepEqual(back.map((d) => d.payload), payloads);
    assert.deepEqual(back.map((d) => Math.round((d.ts - 1700000000) * 1000)), [0, 20, 40]);
    if (!hasTshark) return;
    const dir = mkdtempSync(join(tmpdir(), 'pcap-test-'));
    try {
      writeFileSync(join(dir, 'x.pcap'), file);
      const out = execFileSync(
        'tshark',
        ['-r', join(dir, 'x.pcap'), '-o', 'ip.check_checksum:TRUE', '-d', 'udp.port==6002,rtp', '-T', 'fields', '-e', 'rtp.seq', '-e', 'ip.checksum.status'],
        { stdio: ['ignore', 'pipe', 'ignore'] },
      ).toString();
      // ip.checksum.status 1 = good
      assert.deepEqual(out.trim().split('\n'), ['0\t1', '1\t1', '2\t1']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('rtpPcapFromG711 (a PCMU pcap for SIPp play_pcap_audio)', () => {
  test('packets of 160 bytes, 20 ms apart, consecutive seq/ts, marker first, tail padded', () => {
    const g711 = Buffer.alloc(160 * 3 + 40);
    for (let i = 0; i < g711.length; i++) g711[i] = i & 0xff;
    const file = rtpPcapFromG711(g711, { payloadType: 0, ssrc: 0x11223344, firstSeq: 65535, firstTimestamp: 0xffffff60, dstPort: 7002 });
    const ds = readUdpFromPcap(file);
    assert.equal(ds.length, 4);
    const rtp = ds.map((d) => parseRtp(d.payload));
    assert.deepEqual(rtp.map((p) => p.sequenceNumber), [65535, 0, 1, 2]);
    assert.deepEqual(rtp.map((p) => p.timestamp), [0xffffff60, 0, 160, 320]);
    assert.deepEqual(rtp.map((p) => p.marker), [true, false, false, false]);
    assert.ok(rtp.every((p) => p.payloadType === 0 && p.ssrc === 0x11223344 && p.payload.length === 160));
    assert.deepEqual(Buffer.concat(rtp.map((p) => p.payload)).subarray(0, g711.length), g711);
    assert.ok(rtp[3]!.payload.subarray(40).every((b) => b === g711.at(-1)));
    assert.deepEqual(ds.map((d) => Math.round((d.ts - ds[0]!.ts) * 1000)), [0, 20, 40, 60]);
    assert.ok(ds.every((d) => d.dstPort === 7002));
  });
  test('tshark decodes it as PCMU RTP', { skip: !hasTshark && 'tshark missing' }, () => {
    const dir = mkdtempSync(join(tmpdir(), 'pcap-rtp-'));
    try {
      const f = join(dir, 'pcmu.pcap');
      writeFileSync(f, rtpPcapFromG711(Buffer.alloc(800, 0xff), { payloadType: 0 }));
      const out = execFileSync('tshark', ['-r', f, '-d', 'udp.port==6002,rtp', '-T', 'fields', '-e', 'rtp.p_type', '-e', 'rtp.seq'], {
        stdio: ['ignore', 'pipe', 'ignore'],
      }).toString();
      assert.deepEqual(out.trim().split('\n'), ['0\t1', '0\t2', '0\t3', '0\t4', '0\t5']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
