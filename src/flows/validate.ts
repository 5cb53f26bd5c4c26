import type { z } from 'zod';
import { BUILTIN_NAMESPACES, VARIABLE } from './common.ts';
import { flowSchema, reads, targets, waitsForInput, writes, type Flow, type FlowNode } from './schema.ts';

/**
 * Validation of a flow document: first its shape (zod), then its graph. A flow with any
 * problem must never reach a caller; warnings do not block publishing.
 *
 * Every problem carries `path`, the dotted path of the offending field in the document
 * ("nodes.menu1.options.3"), and `node` when it lies inside a node.
 *
 * Graph rules (checked only once the shape is valid, since they need well-formed nodes):
 * 1. `start` must name a node.
 * 2. Every target field must name a node (path: the field, e.g. "nodes.m.options.1").
 * 3. Every node must be reachable from `start` (path: "nodes.<id>").
 * 4. A menu must have a way out: at least one option, `noInput` or `invalid` target other
 *    than the menu itself (path: "nodes.<id>.options"). Hanging up after the retries is
 *    not a way out: the caller could never get anything done.
 * 5. No loop without a way out: a set of reachable nodes that can all reach each other
 *    (a strongly connected component with a cycle) and has no edge leaving the set is a
 *    trap — terminal nodes (hangup, transfer, queue, voicemail, callback, goto) have no edges, so
 *    they are never inside one. Without a menu or collect in it, it runs forever with no
 *    caller input (say → say); with one, the caller can press keys but never get out.
 *    Reported once, on the set's first node in document order (path: "nodes.<id>").
 *    A menu already reported by rule 4 on its own is not reported again.
 *    Loops that do have an edge leaving (e.g. a branch on a counter) are allowed: whether
 *    they exit depends on data, which a static check cannot know.
 * 6. Variables in `{{…}}` templates must be well-formed names.
 *
 * Warnings: a variable read at a node (in a `{{name}}` template or as a branch subject)
 * that is set on no path from `start` to that node. "Set" means by a `set` node, by a
 * `collect` on its way to `next`, or by an `http` lookup on its way to `onSuccess`.
 * Names under `caller.`, `call.` and `line.` are provided by the runtime and never warned.
 */

export interface FlowProblem {
  path: string;
  node?: string;
  message: string;
}

export type FlowValidation =
  | { ok: true; flow: Flow; warnings: FlowProblem[] }
  | { ok: false; problems: FlowProblem[]; warnings: FlowProblem[] };

export function validateFlow(input: unknown): FlowValidation {
  // JSON.parse keeps "__proto__" as an own key, but zod drops it silently from records,
  // so a node or variable with that name would vanish instead of being reported.
  const protoProblems = protoKeys(input);
  if (protoProblems.length > 0) return { ok: false, problems: protoProblems, warnings: [] };
  const parsed = flowSchema.safeParse(input);
  if (!parsed.success) return { ok: false, problems: schemaProblems(parsed.error.issues), warnings: [] };
  const flow = parsed.data;
  const problems = graphProblems(flow);
  const warnings = problems.length === 0 ? variableWarnings(flow) : [];
  return problems.length === 0 ? { ok: true, flow, warnings } : { ok: false, problems, warnings };
}

function problemAt(path: ReadonlyArray<PropertyKey>, message: string): FlowProblem {
  const problem: FlowProblem = { path: path.map((p) => String(p)).join('.'), message };
  if (path[0] === 'nodes' && path.length > 1) problem.node = String(path[1]);
  return problem;
}

interface PathLink {
  key: string;
  parent: PathLink | undefined;
}

function pathOf(link: PathLink | undefined): string[] {
  const keys: string[] = [];
  for (let l = link; l !== undefined; l = l.parent) keys.push(l.key);
  return keys.reverse();
}

/**
 * Iterative, so a hostile, deeply nested document cannot overflow the stack; paths are
 * linked to their parent and spelled out only for a problem, so depth costs linear time.
 */
