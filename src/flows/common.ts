import { z } from 'zod';

/**
 * Pieces every node file shares: ids, targets, prompts and the `{{name}}` template syntax.
 *
 * Variables in flow text are written `{{name}}`. Square brackets such as "[時間]" are
 * plain text inside a flow document: they belong to announcement-slot texts (C5), whose
 * own variables the announcements module fills in, so a flow never reads them as variables.
 */

/**
 * Node ids are used in paths ("nodes.menu1.options.3"), so no dots in ids. `__proto__` is
 * refused here and in variable names: as an object key it would not survive parsing.
 */
export const NODE_ID = /^(?!__proto__$)[A-Za-z_][A-Za-z0-9_-]*$/;
export const nodeId = z.string().regex(NODE_ID, { message: 'a node id: letters, digits, "_" or "-", not starting with a digit' });

/** A variable name; dotted names are namespaces (e.g. `caller.number`). */
export const VARIABLE = /^(?!__proto__(\.|$))[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/;
export const variableName = z.string().regex(VARIABLE, { message: 'a variable name such as orderStatus or order.status' });

/** Names under these namespaces are filled by the runtime for every call, never by the flow. */
export const BUILTIN_NAMESPACES: readonly string[] = ['caller', 'call', 'line'];

/** A target field: the id of another node in the same document. */
export const target = nodeId;

export const timeoutMs = z.number().int().min(100).max(120_000);

/**
 * What the caller hears: text for TTS (with `{{variables}}`) or an uploaded audio asset,
 * exactly one of them.
 */
export const prompt = z
  .strictObject({
    text: z.string().min(1).optional(),
    audio: z.string().min(1).optional(),
    voice: z.string().min(1).optional(),
  })
  .refine((p) => (p.text === undefined) !== (p.audio === undefined), {
    message: 'a prompt has exactly one of "text" (spoken by TTS) or "audio" (an uploaded asset)',
  });
export type Prompt = z.infer<typeof prompt>;

/** An outgoing edge: `field` is the path inside the node ("options.3", "cases.0.next"). */
export interface Edge {
  field: string;
  target: string;
}

/** A variable read by a node: `field` is the path inside the node where it is read. */
export interface VariableUse {
  field: string;
  variable: string;
}

const TEMPLATE_VAR = /\{\{\s*([^{}]*?)\s*\}\}/g;

/** The variables a `{{name}}` template reads, in order of appearance. */
export function templateVariables(text: string): string[] {
  const names: string[] = [];
  for (const m of text.matchAll(TEMPLATE_VAR)) names.push(m[1] ?? '');
  return names;
}

export function usesInTemplate(field: string, text: string | undefined): VariableUse[] {
  if (text === undefined) return [];
  return templateVariables(text).map((variable) => ({ field, variable }));
}

export function usesInPrompt(field: string, p: Prompt | undefined): VariableUse[] {
  return p === undefined ? [] : usesInTemplate(`${field}.text`, p.text);
}
