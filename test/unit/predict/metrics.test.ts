import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { brier, popt, prAuc, precisionAtK, rankingFigures, recallAtLoc, reliability, rocAuc } from '../../../src/predict/metrics.js';

describe('predict metrics (hand-computed)', () => {
  it('ROC-AUC is the Mann–Whitney statistic', () => {
    expect(rocAuc([0.9, 0.8, 0.7, 0.6], [1, 0, 1, 0])).toBeCloseTo(0.75, 12);
    expect(rocAuc([4, 3, 2, 1], [1, 1, 0, 0])).toBe(1);
    expect(rocAuc([1, 2, 3, 4], [1, 1, 0, 0])).toBe(0);
  });
  it('ROC-AUC gives tied scores their average rank', () => {
    expect(rocAuc([1, 1, 0, 0], [1, 0, 1, 0])).toBeCloseTo(0.5, 12);
    expect(rocAuc([5, 5, 5, 5], [1, 0, 1, 0])).toBeCloseTo(0.5, 12);
    // one positive tied with one negative above two negatives: (1 + 0.5·... ) = (2 + 0.5) / 3
    expect(rocAuc([2, 2, 1, 1], [1, 0, 0, 0])).toBeCloseTo(2.5 / 3, 12);
  });
  it('ROC-AUC is NaN with one class only', () => {
    expect(rocAuc([1, 2], [1, 1])).toBeNaN();
  });
  it('PR-AUC is average precision over distinct thresholds', () => {
    expect(prAuc([0.9, 0.8, 0.7, 0.6], [1, 0, 1, 0])).toBeCloseTo(0.5 + 0.5 * (2 / 3), 12);
    expect(prAuc([1, 1, 0], [1, 0, 1])).toBeCloseTo(0.5 * 0.5 + 0.5 * (2 / 3), 12);
  });
  it('precision@k counts a straddling tie group by its expected share', () => {
    expect(precisionAtK([1, 1, 1, 0], [1, 0, 0, 1], 2)).toBeCloseTo(1 / 3, 12);
    expect(precisionAtK([4, 3, 2, 1], [1, 1, 0, 0], 2)).toBe(1);
    expect(precisionAtK([4, 3], [1, 0], 10)).toBe(0.5);
  });
  it('recall at 20 % LOC inspects whole files in ranking order within the budget', () => {
    expect(recallAtLoc([3, 2, 1], [1, 0, 1], [10, 10, 80])).toBe(0.5);
    expect(recallAtLoc([1, 2, 3], [1, 0, 1], [10, 10, 80])).toBe(0);
    // ties are broken by smaller LOC first
    expect(recallAtLoc([1, 1, 1], [0, 1, 0], [50, 20, 30])).toBe(1);
  });
  it('Popt is 1 for the density ordering and 0 for the reverse', () => {
    const labels = [1, 0, 1, 0, 0];
    const loc = [10, 50, 100, 20, 40];
    const density = labels.map((y, i) => y / (loc[i] as number));
    expect(popt(density, labels, loc)).toBeCloseTo(1, 12);
    const worst = density.map((d, i) => -d - (loc[i] as number) * 1e-6);
    expect(popt(worst, labels, loc)).toBeCloseTo(0, 12);
    // hand-computed: order [a(10,1), b(50,0), c(100,1), d(20,0), e(40,0)], total 220 LOC, 2 defects
    const areaModel = (10 / 220) * 0.25 + (50 / 220) * 0.5 + (100 / 220) * 0.75 + (60 / 220) * 1;
    const areaOpt = (10 / 220) * 0.25 + (100 / 220) * 0.75 + (110 / 220) * 1;
    const areaWorst = (100 / 220) * 0 + (50 / 220) * 0 + (20 / 220) * 0 + (40 / 220) * 0 + (100 / 220) * 0.25 + (10 / 220) * 0.75;
    expect(popt([5, 4, 3, 2, 1], labels, loc)).toBeCloseTo(1 - (areaOpt - areaModel) / (areaOpt - areaWorst), 12);
  });
  it('Brier and the reliability table', () => {
    expect(brier([0.5, 1], [1, 1])).toBeCloseTo(0.125, 12);
    const t = reliability([0.05, 0.15, 0.12, 0.95, 1], [0, 1, 0, 1, 1]);
    expect(t).toHaveLength(10);
    expect(t[0]).toMatchObject({ count: 1, meanPredicted: 0.05, observed: 0 });
    expect(t[1]).toMatchObject({ count: 2, observed: 0.5 });
    expect(t[1]?.meanPredicted).toBeCloseTo(0.135, 12);
    expect(t[9]).toMatchObject({ count: 2, observed: 1 });
    expect(t[5]?.count).toBe(0);
  });
  it('rankingFigures ranks effort-aware figures by score/LOC (density) unless told to use the score', () => {
    // a big defective file first by score, a small defective file first by density
    const scores = [0.9, 0.5, 0.4];
    const labels = [1, 0, 1];
    const loc = [800, 100, 100];
    expect(rankingFigures(scores, labels, loc).recallAt20Loc).toBe(0.5);
    expect(rankingFigures(scores, labels, loc, { effort: 'score' }).recallAt20Loc).toBe(0);
  });
  it('rankingFigures bundles every figure and rejects mismatched arrays', () => {
    const f = rankingFigures([0.9, 0.1], [1, 0], [10, 10], { probabilities: true });
    expect(f).toMatchObject({ rocAuc: 1, prAuc: 1, precisionAt10: 0.5 });
    expect(f.brier).toBeCloseTo(0.01, 12);
    expect(() => rocAuc([1, 2], [1])).toThrow(expect.objectContaining({ code: 'FL_ERR_PREDICT_INPUT' }));
  });
});

