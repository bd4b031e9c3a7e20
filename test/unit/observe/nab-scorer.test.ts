// NAB scorer port, checked on a case small enough to compute by hand from NAB's formulas (nab/sweeper.py):
//   scaledSigmoid(p) = 2·sigmoid(−5p) − 1 = −tanh(2.5p)   (p > 3 → −1)
//   in a window of width W ending at index R:   p = −(R − i + 1)/W,  weighted = scaledSigmoid(p) · tpWeight / scaledSigmoid(−1)
//   after a window (right edge R, width W):    p = |R − i|/(W − 1), weighted = scaledSigmoid(p) · fpWeight
//   before any window:                          weighted = −1 · fpWeight
//   score(threshold) = Σ FP weighted + Σ_windows (best TP weighted, or −fnWeight when none)
//   normalised = 100 · (raw − null) / (perfect − null), perfect = tpWeight · windows, null = constant 0.5 detector
import { describe, expect, it } from 'vitest';
import { isFaultlineError } from '../../../src/core/errors.js';
import {
  buildSweep,
  labelSeries,
  MAX_TP,
  NAB_PROFILES,
  optimizeThreshold,
  probationaryLength,
  scaledSigmoid,
  scoreAtThreshold,
  scoreCorpus,
  sweepScores,
  thresholdCurve,
} from '../../../src/observe/anomaly/nab/index.js';
import type { LabelledSeries } from '../../../src/observe/anomaly/types.js';

const T0 = Date.UTC(2020, 0, 1);
const MIN = 60_000;
const at = (i: number): number => T0 + i * MIN;

/**
 * 20 samples, one minute apart. Probationary: min(⌊0.15·20⌋, 750) = 3 → samples 0–2 are not scored.
 * One window over samples 14..17 (W = 4, R = 17); samples 18 and 19 lie after it.
 * Anomaly scores: 0.1 everywhere except
 *   s1 = 0.99 (probationary: ignored although it is the highest)
 *   s6 = 0.8  false positive before the window: −1 · 0.11 = −0.11
 *   s14 = 0.5 true positive at the window's left edge: p = −4/4 = −1 → exactly tpWeight = 1
 *   s15 = 0.9 true positive: p = −(17 − 15 + 1)/4 = −0.75 → tanh(1.875)/tanh(2.5) = 0.954045/0.986614 = 0.966989
 *   s18 = 0.7 false positive after the window: p = 1/3 → −tanh(0.8333) · 0.11 = −0.682262 · 0.11 = −0.075049
 */
const series: LabelledSeries = {
  name: 'hand/one-window.csv',
  timestamps: Array.from({ length: 20 }, (_, i) => at(i)),
  values: Array.from({ length: 20 }, (_, i) => i),
  windows: [[at(14), at(17)]],
};
const scores = Array.from({ length: 20 }, () => 0.1);
scores[1] = 0.99;
scores[6] = 0.8;
scores[14] = 0.5;
scores[15] = 0.9;
scores[18] = 0.7;

const TANH_1_875 = Math.tanh(1.875); // 0.9540448
const TANH_2_5 = Math.tanh(2.5); // 0.9866143
const TP15 = TANH_1_875 / TANH_2_5; // 0.9669891
const FP18 = -Math.tanh(5 / 6); // −0.6822618 (unweighted)
const FP19 = -Math.tanh(5 / 3); // −0.9311096 (unweighted, p = 2/3)

