/**
 * L2-regularised logistic regression fitted by Newton's method (iteratively reweighted least squares) on
 * standardised features, and Platt scaling on top. Small, deterministic and serialisable to JSON: the early-warning
 * forecaster's model. (src/predict has its own models; stages do not import each other.)
 */
import { FaultlineError } from '../../core/errors.js';

export interface LogisticModel {
  /** per feature: subtracted, then divided by scale */
  mean: number[];
  scale: number[];
  weights: number[];
  bias: number;
}

export interface LogisticOptions {
  /** L2 penalty on the weights (not the bias), in units of the standardised features (default 1) */
  l2?: number;
  maxIter?: number;
  /** stop when the largest Newton step is below this (default 1e-8) */
  tol?: number;
  /** standardise the features (default true) */
  standardise?: boolean;
}

export function sigmoid(z: number): number {
  if (z >= 0) return 1 / (1 + Math.exp(-z));
  const e = Math.exp(z);
  return e / (1 + e);
}

/** solves A x = b for a symmetric positive definite A (Cholesky), in place of nothing: returns x */
function solveSpd(A: Float64Array, b: Float64Array, d: number): Float64Array {
  const L = new Float64Array(d * d);
  for (let i = 0; i < d; i++) {
    for (let j = 0; j <= i; j++) {
      let s = A[i * d + j] as number;
      for (let k = 0; k < j; k++) s -= (L[i * d + k] as number) * (L[j * d + k] as number);
      if (i === j) L[i * d + i] = Math.sqrt(Math.max(s, 1e-12));
      else L[i * d + j] = s / (L[j * d + j] as number);
    }
  }
  const y = new Float64Array(d);
  for (let i = 0; i < d; i++) {
    let s = b[i] as number;
    for (let k = 0; k < i; k++) s -= (L[i * d + k] as number) * (y[k] as number);
    y[i] = s / (L[i * d + i] as number);
  }
  const x = new Float64Array(d);
  for (let i = d - 1; i >= 0; i--) {
    let s = y[i] as number;
    for (let k = i + 1; k < d; k++) s -= (L[k * d + i] as number) * (x[k] as number);
    x[i] = s / (L[i * d + i] as number);
  }
  return x;
}

/**
 * Fits P(y = 1 | x) = sigmoid(w·(x − mean)/scale + b). `y` may hold soft labels in [0, 1] (Platt's targets).
 */
export function fitLogistic(X: readonly ArrayLike<number>[], y: ArrayLike<number>, o: LogisticOptions = {}): LogisticModel {
  const n = X.length;
  if (n === 0 || y.length !== n) throw new FaultlineError('FL_ERR_WARN_MODEL', `logistic regression needs one label per row and at least one row (rows ${n}, labels ${y.length})`);
  const p = (X[0] as ArrayLike<number>).length;
  const l2 = o.l2 ?? 1;
  const mean = new Array<number>(p).fill(0);
  const scale = new Array<number>(p).fill(1);
  if (o.standardise !== false) {
    for (const row of X) for (let j = 0; j < p; j++) mean[j] = (mean[j] as number) + (row[j] as number) / n;
    const v = new Array<number>(p).fill(0);
    for (const row of X) for (let j = 0; j < p; j++) v[j] = (v[j] as number) + ((row[j] as number) - (mean[j] as number)) ** 2 / n;
    for (let j = 0; j < p; j++) scale[j] = Math.sqrt(v[j] as number) > 1e-9 ? Math.sqrt(v[j] as number) : 1;
  }
  const d = p + 1; // last coefficient: the bias
  const Z = X.map((row) => {
    const z = new Float64Array(d);
    for (let j = 0; j < p; j++) z[j] = ((row[j] as number) - (mean[j] as number)) / (scale[j] as number);
    z[p] = 1;
    return z;
  });
  const beta = new Float64Array(d);
  const maxIter = o.maxIter ?? 50;
  const tol = o.tol ?? 1e-8;
  for (let it = 0; it < maxIter; it++) {
    const H = new Float64Array(d * d);
    const g = new Float64Array(d);
    for (let i = 0; i < n; i++) {
      const z = Z[i] as Float64Array;
      let eta = 0;
      for (let j = 0; j < d; j++) eta += (beta[j] as number) * (z[j] as number);
      const mu = sigmoid(eta);
      const w = Math.max(mu * (1 - mu), 1e-10);
      const r = mu - (y[i] as number);
      for (let j = 0; j < d; j++) {
        const zj = z[j] as number;
        if (zj === 0) continue;
        g[j] = (g[j] as number) + r * zj;
        const wz = w * zj;
        for (let k = 0; k <= j; k++) H[j * d + k] = (H[j * d + k] as number) + wz * (z[k] as number);
      }
    }
    for (let j = 0; j < d; j++) for (let k = 0; k < j; k++) H[k * d + j] = H[j * d + k] as number;
    for (let j = 0; j < p; j++) {
      H[j * d + j] = (H[j * d + j] as number) + l2;
      g[j] = (g[j] as number) + l2 * (beta[j] as number);
    }
    H[p * d + p] = (H[p * d + p] as number) + 1e-8;
    const step = solveSpd(H, g, d);
    let maxStep = 0;
    for (let j = 0; j < d; j++) {
      beta[j] = (beta[j] as number) - (step[j] as number);
      maxStep = Math.max(maxStep, Math.abs(step[j] as number));
    }
    if (maxStep < tol) break;
  }
  return { mean, scale, weights: Array.from(beta.subarray(0, p)), bias: beta[p] as number };
}

/** the linear predictor (log-odds) of one row */
export function logit(m: LogisticModel, x: ArrayLike<number>): number {
  let eta = m.bias;
  for (let j = 0; j < m.weights.length; j++) eta += (m.weights[j] as number) * (((x[j] as number) - (m.mean[j] as number)) / (m.scale[j] as number));
  return eta;
}

export interface Platt {
  a: number;
  b: number;
}

/** Platt scaling: P = sigmoid(a·logit + b) fitted to (out-of-fold) logits, with Platt's smoothed targets. */
export function fitPlatt(logits: ArrayLike<number>, y: ArrayLike<number>): Platt {
  let pos = 0;
  for (let i = 0; i < y.length; i++) pos += (y[i] as number) > 0.5 ? 1 : 0;
  const neg = y.length - pos;
  const hi = (pos + 1) / (pos + 2);
  const lo = 1 / (neg + 2);
  const t = new Float64Array(y.length);
  for (let i = 0; i < y.length; i++) t[i] = (y[i] as number) > 0.5 ? hi : lo;
  const rows = Array.from({ length: logits.length }, (_, i) => [logits[i] as number]);
  const m = fitLogistic(rows, t, { l2: 1e-6, standardise: false });
  return { a: m.weights[0] as number, b: m.bias };
}

export function applyPlatt(c: Platt, eta: number): number {
  return sigmoid(c.a * eta + c.b);
}
