/**
 * DTMF carried in SIP INFO (RFC 6086 packages, in practice the de-facto bodies):
 * `application/dtmf-relay` ("Signal=5\r\nDuration=160") and `application/dtmf` ("5").
 * Returns the digit, or undefined when the body is not a key press we understand.
 */
const DIGITS = new Set(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9', '*', '#', 'A', 'B', 'C', 'D']);

// Some phones send the RFC 4733 event number instead of the character.
const EVENT_NUMBERS: Record<string, string> = { '10': '*', '11': '#', '12': 'A', '13': 'B', '14': 'C', '15': 'D' };

function normalise(raw: string): string | undefined {
  const s = raw.trim().toUpperCase();
  if (DIGITS.has(s)) return s;
  return EVENT_NUMBERS[s];
}

export function dtmfFromInfo(contentType: string | undefined, body: Buffer): string | undefined {
  if (!contentType) return undefined;
  const type = contentType.split(';')[0]!.trim().toLowerCase();
  const text = body.toString('utf8');
  if (type === 'application/dtmf-relay') {
    for (const line of text.split(/\r?\n/)) {
      const eq = line.indexOf('=');
      if (eq < 0) continue;
      if (line.slice(0, eq).trim().toLowerCase() === 'signal') return normalise(line.slice(eq + 1));
    }
    return undefined;
  }
  if (type === 'application/dtmf') return normalise(text);
  return undefined;
}
