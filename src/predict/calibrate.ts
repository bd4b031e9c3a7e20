/**
 * Calibration of model scores into probabilities: Platt scaling (a logistic fit on the logit of the score,
 * with Platt's smoothed targets) and isotonic regression (pool-adjacent-violators, interpolated linearly
 * between block centres). Fit them on held-out predictions of the training period only (eval.ts uses the
 * out-of-fold predictions of the training rows), never on the test period.
 */
import { FaultlineError } from '../core/errors.js';
import { brier, reliability, type ReliabilityBin } from './metrics.js';
import { logit, round6, sigmoid } from './models/types.js';

export type CalibrationKind = 'platt' | 'isotonic' | 'none';

export type CalibratorJson =
  | { kind: 'platt'; a: number; b: number }
  | { kind: 'isotonic'; x: number[]; y: number[] }
  | { kind: 'none' };

export interface Calibrator {
  readonly kind: CalibrationKind;
  apply(p: number): number;
  toJSON(): CalibratorJson;
}

function checkPairs(p: readonly number[], y: readonly number[]): void {
  if (p.length !== y.length || p.length === 0) throw new FaultlineError('FL_ERR_PREDICT_INPUT', `calibration needs as many labels as scores (got ${p.length} scores, ${y.length} labels)`);
}

/** Platt scaling: P(y=1 | s) = σ(a · logit(s) + b), fitted by Newton's method on smoothed targets. */
export function fitPlatt(p: readonly number[], y: readonly number[]): Calibrator {
  checkPairs(p, y);
  const s = p.map(logit);
  const nPos = y.filter((v) => v === 1).length;
  const nNeg = y.length - nPos;
  const tPos = (nPos + 1) / (nPos + 2);
  const tNeg = 1 / (nNeg + 2);
  const t = y.map((v) => (v === 1 ? tPos : tNeg));
  const loss = (a: number, b: number): number => {
    let l = 0;
    for (let i = 0; i < s.length; i++) {
      const m = a * (s[i] as number) + b;
      // log(1 + e^m) − t·m, computed stably
      l += (m > 0 ? m + Math.log1p(Math.exp(-m)) : Math.log1p(Math.exp(m))) - (t[i] as number) * m;
    }
    return l;
  };
  let a = 1;
  let b = 0;
  let cur = loss(a, b);
  for (let iter = 0; iter < 100; iter++) {
    let ga = 0;
    let gb = 0;
    let haa = 1e-9;
    let hab = 0;
    let hbb = 1e-9;
    for (let i = 0; i < s.length; i++) {
      const q = sigmoid(a * (s[i] as number) + b);
      const r = q - (t[i] as number);
      const v = Math.max(q * (1 - q), 1e-12);
      ga += r * (s[i] as number);
      gb += r;
      haa += v * (s[i] as number) ** 2;
      hab += v * (s[i] as number);
      hbb += v;
    }
    const det = haa * hbb - hab * hab;
    if (Math.abs(det) < 1e-18) break;
    const da = (hbb * ga - hab * gb) / det;
    const db = (haa * gb - hab * ga) / det;
    // Newton step with backtracking (Lin, Lin & Weng 2007), so the fit cannot diverge
    let step = 1;
    let next = loss(a - da, b - db);
    while (next > cur && step > 1e-8) {
      step /= 2;
      next = loss(a - step * da, b - step * db);
    }
    if (next > cur) break;
    a -= step * da;
    b -= step * db;
    const done = cur - next < 1e-12 * Math.max(1, Math.abs(cur));
    cur = next;
    if (done) break;
  }
  return plattCalibrator(a, b);
}

function plattCalibrator(a: number, b: number): Calibrator {
  return { kind: 'platt', apply: (p) => sigmoid(a * logit(p) + b), toJSON: () => ({ kind: 'platt', a: round6(a), b: round6(b) }) };
}

