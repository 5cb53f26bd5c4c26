import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { loadConfig, ConfigError } from '../../src/config.ts';

test('defaults: SIP 5060, HTTP 8080, RTP 20000-29999, ./data', () => {
  const c = loadConfig([], {});
  assert.equal(c.host, '127.0.0.1');
  assert.equal(c.sipPort, 5060);
  assert.equal(c.httpPort, 8080);
  assert.deepEqual(c.rtpPorts, [20000, 29999]);
  assert.equal(c.dataDir, path.resolve('data'));
  assert.deepEqual(c.digestAlgorithms, ['MD5']);
});

test('environment overrides defaults, flags override environment', () => {
  const env = { SURGELINE_SIP_PORT: '5070', SURGELINE_RTP_PORTS: '30000-30999', SURGELINE_DATA_DIR: '/tmp/x', SURGELINE_SIP_DIGEST: 'sha-256' };
  const c = loadConfig(['--sip-port', '5080'], env);
  assert.equal(c.sipPort, 5080);
  assert.deepEqual(c.rtpPorts, [30000, 30999]);
  assert.equal(c.dataDir, '/tmp/x');
  assert.deepEqual(c.digestAlgorithms, ['SHA-256']);
});

test('bad values are a ConfigError naming the setting', () => {
  assert.throws(() => loadConfig([], { SURGELINE_RTP_PORTS: '3000' }), (e: unknown) => e instanceof ConfigError && /rtpPorts/.test(e.message));
  assert.throws(() => loadConfig([], { SURGELINE_RTP_PORTS: '30000-20000' }), ConfigError);
  assert.throws(() => loadConfig(['--sip-port', '70000'], {}), (e: unknown) => e instanceof ConfigError && /sipPort/.test(e.message));
  assert.throws(() => loadConfig(['--nope'], {}), ConfigError);
  assert.throws(() => loadConfig([], { SURGELINE_SIP_DIGEST: 'SHA-1' }), ConfigError);
});