function protoKeys(input: unknown): FlowProblem[] {
  const problems: FlowProblem[] = [];
  const pending: Array<{ value: unknown; at: PathLink | undefined }> = [{ value: input, at: undefined }];
  for (let item = pending.pop(); item !== undefined; item = pending.pop()) {
    if (item.at?.key === '__proto__') {
      problems.push(problemAt(pathOf(item.at), '"__proto__" cannot be used as a name'));
      continue;
    }
    if (typeof item.value !== 'object' || item.value === null) continue;
    const entries = Object.entries(item.value);
    // Pushed in reverse so that problems come out in document order.
    for (let i = entries.length - 1; i >= 0; i--) {
      const [key, child] = entries[i]!;
      pending.push({ value: child, at: { key, parent: item.at } });
    }
  }
  return problems;
}

function schemaProblems(issues: ReadonlyArray<z.core.$ZodIssue>): FlowProblem[] {
  const problems: FlowProblem[] = [];
  for (const issue of issues) {
    if (issue.code === 'unrecognized_keys') {
      // One problem per stray key, so the path names the field a typo produced.
      for (const key of issue.keys) problems.push(problemAt([...issue.path, key], `unknown field "${key}"`));
    } else if (issue.code === 'invalid_key') {
      const detail = issue.issues.map((i) => i.message).join('; ');
      problems.push(problemAt(issue.path, `invalid key: ${detail}`));
    } else {
      problems.push(problemAt(issue.path, issue.message));
    }
  }
  return problems;
}

function graphProblems(flow: Flow): FlowProblem[] {
  const problems: FlowProblem[] = [];
  const ids = Object.keys(flow.nodes);
  const has = (id: string): boolean => Object.hasOwn(flow.nodes, id);
  const startKnown = has(flow.start);
  if (!startKnown) problems.push({ path: 'start', message: `start names "${flow.start}", which is not a node of this flow` });

  for (const [id, node] of Object.entries(flow.nodes)) {
    for (const edge of targets(node)) {
      if (!has(edge.target)) {
        problems.push({ path: `nodes.${id}.${edge.field}`, node: id, message: `"${edge.target}" is not a node of this flow` });
      }
    }
    for (const use of reads(node)) {
      if (!VARIABLE.test(use.variable)) {
        problems.push({ path: `nodes.${id}.${use.field}`, node: id, message: `"{{${use.variable}}}" is not a variable name` });
      }
    }
  }

  const reachable = startKnown ? reachableFrom(flow, flow.start) : new Set<string>();
  if (startKnown) {
    for (const id of ids) {
      if (!reachable.has(id)) problems.push({ path: `nodes.${id}`, node: id, message: `no path from start "${flow.start}" reaches this node` });
    }
  }

  const menusWithoutExit = new Set<string>();
  for (const [id, node] of Object.entries(flow.nodes)) {
    if (node.type === 'menu' && targets(node).every((e) => e.target === id)) {
      menusWithoutExit.add(id);
      problems.push({
        path: `nodes.${id}.options`,
        node: id,
        message: 'this menu has no way out: no option, noInput or invalid target leads to another node',
      });
    }
  }

  for (const component of closedLoops(flow, reachable)) {
    const first = component[0];
    if (first === undefined) continue;
    if (component.length === 1 && menusWithoutExit.has(first)) continue;
    const nodes = component.map((id) => flow.nodes[id]).filter((n): n is FlowNode => n !== undefined);
    const names = component.join(', ');
    const message = nodes.some(waitsForInput)
      ? `loop with no way out: every path from ${names} leads back into it (add an exit or a hangup)`
      : `endless loop: ${names} repeat forever without caller input and with no way out`;
    problems.push({ path: `nodes.${first}`, node: first, message });
  }
  return problems;
}

/** Edges whose target exists (unknown targets are reported on their own). */
function successors(flow: Flow, id: string): string[] {
  const node = flow.nodes[id];
  if (node === undefined) return [];
  return targets(node)
    .map((e) => e.target)
    .filter((t) => Object.hasOwn(flow.nodes, t));
}

