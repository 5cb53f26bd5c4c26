/**
 * An object without its undefined properties. With exactOptionalPropertyTypes, `{ since:
 * undefined }` is not a `{ since?: Date }`, which made every optional filter a spread of its
 * own (`...(x !== undefined ? { x } : {})`); this keeps a query one literal.
 */
export function defined<T extends Record<string, unknown>>(o: T): { [K in keyof T]?: Exclude<T[K], undefined> } {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined) out[k] = v;
  return out as { [K in keyof T]?: Exclude<T[K], undefined> };
}
