import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { detectVoice, checkPromptText, TtsError, MAX_PROMPT_CHARS, type Voice } from '../../src/tts/tts.ts';

describe('detectVoice', () => {
  const table: Array<[string, Voice]> = [
    // Traditional Mandarin (the E購網 prompts)
    ['目前雙11活動檔期的出貨時間調整為 7 到 14 個工作天', 'cmn'],
    ['您好，歡迎致電E購網客服中心', 'cmn'],
    // Simplified Mandarin
    ['您好，欢迎致电客服中心，请按1查询订单', 'cmn'],
    // Mandarin that uses 係 in compounds
    ['請問您與訂購人的關係是什麼', 'cmn'],
    ['聯係客服', 'cmn'],
    ['這個係數很重要', 'cmn'],
    // Cantonese
    ['你好，我哋而家好忙', 'yue'],
    ['唔該你等一陣', 'yue'],
    ['佢喺度', 'yue'],
    ['你嘅訂單已經寄出咗', 'yue'],
    ['呢度係客服熱線', 'yue'],
    ['冇問題', 'yue'],
    ['啲嘢', 'yue'],
    // English and everything without Han characters
    ['Welcome to E-Shop customer service. Press 1 for orders.', 'en'],
    ['Café crème', 'en'],
    ['12345', 'en'],
    // Mixed: any Han character makes it Chinese
    ['Press 1 請按 1', 'cmn'],
  ];
  for (const [text, voice] of table) {
    test(`${voice} ← ${text}`, () => assert.equal(detectVoice(text), voice));
  }
});

describe('checkPromptText', () => {
  test('rejects empty and huge texts', () => {
    for (const t of ['', '   ', '\n\t']) assert.throws(() => checkPromptText(t), (e: unknown) => e instanceof TtsError && e.code === 'invalid-text');
    assert.throws(() => checkPromptText('a'.repeat(MAX_PROMPT_CHARS + 1)), TtsError);
    assert.doesNotThrow(() => checkPromptText('a'.repeat(MAX_PROMPT_CHARS)));
  });
});
