/**
 * Announcement text with bracketed variables, as the seeds write them: "預計於 [時間] 恢復
 * 正常", "請至我們的官網 [網址] 查詢", "我們會在 [預估時間] 回撥給您". Each variable has a
 * canonical name and the spellings callers' scripts use (Chinese and English).
 * Rendering is pure: values in, text out; a variable without a value is an error, never a
 * silent "[時間]" read to a caller.
 */
export const VARIABLES = {
  time: ['時間', '时间', 'time'],
  url: ['網址', '网址', 'url'],
  eta: ['預估時間', '预估时间', 'estimated time', 'eta', 'estimated wait'],
} as const;

export type VariableName = keyof typeof VARIABLES;

const ALIASES = new Map<string, VariableName>();
for (const [name, spellings] of Object.entries(VARIABLES) as [VariableName, readonly string[]][]) {
  for (const s of spellings) ALIASES.set(s.toLowerCase(), name);
}

// [ ... ] with no brackets inside; full-width 【 】 are accepted too.
const PLACEHOLDER = /[[【]\s*([^\][【】]{1,20}?)\s*[\]】]/g;

export class TemplateError extends Error {
  override readonly name = 'TemplateError';
  constructor(
    message: string,
    /** The placeholders as written that had no value (or are unknown). */
    readonly placeholders: readonly string[],
  ) {
    super(message);
  }
}

/** The variables a text uses, canonical names, in order of first use. Unknown placeholders throw. */
export function variablesOf(text: string): VariableName[] {
  const out: VariableName[] = [];
  const unknown: string[] = [];
  for (const m of text.matchAll(PLACEHOLDER)) {
    const name = ALIASES.get(m[1]!.toLowerCase());
    if (!name) unknown.push(m[0]);
    else if (!out.includes(name)) out.push(name);
  }
  if (unknown.length > 0) throw new TemplateError(`unknown variable ${unknown.join(', ')} (known: [時間], [網址], [預估時間])`, unknown);
  return out;
}

/** Replace every placeholder with its value; throws TemplateError naming the ones without a value. */
export function renderTemplate(text: string, values: Partial<Record<VariableName, string>>): string {
  variablesOf(text);
  const missing: string[] = [];
  const out = text.replace(PLACEHOLDER, (whole, raw: string) => {
    const name = ALIASES.get(raw.toLowerCase())!;
    const v = values[name];
    if (v === undefined || v.trim() === '') {
      missing.push(whole);
      return whole;
    }
    return v;
  });
  if (missing.length > 0) throw new TemplateError(`no value for ${missing.join(', ')}`, missing);
  return out;
}

/**
 * A clock time as a Mandarin announcement says it ("下午3點30分", "上午9點", "中午12點",
 * "晚上8點15分"), in the line's time zone. Digits stay digits: the TTS reads them.
 */
export function speakTime(instantMs: number, timeZone: string, script: 'traditional' | 'simplified' = 'traditional'): string {
  const parts = new Intl.DateTimeFormat('en-US', { timeZone, hour: 'numeric', minute: 'numeric', hourCycle: 'h23' }).formatToParts(instantMs);
  const hour = Number(parts.find((p) => p.type === 'hour')!.value) % 24;
  const minute = Number(parts.find((p) => p.type === 'minute')!.value);
  return speakClock(hour, minute, script);
}

/** A wall-clock time (0–23, 0–59) the way speakTime says it. */
export function speakClock(hour: number, minute: number, script: 'traditional' | 'simplified' = 'traditional'): string {
  const dian = script === 'traditional' ? '點' : '点';
  let period: string;
  if (hour < 6) period = '凌晨';
  else if (hour < 12) period = '上午';
  else if (hour === 12) period = '中午';
  else if (hour < 18) period = '下午';
  else period = '晚上';
  const h12 = hour % 12 === 0 ? 12 : hour % 12;
  return `${period}${h12}${dian}${minute === 0 ? '' : `${minute}分`}`;
}
