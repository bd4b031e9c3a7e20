/** The import graph: fan-in, fan-out and PageRank over resolved imports (edges importer → imported). */
import type { GraphNode } from '../../core/analysis.js';

export interface PageRankOptions {
  /** damping factor, 0.85 */
  damping?: number;
  /** stop when the L1 change of an iteration is below this, 1e-9 */
  tolerance?: number;
  maxIterations?: number;
}

/**
 * PageRank of a directed graph given as adjacency lists (node → distinct successors). Dangling nodes (no
 * out-edges) spread their rank over every node, so the ranks always sum to 1.
 */
export function pageRank(nodes: readonly string[], edges: ReadonlyMap<string, readonly string[]>, o: PageRankOptions = {}): Map<string, number> {
  const d = o.damping ?? 0.85;
  const tol = o.tolerance ?? 1e-9;
  const maxIter = o.maxIterations ?? 1000;
  const n = nodes.length;
  const out = new Map<string, number>();
  if (n === 0) return out;
  const index = new Map(nodes.map((p, i) => [p, i]));
  const succ: number[][] = nodes.map((p) => [...new Set(edges.get(p) ?? [])].map((q) => index.get(q)).filter((i): i is number => i !== undefined));
  let rank = new Float64Array(n).fill(1 / n);
  for (let iter = 0; iter < maxIter; iter++) {
    const next = new Float64Array(n);
    let dangling = 0;
    for (let i = 0; i < n; i++) {
      const s = succ[i] as number[];
      const r = rank[i] as number;
      if (s.length === 0) dangling += r;
      else {
        const share = r / s.length;
        for (const j of s) next[j] = (next[j] as number) + share;
      }
    }
    const base = (1 - d) / n + (d * dangling) / n;
    let delta = 0;
    let sum = 0;
    for (let i = 0; i < n; i++) {
      const v = base + d * (next[i] as number);
      next[i] = v;
      sum += v;
    }
    for (let i = 0; i < n; i++) {
      next[i] = (next[i] as number) / sum;
      delta += Math.abs((next[i] as number) - (rank[i] as number));
    }
    rank = next;
    if (delta < tol) break;
  }
  nodes.forEach((p, i) => out.set(p, rank[i] as number));
  return out;
}

/** Fan-in (distinct importers), fan-out (distinct imports) and PageRank of every file; self-imports are ignored. */
export function importGraph(files: readonly { path: string; imports: readonly string[] }[], o: PageRankOptions = {}): GraphNode[] {
  const nodes = files.map((f) => f.path);
  const known = new Set(nodes);
  const edges = new Map<string, string[]>();
  const fanIn = new Map<string, number>();
  for (const f of files) {
    const targets = [...new Set(f.imports)].filter((q) => q !== f.path && known.has(q));
    edges.set(f.path, targets);
    for (const q of targets) fanIn.set(q, (fanIn.get(q) ?? 0) + 1);
  }
  const pr = pageRank(nodes, edges, o);
  return nodes.map((path) => ({ path, fanIn: fanIn.get(path) ?? 0, fanOut: (edges.get(path) ?? []).length, pageRank: pr.get(path) ?? 0 }));
}
