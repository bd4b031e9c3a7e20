/**
 * Gradient-boosted trees for binary log-loss, our own small implementation (see docs/reference/predict.md,
 * design notes): each round fits a depth-limited histogram tree (tree.ts) to the gradients p − y and
 * hessians p(1 − p) of a row subsample, shrunk by `shrinkage`. Margins start at the weighted log-odds of
 * the base rate. Contributions are Saabas path attributions in log-odds.
 */
import { createRng } from '../../core/rng.js';
import { binFeatures, buildTree, roundTree, treeExplain, treeValue } from './tree.js';
import { checkFit, type FitOptions, type GbtJson, logit, type Model, round6, rowWeights, sigmoid } from './types.js';

export interface GbtOptions extends FitOptions {
  rounds?: number;
  maxDepth?: number;
  shrinkage?: number;
  /** share of rows drawn (without replacement) for each tree */
  subsample?: number;
  /** share of features tried at each node */
  colsample?: number;
  lambda?: number;
  minChildWeight?: number;
  maxBins?: number;
}

export const GBT_DEFAULTS = { rounds: 150, maxDepth: 3, shrinkage: 0.05, subsample: 0.8, colsample: 0.8, lambda: 1, minChildWeight: 1, maxBins: 32 };

export function fitGbt(X: readonly (readonly number[])[], y: readonly number[], opts: GbtOptions): Model {
  checkFit(X, y, opts);
  const p = { ...GBT_DEFAULTS, ...definedOnly(opts) };
  const rng = createRng(opts.seed ?? 1);
  const n = X.length;
  const d = opts.features.length;
  const w = rowWeights(y, opts);
  const W = w.reduce((s, v) => s + v, 0);
  const pos = y.reduce<number>((s, v, i) => s + v * (w[i] as number), 0);
  const base = logit(pos / W);
  const data = binFeatures(X, d, p.maxBins);
  const margin = new Float64Array(n).fill(base);
  const g = new Float64Array(n);
  const h = new Float64Array(n);
  const trees = [];
  const perNode = Math.max(1, Math.round(p.colsample * d));
  for (let r = 0; r < p.rounds; r++) {
    for (let i = 0; i < n; i++) {
      const q = sigmoid(margin[i] as number);
      g[i] = (w[i] as number) * (q - (y[i] as number));
      h[i] = (w[i] as number) * Math.max(q * (1 - q), 1e-6);
    }
    const rows: number[] = [];
    for (let i = 0; i < n; i++) if (p.subsample >= 1 || rng.next() < p.subsample) rows.push(i);
    const t = buildTree(data, rows, g, h, { maxDepth: p.maxDepth, minChildWeight: p.minChildWeight, lambda: p.lambda, featuresPerNode: perNode, rng });
    trees.push(t);
    for (let i = 0; i < n; i++) margin[i] = (margin[i] as number) + p.shrinkage * treeValue(t, X[i] as number[]);
  }
  return gbtModel({ kind: 'gbt', features: [...opts.features], base, shrinkage: p.shrinkage, trees, params: p });
}

function definedOnly(o: GbtOptions): Partial<typeof GBT_DEFAULTS> {
  const out: Partial<typeof GBT_DEFAULTS> = {};
  for (const k of Object.keys(GBT_DEFAULTS) as (keyof typeof GBT_DEFAULTS)[]) if (o[k] !== undefined) out[k] = o[k];
  return out;
}

export function gbtModel(j: GbtJson): Model {
  const marginOf = (x: readonly number[]): number => j.trees.reduce((m, t) => m + j.shrinkage * treeValue(t, x), j.base);
  return {
    kind: 'gbt',
    features: j.features,
    predict: (x) => sigmoid(marginOf(x)),
    explain: (x) => {
      const c = new Array<number>(j.features.length).fill(0);
      for (const t of j.trees) treeExplain(t, x, c, j.shrinkage);
      return c;
    },
    toJSON: () => ({ ...j, base: round6(j.base), trees: j.trees.map((t) => roundTree(t, round6)) }),
  };
}
