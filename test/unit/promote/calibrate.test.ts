import { describe, expect, it } from 'vitest';
import { isFaultlineError } from '../../../src/core/errors.js';
import { createRng } from '../../../src/core/rng.js';
import { applyCalibration, brierScore, fitFisCalibration, isFisCalibration, type CalibrationSample } from '../../../src/promote/calibrate.js';

const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));
const logit = (p: number): number => Math.log(p / (1 - p));

/** predicted q, true probability σ(2·logit(q) − 1): over-confident in the middle, biased high */
function miscalibrated(n: number, seed: number): CalibrationSample[] {
  const rng = createRng(seed);
  const out: CalibrationSample[] = [];
  for (let i = 0; i < n; i++) {
    const q = sigmoid(rng.normal(0, 1.5));
    const p = sigmoid(2 * logit(q) - 1);
    out.push({ probability: q, failed: rng.next() < p });
  }
  return out;
}

describe('FIS calibration (Platt scaling)', () => {
  it('recovers a known miscalibration (a ≈ 2, b ≈ −1) and lowers the held-out Brier score', () => {
    const fit = fitFisCalibration(miscalibrated(5000, 7));
    if (!isFisCalibration(fit)) throw new Error(fit.reason);
    expect(fit.a).toBeGreaterThan(1.85);
    expect(fit.a).toBeLessThan(2.15);
    expect(fit.b).toBeGreaterThan(-1.15);
    expect(fit.b).toBeLessThan(-0.85);
    expect(fit.samples).toBe(5000);
    expect(fit.brierAfter).toBeLessThan(fit.brierBefore);

    const held = miscalibrated(5000, 8);
    const q = held.map((s) => s.probability);
    const y = held.map((s) => s.failed);
    const before = brierScore(q, y);
    const after = brierScore(q.map((p) => applyCalibration(fit, p)), y);
    expect(after).toBeLessThan(before - 0.005);
    // and close to the Brier score of the true probabilities (the best any calibration can do)
    const truth = brierScore(q.map((p) => sigmoid(2 * logit(p) - 1)), y);
    expect(after - truth).toBeLessThan(0.002);
  });

  it('leaves well-calibrated probabilities about as they are', () => {
    const rng = createRng(3);
    const samples = Array.from({ length: 4000 }, () => {
      const q = sigmoid(rng.normal(0, 1.5));
      return { probability: q, failed: rng.next() < q };
    });
    const fit = fitFisCalibration(samples);
    if (!isFisCalibration(fit)) throw new Error(fit.reason);
    expect(Math.abs(fit.a - 1)).toBeLessThan(0.12);
    expect(Math.abs(fit.b)).toBeLessThan(0.12);
  });

  it('needs 20 samples with 3 of each outcome, and says why not', () => {
    const s = (n: number, failures: number): CalibrationSample[] => Array.from({ length: n }, (_, i) => ({ probability: 0.2, failed: i < failures }));
    const r1 = fitFisCalibration(s(19, 5));
    expect(isFisCalibration(r1)).toBe(false);
    expect((r1 as { reason: string }).reason).toBe('19 promotion outcomes recorded; calibration needs at least 20');
    const r2 = fitFisCalibration(s(30, 2));
    expect((r2 as { reason: string }).reason).toBe('2 failed and 28 successful promotions recorded; calibration needs at least 3 of each');
    expect(isFisCalibration(fitFisCalibration(s(30, 27)))).toBe(true);
    expect(isFisCalibration(fitFisCalibration(s(30, 28)))).toBe(false);
    expect(isFisCalibration(fitFisCalibration(s(20, 3)))).toBe(true);
  });

  it('stays finite on separable outcomes and on probabilities of exactly 0 and 1 (the prior holds it)', () => {
    const samples = Array.from({ length: 24 }, (_, i) => ({ probability: i < 12 ? 0 : 1, failed: i >= 12 }));
    const fit = fitFisCalibration(samples);
    if (!isFisCalibration(fit)) throw new Error(fit.reason);
    expect(Number.isFinite(fit.a) && Number.isFinite(fit.b)).toBe(true);
    expect(applyCalibration(fit, 1)).toBeGreaterThan(0.99);
    expect(applyCalibration(fit, 0)).toBeLessThan(0.01);
  });

  it('few samples move the identity only a little (the L2 prior centred on a = 1, b = 0)', () => {
    // 20 samples, all at q = 0.5, 10 % failed: the unregularised intercept would be logit(0.1) ≈ −2.2
    const samples = Array.from({ length: 20 }, (_, i) => ({ probability: 0.5, failed: i < 3 }));
    const weak = fitFisCalibration(samples);
    const none = fitFisCalibration(samples, { l2: 0 });
    if (!isFisCalibration(weak) || !isFisCalibration(none)) throw new Error('no fit');
    expect(none.b).toBeCloseTo(logit(3 / 20), 3);
    expect(weak.b).toBeGreaterThan(none.b);
    expect(weak.b).toBeLessThan(0);
  });

  it('applyCalibration with a = 1, b = 0 is the identity', () => {
    for (const p of [0.01, 0.2, 0.5, 0.9]) expect(applyCalibration({ a: 1, b: 0 }, p)).toBeCloseTo(p, 9);
  });

  it.each([
    [[{ probability: 0.1, failed: true }, { probability: 1.5, failed: false }], 'samples[1].probability'],
    [[{ probability: Number.NaN, failed: true }], 'samples[0].probability'],
    [[{ probability: 0.1, failed: 'yes' }], 'samples[0].failed'],
  ] as Array<[CalibrationSample[], string]>)('rejects bad samples naming the field (%#)', (samples, field) => {
    let caught: unknown;
    try {
      fitFisCalibration(samples);
    } catch (e) {
      caught = e;
    }
    expect(isFaultlineError(caught, 'FL_ERR_INVALID_ARGUMENT')).toBe(true);
    expect((caught as { context: { field: string } }).context.field).toBe(field);
  });
});