describe('NAB sweeper formulas', () => {
  it('scaledSigmoid matches the values in NAB\'s docstring', () => {
    expect(scaledSigmoid(-1)).toBeCloseTo(0.98661, 5);
    expect(scaledSigmoid(-0.5)).toBeCloseTo(0.84828, 5);
    expect(scaledSigmoid(0)).toBe(0);
    expect(scaledSigmoid(1)).toBeCloseTo(-0.98661, 5);
    expect(scaledSigmoid(3.01)).toBe(-1);
    expect(MAX_TP).toBeCloseTo(TANH_2_5, 12);
  });

  it('probationary length is 15 % of the rows, capped at 0.15 · 5000 = 750', () => {
    expect(probationaryLength(20, 0.15)).toBe(3);
    expect(probationaryLength(4032, 0.15)).toBe(604);
    expect(probationaryLength(22695, 0.15)).toBe(750);
  });

  it('weights every sample by its position relative to the window', () => {
    const labels = labelSeries(series.timestamps, series.windows, 0.15);
    expect(labels.probationary).toBe(3);
    expect(Array.from(labels.window)).toEqual([...Array(14).fill(-1), 0, 0, 0, 0, -1, -1]);
    const s = sweepScores(labels, NAB_PROFILES.standard);
    expect(s[6]).toBeCloseTo(-0.11, 12); // before any window
    expect(s[14]).toBeCloseTo(1, 12); // left edge: tpWeight
    expect(s[15]).toBeCloseTo(0.9669891, 6);
    expect(s[17]).toBeCloseTo(Math.tanh(0.625) / TANH_2_5, 12); // p = −1/4, the last sample of the window
    expect(s[18]).toBeCloseTo(-0.0750488, 6); // 0.11 · −tanh(5/6)
    expect(s[19]).toBeCloseTo(0.11 * FP19, 12);
  });
});

describe('NAB scorer on the hand-computed series', () => {
  const labels = labelSeries(series.timestamps, series.windows, 0.15);
  const sweep = buildSweep([{ labels, anomalyScores: scores }]);

  it('walks the thresholds like calcScoreByThreshold (standard profile)', () => {
    const rows = thresholdCurve(sweep, NAB_PROFILES.standard);
    expect(rows.map((r) => r.threshold)).toEqual([1.1, 0.9, 0.8, 0.7, 0.5, 0.1]);
    // 1.1: nothing detected → the window is missed: −fnWeight = −1; 17 scorable samples: 4 in the window (fn), 13 out (tn)
    expect(rows[0]).toMatchObject({ score: -1, tp: 0, fp: 0, fn: 4, tn: 13, total: 17 });
    // 0.9: s15 → 0.966989
    expect(rows[1]?.score).toBeCloseTo(TP15, 12);
    expect(rows[1]).toMatchObject({ tp: 1, fp: 0, fn: 3, tn: 13 });
    // 0.8: + s6 → 0.966989 − 0.11 = 0.856989
    expect(rows[2]?.score).toBeCloseTo(0.8569891, 6);
    // 0.7: + s18 → 0.856989 − 0.075049 = 0.781940
    expect(rows[3]?.score).toBeCloseTo(0.7819403, 6);
    // 0.5: + s14, the best detection of the window becomes 1 → 1 − 0.11 − 0.075049 = 0.814951
    expect(rows[4]?.score).toBeCloseTo(0.8149512, 6);
    expect(rows[4]).toMatchObject({ tp: 2, fp: 2, fn: 2, tn: 11 });
    // 0.1: everything: 11 samples before the window (3..13) at −0.11, s18, s19 → 1 − 0.11 · (11 + 0.682262 + 0.931110) = −0.387471
    expect(rows[5]?.score).toBeCloseTo(-0.3874709, 6);
    expect(rows[5]).toMatchObject({ tp: 4, fp: 13, fn: 0, tn: 0 });
  });

  it('optimises the threshold and scores the series at it', () => {
    const best = optimizeThreshold(sweep, NAB_PROFILES.standard);
    expect(best.threshold).toBe(0.9);
    expect(best.score).toBeCloseTo(TP15, 12);
    const [one] = scoreAtThreshold(sweep, NAB_PROFILES.standard, 0.9);
    expect(one?.score).toBeCloseTo(TP15, 12);
    // a threshold between two scores detects the samples at or above it
    expect(scoreAtThreshold(sweep, NAB_PROFILES.standard, 0.75)[0]?.score).toBeCloseTo(TP15 - 0.11, 12);
  });

  it('normalises between the null and the perfect detector, per profile', () => {
    const r = scoreCorpus([series], new Map([[series.name, scores]]));
    // standard: null (constant 0.5) is best at 0.5 (everything) = −0.387471 > −1; perfect = 1 window · 1
    //   100 · (0.966989 + 0.387471) / (1 + 0.387471) = 97.6208
    const nullStd = 1 - 0.11 * (11 - FP18 - FP19);
    expect(r.thresholds.standard.nullRaw).toBeCloseTo(nullStd, 12);
    expect(r.thresholds.standard).toMatchObject({ threshold: 0.9, perfectRaw: 1, tp: 1, fp: 0, fn: 3, tn: 13 });
    expect(r.standard).toBeCloseTo(97.6208, 4);
    expect(r.standard).toBeCloseTo((100 * (TP15 - nullStd)) / (1 - nullStd), 10);
    // low FP (fpWeight 0.22): null everything = 1 − 0.22 · 12.613372 = −1.774942 < −1 → null raw −1 (no detection)
    //   100 · (0.966989 + 1) / (1 + 1) = 98.3495
    expect(r.thresholds.lowFP.nullRaw).toBe(-1);
    expect(r.thresholds.lowFP.threshold).toBe(0.9);
    expect(r.lowFP).toBeCloseTo(98.3495, 4);
    // low FN (fnWeight 2): null everything −0.387471 > −2 → same null as standard; best raw still 0.966989 → 97.6208
    expect(r.thresholds.lowFN.nullRaw).toBeCloseTo(nullStd, 12);
    expect(r.lowFN).toBeCloseTo(97.6208, 4);
  });

  it('scores at given thresholds instead of optimising when asked', () => {
    // at 0.5: 0.814951 (standard row above)
    const r = scoreCorpus([series], new Map([[series.name, scores]]), { thresholds: { standard: 0.5 } });
    expect(r.thresholds.standard.threshold).toBe(0.5);
    expect(r.thresholds.standard.raw).toBeCloseTo(0.8149512, 6);
    expect(r.thresholds.lowFP.threshold).toBe(0.9); // not given: optimised
  });

  it('the null and the perfect detector score 0 and 100', () => {
    const nul = scoreCorpus([series], new Map([[series.name, Array(20).fill(0.5)]]));
    expect([nul.standard, nul.lowFP, nul.lowFN]).toEqual([0, 0, 0]);
    const perfect = Array(20).fill(0);
    perfect[14] = 1; // only the window's left edge
    const p = scoreCorpus([series], new Map([[series.name, perfect]]));
    expect(p.standard).toBeCloseTo(100, 10);
    expect(p.lowFP).toBeCloseTo(100, 10);
    expect(p.lowFN).toBeCloseTo(100, 10);
  });
});

