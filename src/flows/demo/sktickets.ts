import type { FlowInput } from '../schema.ts';

/**
 * The SKTickets hotline as flow documents (seed 000, case two). Normal days: welcome →
 * menu. Incident-ready: the announcement slot `banner` plays before the menu (the outage,
 * recovered and normal texts are swapped live by the announcements module; an empty slot
 * is skipped), and option 1 gives the details of the incident.
 */

/** Seed 000, verbatim: what option 1 says about the incident. */
export const SKTICKETS_INCIDENT_DETAILS = '目前訂票系統無法顯示票務資訊，您可以稍後再試，或透過電子郵件查詢訂單。';

/** Seeded queues (src/demo/seed.ts DEMO_QUEUES): the general line, and the incident team. */
const AGENT_QUEUE = 'sktickets-general';
const INCIDENT_QUEUE = 'sktickets-incidents';
const WELCOME = '您好，感謝您致電 SKTickets。';
const GOODBYE = '感謝您的來電，再見。';

export const skticketsNormalFlow: FlowInput = {
  version: 1,
  name: 'sktickets-normal',
  description: 'SKTickets on ordinary days: welcome, then a menu',
  start: 'welcome',
  nodes: {
    welcome: { type: 'say', prompt: { text: WELCOME }, bargeIn: true, next: 'menu' },
    menu: {
      type: 'menu',
      prompt: { text: '訂票相關問題請按1，退票與退款請按2，轉接客服人員請按0，重聽請按米字鍵。' },
      options: { '1': 'booking', '2': 'refunds', '0': 'agent' },
      noInput: 'goodbye',
      invalid: 'agent',
    },
    booking: { type: 'queue', queue: AGENT_QUEUE, skills: ['booking'] },
    refunds: { type: 'queue', queue: AGENT_QUEUE, skills: ['refunds'] },
    agent: { type: 'queue', queue: AGENT_QUEUE },
    goodbye: { type: 'say', prompt: { text: GOODBYE }, next: 'end' },
    end: { type: 'hangup' },
  },
};

export const skticketsIncidentFlow: FlowInput = {
  version: 1,
  name: 'sktickets-incident',
  description: 'SKTickets during an incident: the banner announcement before the menu, and the incident details on 1',
  start: 'welcome',
  nodes: {
    welcome: { type: 'say', prompt: { text: WELCOME }, bargeIn: true, next: 'banner' },
    banner: { type: 'announcement', slot: 'banner', next: 'menu' },
    menu: {
      type: 'menu',
      prompt: { text: '針對本次技術問題的詳細資訊，請按 1。訂票相關問題請按2，退票與退款請按3，轉接客服人員請按0，重聽請按米字鍵。' },
      options: { '1': 'incidentDetails', '2': 'booking', '3': 'refunds', '0': 'agent' },
      noInput: 'goodbye',
      invalid: 'agent',
    },
    incidentDetails: { type: 'say', prompt: { text: SKTICKETS_INCIDENT_DETAILS }, next: 'menu' },
    booking: { type: 'queue', queue: AGENT_QUEUE, skills: ['booking'] },
    refunds: { type: 'queue', queue: AGENT_QUEUE, skills: ['refunds'] },
    agent: { type: 'queue', queue: INCIDENT_QUEUE },
    goodbye: { type: 'say', prompt: { text: GOODBYE }, next: 'end' },
    end: { type: 'hangup' },
  },
};