function reachableFrom(flow: Flow, start: string): Set<string> {
  const seen = new Set<string>([start]);
  const stack = [start];
  for (let id = stack.pop(); id !== undefined; id = stack.pop()) {
    for (const next of successors(flow, id)) {
      if (!seen.has(next)) {
        seen.add(next);
        stack.push(next);
      }
    }
  }
  return seen;
}

/**
 * Strongly connected components (Tarjan, iterative so a long flow cannot overflow the
 * stack) among `within` that contain a cycle and have no edge leaving them. Each is
 * returned with its ids in document order; components in document order of their first id.
 */
function closedLoops(flow: Flow, within: ReadonlySet<string>): string[][] {
  const order = Object.keys(flow.nodes).filter((id) => within.has(id));
  const position = new Map(order.map((id, i) => [id, i] as const));
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const components: string[][] = [];
  let counter = 0;

  for (const root of order) {
    if (index.has(root)) continue;
    const work: Array<{ id: string; next: number; succ: string[] }> = [];
    const enter = (id: string): void => {
      index.set(id, counter);
      low.set(id, counter);
      counter++;
      stack.push(id);
      onStack.add(id);
      work.push({ id, next: 0, succ: successors(flow, id).filter((s) => within.has(s)) });
    };
    enter(root);
    while (work.length > 0) {
      const frame = work[work.length - 1]!;
      if (frame.next < frame.succ.length) {
        const s = frame.succ[frame.next++]!;
        if (!index.has(s)) enter(s);
        else if (onStack.has(s)) low.set(frame.id, Math.min(low.get(frame.id)!, index.get(s)!));
        continue;
      }
      work.pop();
      const parent = work[work.length - 1];
      if (parent !== undefined) low.set(parent.id, Math.min(low.get(parent.id)!, low.get(frame.id)!));
      if (low.get(frame.id) === index.get(frame.id)) {
        const component: string[] = [];
        let member: string | undefined;
        do {
          member = stack.pop()!;
          onStack.delete(member);
          component.push(member);
        } while (member !== frame.id);
        components.push(component);
      }
    }
  }

  const closed: string[][] = [];
  for (const component of components) {
    const members = new Set(component);
    const edges = component.flatMap((id) => successors(flow, id));
    const cyclic = component.length > 1 || edges.some((t) => t === component[0]);
    // Edges to nodes outside `within` cannot exist: successors of reachable nodes are reachable.
    const leaves = edges.some((t) => !members.has(t));
    if (cyclic && !leaves) closed.push(component.sort((a, b) => position.get(a)! - position.get(b)!));
  }
  return closed.sort((a, b) => position.get(a[0]!)! - position.get(b[0]!)!);
}

function isBuiltin(variable: string): boolean {
  const namespace = variable.split('.')[0] ?? '';
  return variable.includes('.') && BUILTIN_NAMESPACES.includes(namespace);
}

/** Forward "may be set" dataflow: the variables set on at least one path into each node. */
function variableWarnings(flow: Flow): FlowProblem[] {
  const setBefore = new Map<string, Set<string>>([[flow.start, new Set()]]);
  const queue = [flow.start];
  for (let id = queue.shift(); id !== undefined; id = queue.shift()) {
    const node = flow.nodes[id];
    if (node === undefined) continue;
    const incoming = setBefore.get(id) ?? new Set<string>();
    for (const edge of targets(node)) {
      const outgoing = new Set([...incoming, ...writes(node, edge.field)]);
      const known = setBefore.get(edge.target);
      if (known === undefined) {
        setBefore.set(edge.target, outgoing);
        queue.push(edge.target);
      } else {
        const before = known.size;
        for (const v of outgoing) known.add(v);
        if (known.size > before) queue.push(edge.target);
      }
    }
  }

  const warnings: FlowProblem[] = [];
  for (const [id, node] of Object.entries(flow.nodes)) {
    const available = setBefore.get(id);
    if (available === undefined) continue;
    for (const use of reads(node)) {
      if (isBuiltin(use.variable) || available.has(use.variable)) continue;
      warnings.push({
        path: `nodes.${id}.${use.field}`,
        node: id,
        message: `variable "${use.variable}" is not set on any path from start to this node`,
      });
    }
  }
  return warnings;
}
