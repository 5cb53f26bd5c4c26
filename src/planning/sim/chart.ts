/**
 * The simulator's day as an SVG chart (issue 5 §4): waiting callers per interval (peak, bars,
 * left axis) and the service level (line, right axis, 0–100 %), with interval times below.
 * Plain SVG 1.1 text, no dependencies; opens in any browser.
 */
import { timeOfDay } from '../time-of-day.ts';
import type { SimInterval } from './simulate.ts';

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export function simulationSvg(intervals: readonly SimInterval[], opts: { intervalMinutes: number; title: string }): string {
  const W = 960;
  const H = 360;
  const left = 56;
  const right = 56;
  const top = 40;
  const bottom = 48;
  const plotW = W - left - right;
  const plotH = H - top - bottom;
  const n = Math.max(1, intervals.length);
  const maxWaiting = Math.max(1, ...intervals.map((i) => i.peakWaiting));
  const x = (i: number): number => left + (i + 0.5) * (plotW / n);
  const yWait = (v: number): number => top + plotH - (v / maxWaiting) * plotH;
  const ySl = (v: number): number => top + plotH - v * plotH;
  const barW = Math.max(1, (plotW / n) * 0.7);
  const bars = intervals
    .map((iv, i) => `<rect x="${(x(i) - barW / 2).toFixed(1)}" y="${yWait(iv.peakWaiting).toFixed(1)}" width="${barW.toFixed(1)}" height="${(top + plotH - yWait(iv.peakWaiting)).toFixed(1)}" fill="#9ab8e0"/>`)
    .join('');
  const sl = intervals
    .map((iv, i) => (iv.serviceLevel === null ? null : `${x(i).toFixed(1)},${ySl(iv.serviceLevel).toFixed(1)}`))
    .filter((p) => p !== null)
    .join(' ');
  const every = Math.max(1, Math.ceil(n / 12));
  const labels = intervals
    .map((_, i) => {
      if (i % every !== 0) return '';
      const m = i * opts.intervalMinutes;
      const t = timeOfDay(m);
      return `<text x="${x(i).toFixed(1)}" y="${H - bottom + 16}" font-size="11" text-anchor="middle">${t}</text>`;
    })
    .join('');
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${left}" y="22" font-size="15">${esc(opts.title)}</text>`,
    `<line x1="${left}" y1="${top + plotH}" x2="${W - right}" y2="${top + plotH}" stroke="#444"/>`,
    `<text x="${left - 8}" y="${top + 4}" font-size="11" text-anchor="end">${maxWaiting}</text>`,
    `<text x="${left - 8}" y="${top + plotH}" font-size="11" text-anchor="end">0</text>`,
    `<text x="14" y="${top + plotH / 2}" font-size="11" transform="rotate(-90 14 ${top + plotH / 2})" text-anchor="middle">waiting callers (peak)</text>`,
    `<text x="${W - right + 8}" y="${top + 4}" font-size="11">100 %</text>`,
    `<text x="${W - right + 8}" y="${top + plotH}" font-size="11">0 %</text>`,
    `<text x="${W - 12}" y="${top + plotH / 2}" font-size="11" transform="rotate(90 ${W - 12} ${top + plotH / 2})" text-anchor="middle">service level</text>`,
    bars,
    `<polyline points="${sl}" fill="none" stroke="#c0392b" stroke-width="2"/>`,
    labels,
    '</svg>',
  ].join('\n');
}