describe('predict metrics (properties)', () => {
  const data = fc
    .array(fc.tuple(fc.integer({ min: 0, max: 20 }), fc.integer({ min: 0, max: 1 }), fc.integer({ min: 1, max: 500 })), { minLength: 2, maxLength: 60 })
    .filter((rows) => rows.some((r) => r[1] === 1) && rows.some((r) => r[1] === 0));
  it('AUC(−s) = 1 − AUC(s), invariant under monotone maps, within [0, 1]', () => {
    fc.assert(
      fc.property(data, (rows) => {
        const s = rows.map((r) => r[0]);
        const y = rows.map((r) => r[1]);
        const a = rocAuc(s, y);
        expect(a).toBeGreaterThanOrEqual(0);
        expect(a).toBeLessThanOrEqual(1);
        expect(rocAuc(s.map((v) => -v), y)).toBeCloseTo(1 - a, 9);
        expect(rocAuc(s.map((v) => Math.exp(v / 3)), y)).toBeCloseTo(a, 9);
      }),
      { numRuns: 200, interruptAfterTimeLimit: 5000 },
    );
  });
  it('AP, recall@LOC and Popt stay within [0, 1]; Popt of the density order is 1', () => {
    fc.assert(
      fc.property(data, (rows) => {
        const s = rows.map((r) => r[0]);
        const y = rows.map((r) => r[1]);
        const loc = rows.map((r) => r[2]);
        for (const v of [prAuc(s, y), recallAtLoc(s, y, loc), popt(s, y, loc)]) {
          if (Number.isNaN(v)) continue;
          expect(v).toBeGreaterThanOrEqual(-1e-9);
          expect(v).toBeLessThanOrEqual(1 + 1e-9);
        }
        const dens = y.map((v, i) => v / (loc[i] as number));
        const p = popt(dens, y, loc);
        if (!Number.isNaN(p)) expect(p).toBeCloseTo(1, 9);
      }),
      { numRuns: 200, interruptAfterTimeLimit: 5000 },
    );
  });
});
