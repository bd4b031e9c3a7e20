/**
 * Depth-limited regression trees on histogram (quantile) splits, shared by gradient boosting and the random
 * forest. A tree fits per-row first and second derivatives (g, h) with the XGBoost gain
 * G_L²/(H_L+λ) + G_R²/(H_R+λ) − G²/(H+λ) and leaf values −G/(H+λ); with g = −w·y, h = w and λ = 0 that is a
 * weighted mean and variance reduction (what a forest of 0/1 labels needs).
 */
import type { Rng } from '../../core/rng.js';
import type { TreeJson } from './types.js';

export interface Binned {
  /** per feature, the bin of every row */
  bins: Uint8Array[];
  /** per feature, the upper edge (raw value) of each bin: bin b holds x <= edges[b] (and > edges[b-1]) */
  edges: number[][];
  rows: number;
}

/** Bins every feature into at most `maxBins` (≤ 255) quantile bins of the training values. */
export function binFeatures(X: readonly (readonly number[])[], features: number, maxBins = 32): Binned {
  const bins: Uint8Array[] = [];
  const edges: number[][] = [];
  for (let f = 0; f < features; f++) {
    const col = X.map((r) => r[f] as number);
    const sorted = [...col].sort((a, b) => a - b);
    const uniq: number[] = [];
    for (const v of sorted) if (uniq.length === 0 || uniq[uniq.length - 1] !== v) uniq.push(v);
    let e: number[];
    if (uniq.length <= maxBins) e = uniq;
    else {
      e = [];
      for (let b = 1; b <= maxBins; b++) {
        const v = sorted[Math.min(sorted.length - 1, Math.ceil((b / maxBins) * sorted.length) - 1)] as number;
        if (e.length === 0 || (e[e.length - 1] as number) < v) e.push(v);
      }
    }
    const bf = new Uint8Array(col.length);
    col.forEach((v, i) => {
      let lo = 0;
      let hi = e.length - 1;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (v <= (e[mid] as number)) hi = mid;
        else lo = mid + 1;
      }
      bf[i] = lo;
    });
    bins.push(bf);
    edges.push(e);
  }
  return { bins, edges, rows: X.length };
}

export interface TreeOptions {
  maxDepth: number;
  /** smallest sum of h on each side of a split */
  minChildWeight: number;
  lambda: number;
  /** features tried at each node (all when ≥ the feature count) */
  featuresPerNode: number;
  rng: Rng;
}

/** Fits one tree to the rows `rows` (indices, repeats allowed for a bootstrap). */
export function buildTree(data: Binned, rows: readonly number[], g: Float64Array, h: Float64Array, o: TreeOptions): TreeJson {
  const t: TreeJson = { feature: [], threshold: [], left: [], right: [], value: [] };
  const nFeat = data.bins.length;
  const grow = (idx: readonly number[], depth: number): number => {
    let G = 0;
    let H = 0;
    for (const i of idx) {
      G += g[i] as number;
      H += h[i] as number;
    }
    const node = t.value.length;
    t.feature.push(-1);
    t.threshold.push(0);
    t.left.push(-1);
    t.right.push(-1);
    t.value.push(-G / (H + o.lambda));
    if (depth >= o.maxDepth || idx.length < 2) return node;
    const parentScore = (G * G) / (H + o.lambda);
    let best = { gain: 1e-12, f: -1, bin: -1 };
    for (const f of pickFeatures(nFeat, o.featuresPerNode, o.rng)) {
      const nb = (data.edges[f] as number[]).length;
      if (nb < 2) continue;
      const hg = new Float64Array(nb);
      const hh = new Float64Array(nb);
      const col = data.bins[f] as Uint8Array;
      for (const i of idx) {
        const b = col[i] as number;
        hg[b] = (hg[b] as number) + (g[i] as number);
        hh[b] = (hh[b] as number) + (h[i] as number);
      }
      let GL = 0;
      let HL = 0;
      for (let b = 0; b < nb - 1; b++) {
        GL += hg[b] as number;
        HL += hh[b] as number;
        const GR = G - GL;
        const HR = H - HL;
        if (HL < o.minChildWeight || HR < o.minChildWeight) continue;
        const gain = (GL * GL) / (HL + o.lambda) + (GR * GR) / (HR + o.lambda) - parentScore;
        if (gain > best.gain) best = { gain, f, bin: b };
      }
    }
    if (best.f < 0) return node;
    const col = data.bins[best.f] as Uint8Array;
    const li: number[] = [];
    const ri: number[] = [];
    for (const i of idx) ((col[i] as number) <= best.bin ? li : ri).push(i);
    t.feature[node] = best.f;
    const e = data.edges[best.f] as number[];
    // the midpoint between the bin's upper edge and the next value: rounding a saved threshold cannot move a training value across it
    t.threshold[node] = ((e[best.bin] as number) + (e[best.bin + 1] as number)) / 2;
    t.left[node] = grow(li, depth + 1);
    t.right[node] = grow(ri, depth + 1);
    return node;
  };
  grow(rows, 0);
  return t;
}

function pickFeatures(n: number, k: number, rng: Rng): number[] {
  const all = Array.from({ length: n }, (_, i) => i);
  if (k >= n) return all;
  for (let i = 0; i < k; i++) {
    const j = rng.int(i, n - 1);
    [all[i], all[j]] = [all[j] as number, all[i] as number];
  }
  return all.slice(0, k);
}

/** The leaf value of x. */
export function treeValue(t: TreeJson, x: readonly number[]): number {
  let n = 0;
  while ((t.left[n] as number) >= 0) n = (x[t.feature[n] as number] as number) <= (t.threshold[n] as number) ? (t.left[n] as number) : (t.right[n] as number);
  return t.value[n] as number;
}

/** Adds, per feature, the change of node value along x's path (Saabas); returns the root value (the tree's bias). */
export function treeExplain(t: TreeJson, x: readonly number[], contrib: number[], scale: number): number {
  let n = 0;
  while ((t.left[n] as number) >= 0) {
    const f = t.feature[n] as number;
    const next = (x[f] as number) <= (t.threshold[n] as number) ? (t.left[n] as number) : (t.right[n] as number);
    contrib[f] = (contrib[f] as number) + scale * ((t.value[next] as number) - (t.value[n] as number));
    n = next;
  }
  return t.value[0] as number;
}

export function roundTree(t: TreeJson, round: (v: number) => number): TreeJson {
  return { feature: t.feature, threshold: t.threshold.map(round), left: t.left, right: t.right, value: t.value.map(round) };
}
