/**
 * The E購網 hotline's prompt texts (seed article 000, case one: a Double-11 surge).
 * The seed shows the flow as "welcome → menu" and gives the order-status answer word
 * for word; the welcome and menu wording follows its advice (tell callers the lines are
 * busy, answer FAQs in the menu, offer a message instead of waiting, then an agent).
 */
import { EGOU_DOUBLE11_ORDER_STATUS } from '../flows/demo/egou.ts';

export const EGOU_WELCOME =
  '您好，歡迎致電E購網客服專線。雙11活動檔期來電量激增，目前線路較為繁忙，等待時間可能比平時更長，敬請見諒。';

export const EGOU_MENU =
  '查詢訂單狀態請按1，退換貨流程請按2，付款問題請按3，留言請按4，轉接客服人員請按0，重聽請按米字鍵。';

/** Seed 000, verbatim: the sub-menu answer for order status (one copy, shared with the flow). */
export const EGOU_ORDER_STATUS = EGOU_DOUBLE11_ORDER_STATUS;

export const EGOU_GOODBYE = '感謝您的來電，再見。';
