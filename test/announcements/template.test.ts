import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { renderTemplate, speakTime, TemplateError, variablesOf } from '../../src/announcements/template.ts';

const OUTAGE = '您好，感謝您致電 SKTickets。由於目前系統發生技術問題，部分服務可能暫時無法使用。我們的技術團隊已在積極修復中，預計於 [時間] 恢復正常。更多更新請至我們的官網 [網址] 查詢。';

test('the seed outage text: its variables, and rendered with values', () => {
  assert.deepEqual(variablesOf(OUTAGE), ['time', 'url']);
  const text = renderTemplate(OUTAGE, { time: '下午3點30分', url: 'sktickets.example/status' });
  assert.match(text, /預計於 下午3點30分 恢復正常/);
  assert.match(text, /官網 sktickets\.example\/status 查詢/);
  assert.doesNotMatch(text, /\[/);
});

test('simplified, English and full-width spellings name the same variables', () => {
  assert.deepEqual(variablesOf('预计于 [时间] 恢复，请看 【网址】，回拨 [ETA]'), ['time', 'url', 'eta']);
  assert.equal(renderTemplate('We will call you back at [estimated time].', { eta: '14:30' }), 'We will call you back at 14:30.');
});

test('a variable without a value is an error naming it, never read out as "[時間]"', () => {
  assert.throws(
    () => renderTemplate(OUTAGE, { url: 'x' }),
    (e: unknown) => e instanceof TemplateError && e.placeholders.length === 1 && e.placeholders[0] === '[時間]',
  );
  assert.throws(() => renderTemplate(OUTAGE, { time: '  ', url: 'x' }), TemplateError);
});

test('an unknown placeholder is rejected', () => {
  assert.throws(
    () => variablesOf('請撥 [分機]'),
    (e: unknown) => e instanceof TemplateError && e.placeholders[0] === '[分機]',
  );
});

test('text without placeholders renders unchanged (property)', () => {
  fc.assert(
    fc.property(fc.string().filter((s) => !/[[\]【】]/.test(s)), (s) => {
      assert.equal(renderTemplate(s, {}), s);
    }),
  );
});

test('speakTime says the time the Mandarin way in the line time zone', () => {
  const at = (iso: string) => Date.parse(iso);
  assert.equal(speakTime(at('2026-11-11T07:30:00Z'), 'Asia/Taipei'), '下午3點30分');
  assert.equal(speakTime(at('2026-11-11T01:00:00Z'), 'Asia/Taipei'), '上午9點');
  assert.equal(speakTime(at('2026-11-11T04:05:00Z'), 'Asia/Taipei'), '中午12點5分');
  assert.equal(speakTime(at('2026-11-11T16:00:00Z'), 'Asia/Taipei'), '凌晨12點');
  assert.equal(speakTime(at('2026-11-11T12:15:00Z'), 'Asia/Shanghai', 'simplified'), '晚上8点15分');
  // the same instant in another zone
  assert.equal(speakTime(at('2026-11-11T07:30:00Z'), 'Europe/London'), '上午7點30分');
});
