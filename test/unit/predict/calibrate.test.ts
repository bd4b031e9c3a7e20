import { describe, expect, it } from 'vitest';
import { createRng } from '../../../src/core/rng.js';
import { calibrationReport, chooseCalibrator, fitIsotonic, fitPlatt, loadCalibrator } from '../../../src/predict/calibrate.js';
import { brier } from '../../../src/predict/metrics.js';

/** true probability q, reported score q^3 (badly under-confident in the middle) */
function miscalibrated(n: number, seed: number): { p: number[]; y: number[] } {
  const rng = createRng(seed);
  const p: number[] = [];
  const y: number[] = [];
  for (let i = 0; i < n; i++) {
    const q = rng.next();
    p.push(q ** 3);
    y.push(rng.next() < q ? 1 : 0);
  }
  return { p, y };
}

describe('predict calibration', () => {
  const fit = miscalibrated(2000, 1);
  const held = miscalibrated(2000, 2);
  it('Platt and isotonic both lower the Brier score on held-out data', () => {
    const before = brier(held.p, held.y);
    for (const c of [fitPlatt(fit.p, fit.y), fitIsotonic(fit.p, fit.y)]) {
      expect(brier(held.p.map(c.apply), held.y)).toBeLessThan(before - 0.02);
    }
  });
  it('isotonic regression is non-decreasing and pools violators (PAV)', () => {
    const c = fitIsotonic([0.1, 0.2, 0.3, 0.4], [0, 1, 0, 1]);
    // blocks: {0.1 → 0}, {0.2, 0.3 → 0.5}, {0.4 → 1}
    expect(c.toJSON()).toEqual({ kind: 'isotonic', x: [0.1, 0.25, 0.4], y: [0, 0.5, 1] });
    let prev = -1;
    for (let s = 0; s <= 1; s += 0.01) {
      const v = c.apply(s);
      expect(v).toBeGreaterThanOrEqual(prev);
      prev = v;
    }
  });
  it('Platt scaling is monotone in the score and round-trips through JSON', () => {
    const c = fitPlatt(fit.p, fit.y);
    const back = loadCalibrator(JSON.parse(JSON.stringify(c.toJSON())));
    expect(c.apply(0.2)).toBeGreaterThan(c.apply(0.1));
    expect(back.apply(0.3)).toBeCloseTo(c.apply(0.3), 4);
  });
  it('chooses a calibrator by held-out Brier and reports the reliability table before and after', () => {
    const choice = chooseCalibrator(fit.p, fit.y);
    expect(choice.calibrator.kind).not.toBe('none');
    expect(choice.heldOutBrier[choice.calibrator.kind]).toBeLessThan(choice.heldOutBrier.none);
    const r = calibrationReport(choice.calibrator, held.p, held.y);
    expect(r.brierAfter).toBeLessThan(r.brierBefore);
    expect(r.reliabilityAfter.reduce((s, b) => s + b.count, 0)).toBe(2000);
    // after calibration the middle bins say what they observe (within 0.1)
    for (const b of r.reliabilityAfter) if (b.count > 100) expect(Math.abs(b.meanPredicted - b.observed)).toBeLessThan(0.1);
  });
  it('keeps already calibrated scores (none) when calibration does not help', () => {
    const rng = createRng(5);
    const p = Array.from({ length: 400 }, () => rng.next());
    const y = p.map((q) => (rng.next() < q ? 1 : 0));
    const choice = chooseCalibrator(p, y);
    expect(Math.abs(brier(p.map(choice.calibrator.apply), y) - brier(p, y))).toBeLessThan(0.01);
  });
});
