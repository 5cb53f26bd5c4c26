/**
 * Minimum-cost flow by successive shortest paths with node potentials (Dijkstra on reduced
 * costs; e.g. Ahuja, Magnanti, Orlin, "Network Flows", 1993, §9.7). Arcs have integer
 * capacities (Infinity allowed) and non-negative costs; nodes have supplies (positive) and
 * demands (negative) that sum to zero. Integral supplies and capacities give an integral
 * optimum, which is what the shift planner relies on.
 */

export interface FlowArc {
  readonly from: number;
  readonly to: number;
  readonly cost: number;
  readonly capacity: number;
}

export class InfeasibleFlowError extends Error {
  override readonly name = 'InfeasibleFlowError';
}

/** Flow on each arc (same order as `arcs`) and the total cost. */
export function minCostFlow(nodes: number, arcs: readonly FlowArc[], supply: readonly number[]): { flow: number[]; cost: number } {
  if (supply.length !== nodes) throw new RangeError('one supply per node');
  if (Math.abs(supply.reduce((a, b) => a + b, 0)) > 1e-9) throw new RangeError('supplies and demands must balance');
  // Residual graph: arc 2i forward, 2i+1 backward. A super source and sink carry the supplies.
  const source = nodes;
  const sink = nodes + 1;
  const n = nodes + 2;
  const to: number[] = [];
  const cap: number[] = [];
  const cost: number[] = [];
  const head: number[][] = Array.from({ length: n }, () => []);
  const add = (u: number, v: number, c: number, w: number): void => {
    if (w < 0) throw new RangeError('arc costs must be ≥ 0');
    head[u]!.push(to.length);
    to.push(v), cap.push(c), cost.push(w);
    head[v]!.push(to.length);
    to.push(u), cap.push(0), cost.push(-w);
  };
  for (const a of arcs) add(a.from, a.to, a.capacity, a.cost);
  let needed = 0;
  supply.forEach((s, v) => {
    if (s > 0) {
      add(source, v, s, 0);
      needed += s;
    } else if (s < 0) add(v, sink, -s, 0);
  });

  const potential = new Float64Array(n);
  const dist = new Float64Array(n);
  const prevEdge = new Int32Array(n);
  const done = new Uint8Array(n);
  let sent = 0;
  let total = 0;
  while (sent < needed) {
    // Dijkstra on reduced costs (dense: the graphs here have at most a few thousand nodes).
    dist.fill(Infinity);
    done.fill(0);
    prevEdge.fill(-1);
    dist[source] = 0;
    for (;;) {
      let u = -1;
      for (let v = 0; v < n; v++) if (!done[v] && dist[v]! < Infinity && (u < 0 || dist[v]! < dist[u]!)) u = v;
      if (u < 0) break;
      done[u] = 1;
      for (const e of head[u]!) {
        if (cap[e]! <= 0) continue;
        const v = to[e]!;
        const d = dist[u]! + cost[e]! + potential[u]! - potential[v]!;
        if (d < dist[v]! - 1e-12) {
          dist[v] = d;
          prevEdge[v] = e;
        }
      }
    }
    if (dist[sink] === Infinity) throw new InfeasibleFlowError(`only ${sent} of ${needed} units can be routed`);
    for (let v = 0; v < n; v++) if (dist[v]! < Infinity) potential[v]! += dist[v]!;
    // Push the bottleneck along the path.
    let push = needed - sent;
    for (let v = sink; v !== source; v = to[prevEdge[v]! ^ 1]!) push = Math.min(push, cap[prevEdge[v]!]!);
    for (let v = sink; v !== source; v = to[prevEdge[v]! ^ 1]!) {
      const e = prevEdge[v]!;
      cap[e]! -= push;
      cap[e ^ 1]! += push;
      total += push * cost[e]!;
    }
    sent += push;
  }
  const flow = arcs.map((_, i) => cap[2 * i + 1]!);
  return { flow, cost: total };
}
