import { describe, expect, it } from 'vitest';
import { evaluate, splitTimes } from '../../../src/predict/eval.js';
import { evaluateChanges } from '../../../src/predict/change.js';
import { DAY, START, syntheticChanges, syntheticRepo } from './synthetic.js';

describe('predict eval (temporal split on a synthetic repository)', () => {
  it('splitTimes: default cut-off leaves horizon + gap + 90 days; training one horizon earlier', () => {
    const s = splitTimes(START, START + 1000 * DAY, { horizonDays: 100, gapDays: 10 });
    expect(s.cutoff).toBe(START + (1000 - 10 - 100 - 90) * DAY);
    expect(s.trainCutoff).toBe(s.cutoff - 110 * DAY);
    // training needs 1.5 horizons (+ gap) of history before the training cut-off
    expect(() => splitTimes(START, START + 400 * DAY, { horizonDays: 100 })).toThrow(expect.objectContaining({ code: 'FL_ERR_PREDICT_HISTORY' }));
  });

  it('training windows every step before T0, validation on T0 with windows whose labels end by T0, test at T; one JSON object with every figure', async () => {
    const src = syntheticRepo(300, 1);
    const r = await evaluate(src, { horizonDays: 182, gapDays: 30, seed: 1, stepDays: 91, maxWindows: 2 });
    const T = Date.parse(r.cutoff) / 1000;
    const T0 = Date.parse(r.trainCutoff) / 1000;
    expect(T - T0).toBe((182 + 30) * DAY);
    // windows at T0, T0 − 91d, … : ceil(212 / 91) = 3 windows overlap the validation labels, then 2 clean ones, and 2 more
    // so that the folds at T0 − 91d and T0 − 182d (3 validation folds by default) also have 2 clean windows; then the test
    const windows = [0, 1, 2, 3, 4, 5, 6].map((k) => T0 - k * 91 * DAY);
    expect(src.calls.analyzeAt).toEqual([...windows, T]);
    expect(src.calls.labels).toEqual([...windows, T].map((at) => [at + 30 * DAY, at + 212 * DAY]));
    // validation only used windows whose labels end by T0 (k ≥ 3), at most 2 of them
    expect(Math.max(...r.validation.map((v) => v.windows))).toBe(2);
    // 3 kinds × 2 settings × 1–2 windows, + the ensemble of each kind's best
    expect(r.validation.length).toBe(3 * 2 * 2 + 1);
    expect(r.validation.some((v) => v.model === 'ensemble')).toBe(true);
    expect(Object.keys(r.candidates).sort()).toEqual(['ensemble', 'forest', 'gbt', 'logistic']);
    for (const k of ['loc', 'churn', 'fixes', 'hotspot'] as const) expect(r.validationBaselines[k]).toBeGreaterThan(0);
    expect(r.files).toBe(300);
    expect(r.positives).toBeGreaterThan(10);
    for (const f of [r.model, ...Object.values(r.candidates), ...Object.values(r.baselines)]) {
      for (const k of ['rocAuc', 'prAuc', 'recallAt20Loc', 'popt', 'precisionAt10'] as const) {
        expect(f[k]).toBeGreaterThanOrEqual(0);
        expect(f[k]).toBeLessThanOrEqual(1);
      }
    }
    expect(Object.keys(r.baselines).sort()).toEqual(['churn', 'fixes', 'hotspot', 'loc']);
    expect(r.model.brier).toBeGreaterThan(0);
    expect(r.model.calibration.reliabilityAfter).toHaveLength(10);
    // the signal is learnable: the chosen model ranks far better than chance
    expect(r.model.rocAuc).toBeGreaterThan(0.7);
    // the chosen model is the best in validation, not on the test period
    const bestVal = Math.max(...Object.values(r.candidates).map((c) => c.validationRocAuc));
    expect(r.candidates[r.model.name]?.validationRocAuc).toBe(bestVal);
    expect(r.szz.untracedShare).toBeCloseTo(r.szz.untraceable / r.szz.fixes, 9);
  });

  it('--pool: other repositories join the training rows at the training windows only (never validation, never the test)', async () => {
    const src = syntheticRepo(120, 1);
    const other = syntheticRepo(80, 7);
    const opts = { horizonDays: 182, gapDays: 0, seed: 1, stepDays: 91, maxWindows: 2, candidates: ['logistic'] as const };
    const alone = await evaluate(syntheticRepo(120, 1), opts);
    const r = await evaluate(src, { ...opts, pool: [other] });
    const T = Date.parse(r.cutoff) / 1000;
    // the pool is read at every training window of the target, never at the test cut-off
    expect(other.calls.analyzeAt).toEqual(src.calls.analyzeAt.filter((t) => t !== T));
    expect(other.calls.analyzeAt).not.toContain(T);
    // validation and test rows are the target's own: same counts as without the pool
    expect(r.files).toBe(alone.files);
    expect(r.trainFiles).toBe(alone.trainFiles);
    // the pooled rows changed the fitted model
    expect(r.candidates.logistic?.rocAuc).not.toBe(alone.candidates.logistic?.rocAuc);
  });

  it('is deterministic for a seed', async () => {
    const a = await evaluate(syntheticRepo(150, 2), { seed: 5, maxWindows: 2, candidates: ['logistic', 'gbt'] });
    const b = await evaluate(syntheticRepo(150, 2), { seed: 5, maxWindows: 2, candidates: ['logistic', 'gbt'] });
    expect({ ...a, ms: 0 }).toEqual({ ...b, ms: 0 });
  });

  it('commit level: a model and the LApredict baseline on the same test commits', async () => {
    const src = syntheticRepo(200, 3);
    const r = await evaluateChanges(syntheticChanges(src), { seed: 1, candidates: ['logistic', 'gbt'] });
    expect(r.level).toBe('commit');
    expect(r.features).toEqual(['la', 'ld', 'nf', 'pastFixes']);
    expect(r.commits).toBeGreaterThan(50);
    expect(r.baselines.laPredict.rocAuc).toBeGreaterThanOrEqual(0);
    // prior fixes of the file predict the synthetic bugs; lines added do not
    expect(r.model.rocAuc).toBeGreaterThan(r.baselines.laPredict.rocAuc);
  });
});
