/**
 * Calibration of the FIS probability on the release registry's outcomes: Platt scaling
 * P(failed | p) = σ(a · logit(p) + b), where p is the module's predicted probability of failure at promotion
 * time and `failed` says the promotion was rolled back or failed. Fitted by Newton's method (IRLS) on the
 * log-likelihood with a small L2 prior centred on the identity (a = 1, b = 0):
 *   loss(a, b) = Σ log(1 + e^{mᵢ}) − yᵢ·mᵢ  +  (λ/2)·((a − 1)² + b²),   mᵢ = a·logit(pᵢ) + b,   λ = 1
 * so a handful of outcomes moves the formula only a little and thousands move it all the way. Probabilities
 * are clamped to [1e-6, 1 − 1e-6] before the logit. A fit needs at least 20 samples with at least 3 of each
 * outcome; otherwise the fit returns the reason and the formula is used.
 */
import { FaultlineError } from '../core/errors.js';

export interface FisCalibration {
  kind: 'platt';
  /** slope on logit(p) */
  a: number;
  /** intercept */
  b: number;
  /** samples it was fitted on, and how many of them failed */
  samples: number;
  failures: number;
  /** Brier score of the raw probabilities and of the calibrated ones on the fitting samples */
  brierBefore: number;
  brierAfter: number;
}

export interface CalibrationSample {
  probability: number;
  /** the promotion was rolled back or failed */
  failed: boolean;
}

export const MIN_CALIBRATION_SAMPLES = 20;
export const MIN_CALIBRATION_PER_CLASS = 3;
export const CALIBRATION_L2 = 1;
const EPS = 1e-6;

const clampP = (p: number): number => Math.min(1 - EPS, Math.max(EPS, p));
const logit = (p: number): number => {
  const q = clampP(p);
  return Math.log(q / (1 - q));
};
const sigmoid = (x: number): number => (x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x)));

/** log(1 + e^m), stable */
const softplus = (m: number): number => (m > 0 ? m + Math.log1p(Math.exp(-m)) : Math.log1p(Math.exp(m)));

function checkProbability(p: unknown, field: string): number {
  if (typeof p !== 'number' || !Number.isFinite(p) || p < 0 || p > 1) {
    throw new FaultlineError('FL_ERR_INVALID_ARGUMENT', `${field} must be a probability in [0, 1] (got ${typeof p === 'number' ? String(p) : JSON.stringify(p)})`, { context: { field } });
  }
  return p;
}

/** Mean squared error of probabilities against 0/1 outcomes. */
export function brierScore(probabilities: readonly number[], failed: readonly boolean[]): number {
  if (probabilities.length === 0) return 0;
  let s = 0;
  for (let i = 0; i < probabilities.length; i++) {
    const d = (probabilities[i] as number) - (failed[i] ? 1 : 0);
    s += d * d;
  }
  return s / probabilities.length;
}

/** Fits the calibration, or says why it cannot (too few samples, too few of one outcome). */
export function fitFisCalibration(samples: readonly CalibrationSample[], opts: { l2?: number } = {}): FisCalibration | { reason: string } {
  if (!Array.isArray(samples)) throw new FaultlineError('FL_ERR_INVALID_ARGUMENT', 'samples must be a list of {probability, failed}', { context: { field: 'samples' } });
  samples.forEach((s, i) => {
    checkProbability(s?.probability, `samples[${i}].probability`);
    if (typeof s.failed !== 'boolean') throw new FaultlineError('FL_ERR_INVALID_ARGUMENT', `samples[${i}].failed must be true or false`, { context: { field: `samples[${i}].failed` } });
  });
  const lambda = opts.l2 ?? CALIBRATION_L2;
  if (!(Number.isFinite(lambda) && lambda >= 0)) throw new FaultlineError('FL_ERR_INVALID_ARGUMENT', `l2 must be a finite number ≥ 0 (got ${lambda})`, { context: { field: 'l2' } });
  const n = samples.length;
  const failures = samples.filter((s) => s.failed).length;
  const ok = n - failures;
  if (n < MIN_CALIBRATION_SAMPLES) return { reason: `${n} promotion outcome${n === 1 ? '' : 's'} recorded; calibration needs at least ${MIN_CALIBRATION_SAMPLES}` };
  if (failures < MIN_CALIBRATION_PER_CLASS || ok < MIN_CALIBRATION_PER_CLASS) {
    return { reason: `${failures} failed and ${ok} successful promotions recorded; calibration needs at least ${MIN_CALIBRATION_PER_CLASS} of each` };
  }
  const x = samples.map((s) => logit(s.probability));
  const y = samples.map((s) => (s.failed ? 1 : 0));
  const loss = (a: number, b: number): number => {
    let l = 0;
    for (let i = 0; i < n; i++) {
      const m = a * (x[i] as number) + b;
      l += softplus(m) - (y[i] as number) * m;
    }
    return l + (lambda / 2) * ((a - 1) ** 2 + b ** 2);
  };
  let a = 1;
  let b = 0;
  let cur = loss(a, b);
  for (let iter = 0; iter < 100; iter++) {
    let ga = lambda * (a - 1);
    let gb = lambda * b;
    let haa = lambda + 1e-12;
    let hab = 0;
    let hbb = lambda + 1e-12;
    for (let i = 0; i < n; i++) {
      const xi = x[i] as number;
      const q = sigmoid(a * xi + b);
      const r = q - (y[i] as number);
      const w = q * (1 - q);
      ga += r * xi;
      gb += r;
      haa += w * xi * xi;
      hab += w * xi;
      hbb += w;
    }
    const det = haa * hbb - hab * hab;
    if (!(det > 0)) break;
    const da = (hbb * ga - hab * gb) / det;
    const db = (haa * gb - hab * ga) / det;
    // Newton step with halving until the loss does not rise
    let step = 1;
    let next = loss(a - da, b - db);
    while (next > cur + 1e-12 && step > 1e-6) {
      step /= 2;
      next = loss(a - step * da, b - step * db);
    }
    if (next > cur + 1e-12) break;
    a -= step * da;
    b -= step * db;
    const gain = cur - next;
    cur = next;
    if (Math.abs(step * da) < 1e-10 && Math.abs(step * db) < 1e-10) break;
    if (gain >= 0 && gain < 1e-13) break;
  }
  const raw = samples.map((s) => s.probability);
  const failed = samples.map((s) => s.failed);
  const c: FisCalibration = { kind: 'platt', a, b, samples: n, failures, brierBefore: 0, brierAfter: 0 };
  c.brierBefore = brierScore(raw, failed);
  c.brierAfter = brierScore(raw.map((p) => applyCalibration(c, p)), failed);
  return c;
}

export function isFisCalibration(c: FisCalibration | { reason: string }): c is FisCalibration {
  return (c as FisCalibration).kind === 'platt';
}

/** σ(a · logit(p) + b) */
export function applyCalibration(c: Pick<FisCalibration, 'a' | 'b'>, p: number): number {
  checkProbability(p, 'probability');
  if (!Number.isFinite(c.a) || !Number.isFinite(c.b)) throw new FaultlineError('FL_ERR_INVALID_ARGUMENT', `calibration a and b must be finite numbers (got a=${c.a}, b=${c.b})`, { context: { field: 'calibration' } });
  return sigmoid(c.a * logit(p) + c.b);
}
