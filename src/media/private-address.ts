/**
 * Whether an address in an SDP is one a NATed phone announces but packets will not come
 * from (RFC 1918, CGNAT, link-local, IPv6 ULA and link-local): such legs latch onto the
 * source of the first RTP that arrives instead (symmetric RTP, leg.ts).
 */
import { isIPv4, isIPv6 } from 'node:net';

/** Addresses a NATed phone puts in its SDP that we cannot expect packets to come from. */
export function isPrivateAddress(a: string): boolean {
  if (isIPv4(a)) {
    const [x, y] = a.split('.').map(Number) as [number, number];
    return (
      x === 10 || x === 0 || (x === 172 && y >= 16 && y <= 31) || (x === 192 && y === 168) ||
      (x === 100 && y >= 64 && y <= 127) || (x === 169 && y === 254)
    );
  }
  if (isIPv6(a)) {
    const l = a.toLowerCase();
    return l === '::' || l.startsWith('fc') || l.startsWith('fd') || l.startsWith('fe8') || l.startsWith('fe9') || l.startsWith('fea') || l.startsWith('feb');
  }
  return false;
}
