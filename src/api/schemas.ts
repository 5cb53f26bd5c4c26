/**
 * Zod pieces shared by the route files: path parameters, query strings (which arrive as
 * text, so booleans, integers and instants are parsed here) and ISO instants.
 */
import { z } from 'zod';
import { ROLES } from '../store/schema.ts';

export const role = z.enum(ROLES);

/** An instant as ISO 8601 text with a zone (`2026-11-11T00:00:00+08:00`, `…Z`), read as a Date. */
export const isoInstant = z.iso
  .datetime({ offset: true, error: 'expected an ISO 8601 instant with a zone, e.g. 2026-11-11T10:00:00+08:00 or …Z' })
  .transform((s) => new Date(s));

/** `true`/`false` (also 1/0) in a query string. */
export const queryBool = z.enum(['true', 'false', '1', '0']).transform((s) => s === 'true' || s === '1');

export const queryInt = (min: number, max: number) => z.coerce.number<string>().int().min(min).max(max);

export const lineParam = z.string().min(1).max(200).describe('a line id or one of its numbers');
export const flowParam = z.string().min(1).max(200).describe('a flow id or name');
export const slotParam = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$/, 'a slot name: letters, digits, "_" and "-", at most 32').describe('an announcement slot, e.g. banner');
export const idParam = z.string().min(1).max(200);

/** A call named in a path: our call id or the SIP Call-ID of one of its legs. */
export const callRefParam = z.object({ id: idParam.max(500).describe("our call id or the caller's SIP Call-ID") });