describe('NAB scorer: windows, ties and several series', () => {
  it('scores a false positive after a window by that window\'s width, and leaves probationary windows out', () => {
    // 40 samples, probationary 6; window A over 2..4 lies in probation, window B over 20..24 (W = 5)
    const s: LabelledSeries = {
      name: 'g/two.csv',
      timestamps: Array.from({ length: 40 }, (_, i) => at(i)),
      values: Array(40).fill(0),
      windows: [[at(2), at(4)], [at(20), at(24)]],
    };
    const labels = labelSeries(s.timestamps, s.windows, 0.15);
    expect(labels.probationary).toBe(6);
    const st = sweepScores(labels, NAB_PROFILES.standard);
    // sample 10 follows window A (R = 4, W = 3): p = 6/2 = 3 → −tanh(7.5) · 0.11
    expect(st[10]).toBeCloseTo(-Math.tanh(7.5) * 0.11, 12);
    // sample 11: p = 7/2 > 3 → −1 · 0.11
    expect(st[11]).toBeCloseTo(-0.11, 12);
    // sample 26 follows window B (R = 24, W = 5): p = 2/4 → −tanh(1.25) · 0.11
    expect(st[26]).toBeCloseTo(-Math.tanh(1.25) * 0.11, 12);
    const sweep = buildSweep([{ labels, anomalyScores: Array(40).fill(0) }]);
    expect(Array.from(sweep.scorableWindows)).toEqual([1]); // A never has a scorable sample
    // nothing detected: only window B counts as missed
    expect(thresholdCurve(sweep, NAB_PROFILES.standard)[0]?.score).toBe(-1);
    // ... but the perfect score counts both windows, as NAB's normaliser counts every labelled window
    const r = scoreCorpus([s], new Map([[s.name, Array(40).fill(0)]]));
    expect(r.thresholds.standard.perfectRaw).toBe(2);
  });

  it('samples with equal scores share one threshold row; among equal totals the highest threshold wins', () => {
    const s: LabelledSeries = { name: 'g/t.csv', timestamps: Array.from({ length: 20 }, (_, i) => at(i)), values: Array(20).fill(0), windows: [[at(10), at(12)]] };
    const sc = Array(20).fill(0.2);
    sc[10] = 0.6;
    sc[11] = 0.6; // same score as the left edge: one row
    const sweep = buildSweep([{ labels: labelSeries(s.timestamps, s.windows, 0.15), anomalyScores: sc }]);
    const rows = thresholdCurve(sweep, NAB_PROFILES.standard);
    expect(rows.map((r) => r.threshold)).toEqual([1.1, 0.6, 0.2]);
    expect(rows[1]).toMatchObject({ score: 1, tp: 2 });
    // an extra in-window detection below the left edge's adds nothing: scores tie, the higher threshold is chosen
    sc[12] = 0.4;
    const sweep2 = buildSweep([{ labels: labelSeries(s.timestamps, s.windows, 0.15), anomalyScores: sc }]);
    expect(thresholdCurve(sweep2, NAB_PROFILES.standard)[2]).toMatchObject({ threshold: 0.4, score: 1 });
    expect(optimizeThreshold(sweep2, NAB_PROFILES.standard).threshold).toBe(0.6);
  });

  it('the corpus curve at any threshold equals the sum of the series scored at it (NAB\'s Totals row)', () => {
    let x = 12345;
    const rnd = (): number => ((x = (Math.imul(x, 1103515245) + 12345) >>> 0) / 2 ** 32);
    const corpus: LabelledSeries[] = [];
    const all = new Map<string, number[]>();
    for (let k = 0; k < 5; k++) {
      const n = 50 + k * 17;
      const ts = Array.from({ length: n }, (_, i) => at(i));
      const w1 = 10 + k;
      const w2 = Math.floor(n * 0.6);
      corpus.push({ name: `g/s${k}.csv`, timestamps: ts, values: Array(n).fill(0), windows: [[at(w1), at(w1 + 4)], [at(w2), at(w2 + 3 + k)]] });
      all.set(`g/s${k}.csv`, Array.from({ length: n }, () => Math.round(rnd() * 20) / 20));
    }
    const sweep = buildSweep(corpus.map((s) => ({ labels: labelSeries(s.timestamps, s.windows, 0.15), anomalyScores: all.get(s.name) as number[] })));
    for (const profile of [NAB_PROFILES.standard, NAB_PROFILES.lowFP, NAB_PROFILES.lowFN]) {
      const rows = thresholdCurve(sweep, profile);
      expect(rows.length).toBeGreaterThan(10);
      for (const row of rows.slice(1)) {
        const per = scoreAtThreshold(sweep, profile, row.threshold);
        expect(per.reduce((n, s) => n + s.score, 0)).toBeCloseTo(row.score, 9);
        expect(per.reduce((n, s) => n + s.tp, 0)).toBe(row.tp);
        expect(per.reduce((n, s) => n + s.fp, 0)).toBe(row.fp);
      }
      const best = optimizeThreshold(sweep, profile);
      expect(Math.max(...rows.map((r) => r.score))).toBe(best.score);
    }
  });

  it('refuses missing, short or non-numeric scores', () => {
    const code = (f: () => unknown): string | undefined => {
      try {
        f();
      } catch (e) {
        return isFaultlineError(e) ? e.code : 'other';
      }
      return undefined;
    };
    expect(code(() => scoreCorpus([series], new Map()))).toBe('FL_ERR_NAB_SCORES');
    expect(code(() => scoreCorpus([series], new Map([[series.name, [0.1]]])))).toBe('FL_ERR_NAB_SCORES');
    expect(code(() => scoreCorpus([series], new Map([[series.name, scores.map((v, i) => (i === 7 ? Number.NaN : v))]])))).toBe('FL_ERR_NAB_SCORES');
    expect(code(() => scoreCorpus([{ ...series, windows: [] }], new Map([[series.name, scores]])))).toBe('FL_ERR_NAB_CORPUS');
  });
});
