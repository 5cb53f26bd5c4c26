/**
 * SKTickets' incident presets for its `banner` slot, worded as seed article 000 words them:
 * nothing in normal times; the outage notice (with [時間] and [網址]) before the menu; and
 * the recovered message once the fix is in.
 */
import type { Preset } from './slot.ts';

export const SKTICKETS_PRESETS: readonly Preset[] = [
  { name: 'normal', text: null },
  {
    name: 'outage',
    text: '您好，感謝您致電 SKTickets。由於目前系統發生技術問題，部分服務可能暫時無法使用。我們的技術團隊已在積極修復中，預計於 [時間] 恢復正常。更多更新請至我們的官網 [網址] 查詢。',
    // One command switches the line: the estimate defaults to two hours from the switch
    // (spoken as a clock time) and the address to the status page; a supervisor who knows
    // better gives --time / --url.
    values: { time: '+2h', url: 'www.sktickets.com' },
  },
  { name: 'recovered', text: '目前技術問題已修復，部分服務已恢復正常，您可以重新嘗試。' },
];

/** Seed 000: the in-queue offer to leave a message and be called back. */
export const SKTICKETS_CALLBACK_OFFER = '目前來電量較大，您可以選擇按井字鍵留言，我們會在 [預估時間] 回撥給您。';