/** Isotonic regression by pool-adjacent-violators: a non-decreasing map from score to observed rate. */
export function fitIsotonic(p: readonly number[], y: readonly number[]): Calibrator {
  checkPairs(p, y);
  const idx = p.map((_, i) => i).sort((a, b) => (p[a] as number) - (p[b] as number));
  // blocks: sum of scores, sum of labels, count
  const bx: number[] = [];
  const by: number[] = [];
  const bn: number[] = [];
  for (const i of idx) {
    bx.push(p[i] as number);
    by.push(y[i] as number);
    bn.push(1);
    while (bn.length > 1 && (by[by.length - 2] as number) / (bn[bn.length - 2] as number) >= (by[by.length - 1] as number) / (bn[bn.length - 1] as number)) {
      const x1 = bx.pop() as number;
      const y1 = by.pop() as number;
      const n1 = bn.pop() as number;
      bx[bx.length - 1] = (bx[bx.length - 1] as number) + x1;
      by[by.length - 1] = (by[by.length - 1] as number) + y1;
      bn[bn.length - 1] = (bn[bn.length - 1] as number) + n1;
    }
  }
  return isotonicCalibrator(
    bx.map((s, k) => s / (bn[k] as number)),
    by.map((s, k) => s / (bn[k] as number)),
  );
}

function isotonicCalibrator(x: number[], y: number[]): Calibrator {
  const apply = (p: number): number => {
    if (x.length === 0) return p;
    if (p <= (x[0] as number)) return y[0] as number;
    if (p >= (x[x.length - 1] as number)) return y[y.length - 1] as number;
    let lo = 0;
    let hi = x.length - 1;
    while (hi - lo > 1) {
      const mid = (lo + hi) >> 1;
      if ((x[mid] as number) <= p) lo = mid;
      else hi = mid;
    }
    const x0 = x[lo] as number;
    const x1 = x[hi] as number;
    const f = x1 > x0 ? (p - x0) / (x1 - x0) : 0;
    return (y[lo] as number) + f * ((y[hi] as number) - (y[lo] as number));
  };
  return { kind: 'isotonic', apply, toJSON: () => ({ kind: 'isotonic', x: x.map(round6), y: y.map(round6) }) };
}

export const identityCalibrator: Calibrator = { kind: 'none', apply: (p) => p, toJSON: () => ({ kind: 'none' }) };

export function loadCalibrator(j: CalibratorJson | undefined): Calibrator {
  if (!j || j.kind === 'none') return identityCalibrator;
  if (j.kind === 'platt') return plattCalibrator(j.a, j.b);
  if (j.kind === 'isotonic') return isotonicCalibrator(j.x, j.y);
  throw new FaultlineError('FL_ERR_PREDICT_MODEL', `unknown calibrator kind ${JSON.stringify((j as { kind: unknown }).kind)}; use platt, isotonic or none`);
}

export interface CalibrationChoice {
  calibrator: Calibrator;
  /** Brier of each method on the second half of the calibration slice, fitted on the first half */
  heldOutBrier: Record<CalibrationKind, number>;
}

/**
 * Chooses Platt or isotonic (or none) by Brier score: each is fitted on one half of the held-out training
 * predictions and scored on the other half (halves by a fixed interleave), then the winner is refitted on all.
 */
export function chooseCalibrator(p: readonly number[], y: readonly number[]): CalibrationChoice {
  checkPairs(p, y);
  const aP: number[] = [];
  const aY: number[] = [];
  const bP: number[] = [];
  const bY: number[] = [];
  p.forEach((v, i) => (i % 2 === 0 ? (aP.push(v), aY.push(y[i] as number)) : (bP.push(v), bY.push(y[i] as number))));
  const heldOutBrier: Record<CalibrationKind, number> = { none: brier(bP, bY), platt: NaN, isotonic: NaN };
  if (aP.length > 0 && bP.length > 0) {
    const platt = fitPlatt(aP, aY);
    const iso = fitIsotonic(aP, aY);
    heldOutBrier.platt = brier(bP.map(platt.apply), bY);
    heldOutBrier.isotonic = brier(bP.map(iso.apply), bY);
  }
  let best: CalibrationKind = 'none';
  for (const k of ['platt', 'isotonic'] as const) if ((heldOutBrier[k] as number) < heldOutBrier[best]) best = k;
  const calibrator = best === 'platt' ? fitPlatt(p, y) : best === 'isotonic' ? fitIsotonic(p, y) : identityCalibrator;
  return { calibrator, heldOutBrier };
}

export interface CalibrationReport {
  method: CalibrationKind;
  brierBefore: number;
  brierAfter: number;
  reliabilityBefore: ReliabilityBin[];
  reliabilityAfter: ReliabilityBin[];
}

export function calibrationReport(cal: Calibrator, raw: readonly number[], y: readonly number[]): CalibrationReport {
  const after = raw.map(cal.apply);
  return { method: cal.kind, brierBefore: brier(raw, y), brierAfter: brier(after, y), reliabilityBefore: reliability(raw, y), reliabilityAfter: reliability(after, y) };
}
