/**
 * Logistic regression: standardised features, L2 penalty on the coefficients (not the intercept), fitted by
 * Newton's method (iteratively reweighted least squares) with weighted rows. Contributions are
 * coef_j · (x_j − mean_j) / scale_j in log-odds, so they sum to the margin minus the intercept.
 */
import { checkFit, type FitOptions, type LogisticJson, type Model, round6, rowWeights, sigmoid } from './types.js';

export interface LogisticOptions extends FitOptions {
  /** L2 strength λ on standardised coefficients, relative to the total row weight; default 1 */
  l2?: number;
  maxIter?: number;
}

export function fitLogistic(X: readonly (readonly number[])[], y: readonly number[], opts: LogisticOptions): Model {
  checkFit(X, y, opts);
  const d = opts.features.length;
  const n = X.length;
  const w = rowWeights(y, opts);
  const l2 = opts.l2 ?? 1;
  const mean = new Array<number>(d).fill(0);
  const scale = new Array<number>(d).fill(0);
  for (const r of X) r.forEach((v, j) => (mean[j] = (mean[j] as number) + v / n));
  for (const r of X) r.forEach((v, j) => (scale[j] = (scale[j] as number) + (v - (mean[j] as number)) ** 2 / n));
  for (let j = 0; j < d; j++) scale[j] = Math.sqrt(scale[j] as number) || 1;
  const Z = X.map((r) => [1, ...r.map((v, j) => (v - (mean[j] as number)) / (scale[j] as number))]);
  const beta = new Array<number>(d + 1).fill(0);
  const W = w.reduce((s, v) => s + v, 0);
  const pos = y.reduce<number>((s, v, i) => s + v * (w[i] as number), 0);
  beta[0] = Math.log(Math.max(1e-9, pos) / Math.max(1e-9, W - pos));
  for (let iter = 0; iter < (opts.maxIter ?? 50); iter++) {
    const grad = new Array<number>(d + 1).fill(0);
    const hess = Array.from({ length: d + 1 }, () => new Array<number>(d + 1).fill(0));
    for (let i = 0; i < n; i++) {
      const z = Z[i] as number[];
      let m = 0;
      for (let j = 0; j <= d; j++) m += (beta[j] as number) * (z[j] as number);
      const p = sigmoid(m);
      const wi = w[i] as number;
      const r = wi * (p - (y[i] as number));
      const s = wi * Math.max(p * (1 - p), 1e-10);
      for (let j = 0; j <= d; j++) {
        grad[j] = (grad[j] as number) + r * (z[j] as number);
        const hj = hess[j] as number[];
        for (let k = 0; k <= j; k++) hj[k] = (hj[k] as number) + s * (z[j] as number) * (z[k] as number);
      }
    }
    for (let j = 1; j <= d; j++) {
      grad[j] = (grad[j] as number) + l2 * (beta[j] as number);
      (hess[j] as number[])[j] = ((hess[j] as number[])[j] as number) + l2;
    }
    for (let j = 0; j <= d; j++) for (let k = 0; k < j; k++) (hess[k] as number[])[j] = (hess[j] as number[])[k] as number;
    const step = solve(hess, grad);
    let maxStep = 0;
    for (let j = 0; j <= d; j++) {
      beta[j] = (beta[j] as number) - (step[j] as number);
      maxStep = Math.max(maxStep, Math.abs(step[j] as number));
    }
    if (maxStep < 1e-8) break;
  }
  return logisticModel({
    kind: 'logistic',
    features: [...opts.features],
    mean,
    scale,
    coef: beta.slice(1),
    intercept: beta[0] as number,
    l2,
  });
}

/** Solves A x = b by Gaussian elimination with partial pivoting (A symmetric positive definite here). */
function solve(A: number[][], b: number[]): number[] {
  const n = b.length;
  const M = A.map((r, i) => [...r, b[i] as number]);
  for (let c = 0; c < n; c++) {
    let piv = c;
    for (let r = c + 1; r < n; r++) if (Math.abs((M[r] as number[])[c] as number) > Math.abs((M[piv] as number[])[c] as number)) piv = r;
    [M[c], M[piv]] = [M[piv] as number[], M[c] as number[]];
    const mc = M[c] as number[];
    const d = (mc[c] as number) || 1e-12;
    for (let r = c + 1; r < n; r++) {
      const mr = M[r] as number[];
      const f = (mr[c] as number) / d;
      if (f === 0) continue;
      for (let k = c; k <= n; k++) mr[k] = (mr[k] as number) - f * (mc[k] as number);
    }
  }
  const x = new Array<number>(n).fill(0);
  for (let r = n - 1; r >= 0; r--) {
    const mr = M[r] as number[];
    let s = mr[n] as number;
    for (let k = r + 1; k < n; k++) s -= (mr[k] as number) * (x[k] as number);
    x[r] = s / ((mr[r] as number) || 1e-12);
  }
  return x;
}

export function logisticModel(j: LogisticJson): Model {
  const contributions = (x: readonly number[]): number[] => j.coef.map((c, k) => (c * ((x[k] as number) - (j.mean[k] as number))) / (j.scale[k] as number));
  return {
    kind: 'logistic',
    features: j.features,
    predict: (x) => sigmoid(j.intercept + contributions(x).reduce((s, v) => s + v, 0)),
    explain: contributions,
    toJSON: () => ({ ...j, mean: j.mean.map(round6), scale: j.scale.map(round6), coef: j.coef.map(round6), intercept: round6(j.intercept) }),
  };
}
