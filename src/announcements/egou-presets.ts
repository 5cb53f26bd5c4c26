/**
 * E購網's waiting-queue messages (issue 4 §3, seeds 000 and 003). `peak` is the peak-shifting
 * message of seed 003 ("人工坐席代表繁忙…建议您在*小时后再拨打，或者可以登录微信、官网进行自助
 * 办理"), worded for E購網: silent in normal times, switched on by the orders and returns
 * queues' `surge` staffing tier and off again when the surge passes. `comfort` is said with
 * every position announcement.
 */
import type { Preset } from './slot.ts';

export const EGOU_PEAK_SLOT = 'peak';
export const EGOU_COMFORT_SLOT = 'comfort';

export const EGOU_PEAK_PRESETS: readonly Preset[] = [
  { name: 'normal', text: null },
  {
    name: 'surge',
    text: '親愛的顧客，由於目前客服人員忙碌中，為不影響您的權益，建議您在一小時後再撥打，或至E購網官網與APP自助查詢訂單、辦理退換貨，造成不便深表歉意，謝謝。',
  },
];

export const EGOU_COMFORT_PRESETS: readonly Preset[] = [{ name: 'default', text: '感謝您的耐心等候，您的來電對我們非常重要，客服人員將盡快為您服務。' }];
