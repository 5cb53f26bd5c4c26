/**
 * The flow's http node over fetch: JSON in and out, a per-request timeout
 * (AbortSignal.timeout) and the call's own signal, so a lookup never outlives the call.
 * Anything but a 2xx with a JSON body is an error the flow routes to onError.
 */
import type { HttpRequest } from '../flows/interpreter.ts';

export function fetchJson(callSignal: AbortSignal): (req: HttpRequest) => Promise<unknown> {
  return async (req) => {
    const headers: Record<string, string> = { accept: 'application/json', ...req.headers };
    let body: string | undefined;
    if (req.body !== undefined) {
      body = JSON.stringify(req.body);
      headers['content-type'] ??= 'application/json';
    }
    const res = await fetch(req.url, {
      method: req.method,
      headers,
      ...(body !== undefined ? { body } : {}),
      signal: AbortSignal.any([AbortSignal.timeout(req.timeoutMs), callSignal]),
      redirect: 'error',
    });
    if (res.status < 200 || res.status > 299) {
      await res.body?.cancel().catch(() => undefined);
      throw new Error(`HTTP ${res.status}`);
    }
    return (await res.json()) as unknown;
  };
}
