import type { FlowInput } from '../schema.ts';
import { EGOU_GOODBYE, EGOU_MENU, EGOU_ORDER_STATUS, EGOU_WELCOME } from '../../demo/egou-prompts.ts';

/**
 * The E購網 hotline as flow documents (seed 000, case one). Normal days: welcome → menu.
 * Double 11: a welcome that says lines are busy, FAQ answers inside the IVR (order status
 * word for word from the seed), a message instead of waiting, and "0" for an agent.
 */

/** Seed 000, verbatim: the order-status answer in the Double-11 sub-menu. */
export const EGOU_DOUBLE11_ORDER_STATUS = EGOU_ORDER_STATUS;

/** Seeded queues (src/demo/seed.ts DEMO_QUEUES): orders, and returns/payments. */
const AGENT_QUEUE = 'egou-orders';
const RETURNS_QUEUE = 'egou-returns';

export const egouNormalFlow: FlowInput = {
  version: 1,
  name: 'egou-normal',
  description: 'E購網 on ordinary days: welcome, then a menu that routes to agents by topic',
  start: 'welcome',
  nodes: {
    welcome: { type: 'say', prompt: { text: '您好，歡迎致電E購網客服專線。' }, bargeIn: true, next: 'menu' },
    menu: {
      type: 'menu',
      prompt: { text: '查詢訂單請按1，退換貨請按2，付款問題請按3，轉接客服人員請按0，重聽請按米字鍵。' },
      options: { '1': 'orders', '2': 'returns', '3': 'payment', '0': 'agent' },
      noInput: 'goodbye',
      invalid: 'agent',
    },
    orders: { type: 'queue', queue: AGENT_QUEUE },
    returns: { type: 'queue', queue: RETURNS_QUEUE },
    payment: { type: 'queue', queue: RETURNS_QUEUE, skills: ['payment'] },
    agent: { type: 'queue', queue: AGENT_QUEUE },
    goodbye: { type: 'say', prompt: { text: EGOU_GOODBYE }, next: 'end' },
    end: { type: 'hangup' },
  },
};

/** An FAQ answer that ends like the seed's: "1" for an agent, "*" to hear it again. */
function faq(text: string): FlowInput['nodes'][string] {
  return { type: 'menu', prompt: { text }, options: { '1': 'agent' }, noInput: 'menu', invalid: 'menu' };
}

export const egouDouble11Flow: FlowInput = {
  version: 1,
  name: 'egou-double11',
  description: 'E購網 during Double 11: busy notice, FAQ answers in the IVR, a message instead of waiting, then an agent',
  start: 'welcome',
  nodes: {
    welcome: { type: 'say', prompt: { text: EGOU_WELCOME }, bargeIn: true, next: 'menu' },
    menu: {
      type: 'menu',
      prompt: { text: EGOU_MENU },
      options: { '1': 'orderStatus', '2': 'returns', '3': 'payment', '4': 'message', '0': 'agent' },
      noInput: 'goodbye',
      invalid: 'goodbye',
    },
    orderStatus: faq(EGOU_DOUBLE11_ORDER_STATUS),
    returns: faq(
      '雙11活動商品享有7天鑑賞期，請於後台訂單頁面點選申請退換貨，並依指示寄回商品，退款將於收到商品後14個工作天內完成。若需轉接客服人員，請按1，重聽請按米字鍵',
    ),
    payment: faq(
      '雙11活動期間付款確認可能延遲，請以後台訂單狀態為準，若已扣款但訂單未成立，款項將自動退回。若需轉接客服人員，請按1，重聽請按米字鍵',
    ),
    message: {
      type: 'voicemail',
      mailbox: 'egou',
      queue: AGENT_QUEUE,
      prompt: { text: '請在嗶聲後留下您的姓名、電話與訂單編號，我們會盡快與您聯繫。' },
    },
    agent: { type: 'queue', queue: AGENT_QUEUE },
    goodbye: { type: 'say', prompt: { text: EGOU_GOODBYE }, next: 'end' },
    end: { type: 'hangup' },
  },
};
