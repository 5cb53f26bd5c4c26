import { pino, type Logger as PinoLogger } from 'pino';

/** The logging surface every layer takes: pino's, narrowed so tests can pass a recorder. */
export interface Logger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
  child(bindings: Record<string, unknown>): Logger;
}

/**
 * Masks a phone number for logs: keeps the first three and last four digits of long
 * numbers ("13812345678" → "138****5678") and the last two of short ones. Works inside
 * SIP URIs too ("sip:4008001111@host" → "sip:400***1111@host").
 */
export function maskPhone(text: string): string {
  return text.replace(/\+?\d{7,}/g, (digits) => {
    const plus = digits.startsWith('+') ? '+' : '';
    const d = plus ? digits.slice(1) : digits;
    if (d.length >= 8) return plus + d.slice(0, 3) + '*'.repeat(d.length - 7) + d.slice(-4);
    return plus + '*'.repeat(d.length - 2) + d.slice(-2);
  });
}

/** Log fields that carry phone numbers or SIP addresses and are masked wherever they appear. */
const MASKED_KEYS = new Set(['from', 'to', 'caller', 'callee', 'number', 'did', 'uri', 'ruri', 'contact', 'aor', 'phone']);

function maskFields(obj: Record<string, unknown>): Record<string, unknown> {
  let out: Record<string, unknown> | undefined;
  for (const key of Object.keys(obj)) {
    const value = obj[key];
    if (typeof value === 'string' && MASKED_KEYS.has(key)) {
      out ??= { ...obj };
      out[key] = maskPhone(value);
    }
  }
  return out ?? obj;
}

export function createLogger(opts: { level?: string; destination?: NodeJS.WritableStream } = {}): Logger {
  const base: PinoLogger = pino(
    {
      level: opts.level ?? process.env.SURGELINE_LOG_LEVEL ?? 'info',
      base: undefined,
      formatters: { log: maskFields },
    },
    opts.destination ?? pino.destination({ dest: 1, sync: false }),
  );
  return base as unknown as Logger;
}

/** A logger that discards everything (for tests and tools). */
export function silentLogger(): Logger {
  return createLogger({ level: 'silent' });
}
