/**
 * Stateless server nonces (RFC 7616 §3.3 suggests "time-stamp H(time-stamp ":" ETag ":"
 * secret-data)"; RFC 3261 §22.4 leaves the construction to the server):
 *
 *   nonce = base64( timestamp(8, ms, big-endian) | salt(8) | HMAC-SHA256(secret, timestamp | salt | realm) )
 *
 * Any node holding the same secret can validate a nonce issued by another, and the
 * embedded timestamp lets it expire without server state. The random salt (not in the
 * timestamp-only recipe) keeps two nonces issued in the same millisecond distinct, which
 * matters because nonce-count replay tracking is keyed by nonce: two clients sharing a
 * nonce would otherwise reject each other's nc=00000001.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

const TS_LEN = 8;
const SALT_LEN = 8;
const MAC_LEN = 32;
const NONCE_LEN = TS_LEN + SALT_LEN + MAC_LEN;

function mac(secret: Buffer, head: Buffer, realm: string): Buffer {
  return createHmac('sha256', secret).update(head).update(realm, 'utf8').digest();
}

/** Issue a nonce stamped with `wallMs` (epoch milliseconds: wall time, so other nodes agree on its age). */
export function issueNonce(secret: Buffer, realm: string, wallMs: number): string {
  const buf = Buffer.allocUnsafe(NONCE_LEN);
  buf.writeBigUInt64BE(BigInt(Math.max(0, Math.floor(wallMs))), 0);
  randomBytes(SALT_LEN).copy(buf, TS_LEN);
  mac(secret, buf.subarray(0, TS_LEN + SALT_LEN), realm).copy(buf, TS_LEN + SALT_LEN);
  return buf.toString('base64');
}

/**
 * The issue time of a nonce we minted for this realm with this secret, or undefined for
 * anything else (forged, another realm, another secret, garbage). Says nothing about age.
 */
export function nonceTimestamp(secret: Buffer, realm: string, nonce: string): number | undefined {
  // Reject before decoding: Buffer.from(…, 'base64') silently skips invalid characters.
  if (nonce.length !== 64 || !/^[A-Za-z0-9+/]+$/.test(nonce)) return undefined;
  const buf = Buffer.from(nonce, 'base64');
  if (buf.length !== NONCE_LEN) return undefined;
  const expected = mac(secret, buf.subarray(0, TS_LEN + SALT_LEN), realm);
  if (!timingSafeEqual(expected, buf.subarray(TS_LEN + SALT_LEN))) return undefined;
  const ts = buf.readBigUInt64BE(0);
  return ts > BigInt(Number.MAX_SAFE_INTEGER) ? undefined : Number(ts);
}
