import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { createLogger, maskPhone } from '../../src/log.ts';

test('maskPhone keeps the first three and last four digits of a phone number', () => {
  assert.equal(maskPhone('13812345678'), '138****5678');
  assert.equal(maskPhone('sip:4008001111@127.0.0.1:5060'), 'sip:400***1111@127.0.0.1:5060');
  assert.equal(maskPhone('+886912345678'), '+886*****5678');
  // extensions, ports and IP octets are not phone numbers
  assert.equal(maskPhone('sip:1001@127.0.0.1:15060'), 'sip:1001@127.0.0.1:15060');
});

test('the logger masks numbers in caller/callee fields', async () => {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      lines.push(chunk.toString());
      cb();
    },
  });
  const log = createLogger({ level: 'info', destination: sink });
  log.info({ from: 'sip:13812345678@carrier', to: '4008001111', callId: 'abc-12345678' }, 'call answered');
  await new Promise((r) => setImmediate(r));
  const entry = JSON.parse(lines[0]!) as Record<string, string>;
  assert.equal(entry.from, 'sip:138****5678@carrier');
  assert.equal(entry.to, '400***1111');
  assert.equal(entry.callId, 'abc-12345678');
});
