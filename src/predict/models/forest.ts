/**
 * Random forest, our own small implementation: each tree is a histogram regression tree (tree.ts) on a
 * bootstrap sample fitted to the 0/1 labels (variance reduction = Gini for two classes), trying √d features
 * at each node. The probability is the mean of the trees' leaf values; contributions are Saabas path
 * attributions averaged over the trees (probability units).
 */
import { createRng } from '../../core/rng.js';
import { binFeatures, buildTree, roundTree, treeExplain, treeValue } from './tree.js';
import { checkFit, type FitOptions, type ForestJson, type Model, round6, rowWeights } from './types.js';

export interface ForestOptions extends FitOptions {
  trees?: number;
  maxDepth?: number;
  /** smallest total row weight in a leaf */
  minLeafWeight?: number;
  /** features tried per node; default round(√d) */
  featuresPerNode?: number;
  maxBins?: number;
}

export function fitForest(X: readonly (readonly number[])[], y: readonly number[], opts: ForestOptions): Model {
  checkFit(X, y, opts);
  const rng = createRng(opts.seed ?? 1);
  const n = X.length;
  const d = opts.features.length;
  const params = {
    trees: opts.trees ?? 200,
    maxDepth: opts.maxDepth ?? 8,
    minLeafWeight: opts.minLeafWeight ?? 5,
    featuresPerNode: opts.featuresPerNode ?? Math.max(1, Math.round(Math.sqrt(d))),
    maxBins: opts.maxBins ?? 32,
  };
  const w = rowWeights(y, opts);
  const meanW = w.reduce((s, v) => s + v, 0) / n;
  const g = new Float64Array(n);
  const h = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    h[i] = (w[i] as number) / meanW;
    g[i] = -(h[i] as number) * (y[i] as number);
  }
  const data = binFeatures(X, d, params.maxBins);
  const trees = [];
  for (let t = 0; t < params.trees; t++) {
    const rows = Array.from({ length: n }, () => rng.int(0, n - 1));
    trees.push(buildTree(data, rows, g, h, { maxDepth: params.maxDepth, minChildWeight: params.minLeafWeight, lambda: 0, featuresPerNode: params.featuresPerNode, rng }));
  }
  return forestModel({ kind: 'forest', features: [...opts.features], trees, params });
}

export function forestModel(j: ForestJson): Model {
  const k = j.trees.length;
  return {
    kind: 'forest',
    features: j.features,
    predict: (x) => Math.min(1, Math.max(0, j.trees.reduce((s, t) => s + treeValue(t, x), 0) / k)),
    explain: (x) => {
      const c = new Array<number>(j.features.length).fill(0);
      for (const t of j.trees) treeExplain(t, x, c, 1 / k);
      return c;
    },
    toJSON: () => ({ ...j, trees: j.trees.map((t) => roundTree(t, round6)) }),
  };
}
