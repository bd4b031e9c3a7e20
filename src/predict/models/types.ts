/**
 * The one model interface: `fit(X, y, opts) → Model`, a Model predicts a probability and explains it as
 * additive per-feature contributions, and serialises to JSON (`toJSON()`), read back by `loadModel`.
 * X rows are already transformed (dataset.ts applies log1p to counts); every model is deterministic for a seed.
 */
import { FaultlineError } from '../../core/errors.js';

export type ModelKind = 'logistic' | 'gbt' | 'forest';

export interface FitOptions {
  /** feature names, one per column */
  features: string[];
  /** per-row weights (class weights, feedback weights); default 1 */
  weights?: number[];
  /** seed of every random draw (subsampling, bootstrap, feature sampling) */
  seed?: number;
  /** reweight so both classes carry the same total weight */
  balanced?: boolean;
}

export interface Model {
  readonly kind: ModelKind | 'ensemble';
  readonly features: string[];
  /** probability of the positive class */
  predict(x: readonly number[]): number;
  /** contribution of each feature to this prediction (log-odds for logistic/gbt, probability for forest), same order as features */
  explain(x: readonly number[]): number[];
  toJSON(): ModelJson;
}

export interface LogisticJson {
  kind: 'logistic';
  features: string[];
  mean: number[];
  scale: number[];
  coef: number[];
  intercept: number;
  l2: number;
}

/** A tree as parallel arrays; node 0 is the root; left[i] = -1 for a leaf. x[feature] <= threshold goes left. */
export interface TreeJson {
  feature: number[];
  threshold: number[];
  left: number[];
  right: number[];
  value: number[];
}

export interface GbtJson {
  kind: 'gbt';
  features: string[];
  base: number;
  shrinkage: number;
  trees: TreeJson[];
  params: Record<string, number>;
}

export interface ForestJson {
  kind: 'forest';
  features: string[];
  trees: TreeJson[];
  params: Record<string, number>;
}

/** The mean probability of several fitted models (the same features). */
export interface EnsembleJson {
  kind: 'ensemble';
  features: string[];
  members: (LogisticJson | GbtJson | ForestJson)[];
}

export type ModelJson = LogisticJson | GbtJson | ForestJson | EnsembleJson;

export function sigmoid(z: number): number {
  if (z >= 0) return 1 / (1 + Math.exp(-z));
  const e = Math.exp(z);
  return e / (1 + e);
}

export function logit(p: number): number {
  const q = Math.min(1 - 1e-9, Math.max(1e-9, p));
  return Math.log(q / (1 - q));
}

/** Row weights: the given ones (or 1), times class weights when `balanced`. */
export function rowWeights(y: readonly number[], opts: FitOptions): number[] {
  const w = opts.weights ? [...opts.weights] : y.map(() => 1);
  if (opts.balanced) {
    let wp = 0;
    let wn = 0;
    y.forEach((v, i) => (v === 1 ? (wp += w[i] as number) : (wn += w[i] as number)));
    if (wp > 0 && wn > 0) {
      const total = wp + wn;
      for (let i = 0; i < w.length; i++) w[i] = (w[i] as number) * (y[i] === 1 ? total / (2 * wp) : total / (2 * wn));
    }
  }
  return w;
}

/** Rounds to 6 significant digits, so saved models stay small. */
export function round6(v: number): number {
  return v === 0 || !Number.isFinite(v) ? v : Number(v.toPrecision(6));
}

/** Checks the shape of a training set; throws FL_ERR_PREDICT_INPUT naming what is wrong. */
export function checkFit(X: readonly (readonly number[])[], y: readonly number[], opts: FitOptions): void {
  const bad = (what: string): never => {
    throw new FaultlineError('FL_ERR_PREDICT_INPUT', `fit: ${what}`);
  };
  if (X.length === 0) bad('no training rows');
  if (X.length !== y.length) bad(`X has ${X.length} rows but y has ${y.length} labels`);
  if (opts.weights && opts.weights.length !== y.length) bad(`weights has ${opts.weights.length} entries for ${y.length} rows`);
  const d = opts.features.length;
  X.forEach((r, i) => {
    if (r.length !== d) bad(`row ${i} has ${r.length} values for ${d} features`);
    for (const v of r) if (!Number.isFinite(v)) bad(`row ${i} has a non-finite value`);
  });
  y.forEach((v, i) => {
    if (v !== 0 && v !== 1) bad(`label ${i} is ${v}; labels must be 0 or 1`);
  });
}
