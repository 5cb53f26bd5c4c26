/**
 * The OpenAPI 3.1 document of /api/v1, built from the routes the registrar recorded: the
 * same zod schemas that check requests are turned into JSON Schema (draft 2020-12, the
 * dialect of OpenAPI 3.1) by z.toJSONSchema, so the document cannot drift from what the
 * server accepts.
 */
import { z } from 'zod';
import { API_PREFIX, type RouteInfo } from './route.ts';

type JsonSchema = Record<string, unknown>;

function jsonSchema(schema: z.ZodType): JsonSchema {
  const out = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
  delete out['$schema'];
  return out;
}

/** One OpenAPI parameter per property of an object schema (path or query). */
function parameters(schema: z.ZodType | undefined, where: 'path' | 'query'): JsonSchema[] {
  if (!schema) return [];
  const js = jsonSchema(schema);
  const props = (js['properties'] ?? {}) as Record<string, JsonSchema>;
  const required = new Set((js['required'] ?? []) as string[]);
  return Object.entries(props).map(([name, s]) => {
    const { description, ...rest } = s;
    return {
      name,
      in: where,
      required: where === 'path' || required.has(name),
      schema: rest,
      ...(typeof description === 'string' ? { description } : {}),
    };
  });
}

const errorSchema: JsonSchema = {
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message'],
      properties: {
        code: { type: 'string' },
        message: { type: 'string' },
        problems: {
          type: 'array',
          items: { type: 'object', required: ['path', 'message'], properties: { path: { type: 'string' }, node: { type: 'string' }, message: { type: 'string' } } },
        },
      },
    },
  },
};

function responses(route: RouteInfo): JsonSchema {
  const ok =
    route.status === 204
      ? { description: 'done (no body)' }
      : route.status === 101
        ? { description: 'switching protocols: a WebSocket of JSON text frames' }
        : { description: 'success', content: { 'application/json': { schema: {} } } };
  const err = (description: string): JsonSchema => ({ description, content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } });
  const out: JsonSchema = { [String(route.status)]: ok };
  if (route.params || route.query || route.body) out['400'] = err('bad request: the message names the field');
  if (route.access !== 'public') {
    out['401'] = err('no key, or a key that is invalid or revoked');
    out['403'] = err("the key's role may not call this route");
  }
  if (route.params) out['404'] = err('not found (or belongs to another tenant)');
  for (const [status, description] of Object.entries(route.errors ?? {})) out[status] = err(description);
  return out;
}

/** get /lines/{line}/numbers → get_lines_line_numbers: unique per method and path. */
function operationId(r: RouteInfo): string {
  return `${r.method.toLowerCase()}${r.path.replace(/[^A-Za-z0-9]+/g, '_').replace(/_$/, '')}`;
}

export function openApiDocument(routes: readonly RouteInfo[], version: string): JsonSchema {
  const paths: Record<string, Record<string, JsonSchema>> = {};
  for (const r of routes) {
    const op: JsonSchema = {
      operationId: operationId(r),
      summary: r.summary,
      tags: [r.tag],
      ...(r.description ? { description: r.description } : {}),
      parameters: [...parameters(r.params, 'path'), ...parameters(r.query, 'query')],
      ...(r.body ? { requestBody: { required: true, content: { 'application/json': { schema: jsonSchema(r.body) } } } } : {}),
      responses: responses(r),
      security: r.access === 'public' ? [] : [{ bearer: [] }],
      ...(r.access !== 'public' ? { 'x-roles': r.access } : {}),
    };
    (paths[API_PREFIX + r.path] ??= {})[r.method.toLowerCase()] = op;
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'surgeline API',
      version,
      description: 'Contact-center voice system. Every route but health and this document needs `Authorization: Bearer <API key>`; data is scoped to the key\'s tenant.',
    },
    servers: [{ url: '/' }],
    paths,
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'an API key (sl_…)' } },
      schemas: { Error: errorSchema },
    },
  };
}
