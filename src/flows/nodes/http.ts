import { z } from 'zod';
import { target, usesInTemplate, variableName, type Edge, type VariableUse } from '../common.ts';

/**
 * Asks a backend over HTTP (e.g. order status by order number) and stores parts of its
 * JSON answer in variables that later nodes can speak. `url`, header values and `body`
 * values are `{{templates}}`. `assign` maps a variable to a dotted path in the answer
 * (`"order.status"`). A 2xx JSON answer within `timeoutMs` goes to `onSuccess` with the
 * variables set; anything else (timeout, network error, non-2xx, not JSON) goes to `onError`.
 */
export const schema = z
  .strictObject({
    type: z.literal('http'),
    method: z.enum(['GET', 'POST']),
    url: z.string().regex(/^https?:\/\/\S+$/, { message: 'an http:// or https:// URL' }),
    headers: z.record(z.string().regex(/^[A-Za-z0-9-]+$/, { message: 'a header name' }), z.string()).optional(),
    body: z.record(z.string(), z.string()).optional(),
    timeoutMs: z.number().int().min(100).max(30_000).default(3000),
    assign: z.record(variableName, z.string().min(1)).default({}),
    onSuccess: target,
    onError: target,
  })
  .refine((n) => n.method === 'POST' || n.body === undefined, { message: 'a GET request has no body', path: ['body'] });
export type HttpNode = z.infer<typeof schema>;

export function targets(node: HttpNode): Edge[] {
  return [
    { field: 'onSuccess', target: node.onSuccess },
    { field: 'onError', target: node.onError },
  ];
}
export function reads(node: HttpNode): VariableUse[] {
  return [
    ...usesInTemplate('url', node.url),
    ...Object.entries(node.headers ?? {}).flatMap(([k, v]) => usesInTemplate(`headers.${k}`, v)),
    ...Object.entries(node.body ?? {}).flatMap(([k, v]) => usesInTemplate(`body.${k}`, v)),
  ];
}
/** The answer's variables exist only after a successful lookup. */
export function writes(node: HttpNode, field: string): string[] {
  return field === 'onSuccess' ? Object.keys(node.assign) : [];
}
