/**
 * The E購網 hotline's prompt texts (seed article 000, case one: a Double-11 surge).
 * The seed shows the flow as "welcome → menu" and gives the order-status answer word
 * for word; the welcome and menu wording follows its advice (tell callers the lines are
 * busy, answer FAQs in the menu, offer a message instead of waiting, then an agent).
 */
export const EGOU_WELCOME =
  '您好，歡迎致電E購網客服專線。雙11活動檔期來電量激增，目前線路較為繁忙，等待時間可能比平時更長，敬請見諒。';

export const EGOU_MENU =
  '查詢訂單狀態請按1，退換貨流程請按2，付款問題請按3，留言請按4，轉接客服人員請按0，重聽請按米字鍵。';

/** Seed 000, verbatim: the sub-menu answer for order status (the one copy; the flow uses it too). */
export const EGOU_ORDER_STATUS =
  '目前雙11活動檔期的出貨時間調整為 7 到 14 個工作天，運送狀況將依物流公司安排為主。若需查詢物流情況，請於後台點選訂單狀態，並確認託運單號進一步了解配送進度。若需轉接客服人員，請按1，重聽請按米字鍵';

export const EGOU_GOODBYE = '感謝您的來電，再見。';
