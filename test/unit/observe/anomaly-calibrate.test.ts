import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isFaultlineError } from '../../../src/core/errors.js';
import { AnomalyLikelihood, calibrated, erfc, normalTail, pToScore, RestPeriod, scoreToP, sidak, SpatialGuard, twoSidedP } from '../../../src/observe/anomaly/calibrate.js';
import { createEwma, createRobustZ, createContext, createLstm } from '../../../src/observe/anomaly/index.js';

describe('tail probabilities', () => {
  it('erfc matches reference values to 2e-7 relative error', () => {
    // erfc(x) reference values (Abramowitz & Stegun table 7.1 / high-precision)
    const ref: Array<[number, number]> = [
      [0, 1],
      [0.5, 0.4795001221869535],
      [1, 0.15729920705028513],
      [2, 0.004677734981047266],
      [3, 2.209049699858544e-5],
      [5, 1.5374597944280349e-12],
      [-1, 1.8427007929497148],
    ];
    for (const [x, want] of ref) expect(Math.abs(erfc(x) - want) / want).toBeLessThan(2e-7);
  });

  it('normalTail and twoSidedP are the normal tails', () => {
    expect(normalTail(1.959963984540054)).toBeCloseTo(0.025, 7);
    expect(twoSidedP(-1.959963984540054)).toBeCloseTo(0.05, 7);
    expect(normalTail(0)).toBeCloseTo(0.5, 7);
  });
});

describe('the score scale', () => {
  it('maps p-values to -log10(p)/16, clamped to [0, 1]', () => {
    expect(pToScore(1)).toBe(0);
    expect(pToScore(2)).toBe(0);
    expect(pToScore(0)).toBe(1);
    expect(pToScore(1e-8)).toBeCloseTo(0.5, 12);
    expect(pToScore(1e-5)).toBeCloseTo(0.3125, 12);
    expect(pToScore(1e-20)).toBe(1);
  });

  it('scoreToP inverts pToScore inside (0, 1)', () => {
    fc.assert(
      fc.property(fc.double({ min: 1e-15, max: 0.999, noNaN: true }), (p) => {
        expect(Math.abs(scoreToP(pToScore(p)) - p) / p).toBeLessThan(1e-9);
      }),
      { numRuns: 300 },
    );
  });

  it('sidak corrects the minimum of k p-values', () => {
    expect(sidak(0.01, 1)).toBe(0.01);
    expect(sidak(1e-6, 3)).toBeCloseTo(3e-6, 11);
    expect(sidak(0.5, 2)).toBeCloseTo(0.75, 12);
  });
});

describe('AnomalyLikelihood', () => {
  it('gives 0.5 while learning, then small p-values for a burst of raw surprise, and reports a repeated red as yellow', () => {
    const lik = new AnomalyLikelihood({ learningPeriod: 100, estimationSamples: 100 });
    let x = 1;
    const noise = () => {
      x = (x * 69069 + 1) % 2 ** 32;
      return 0.1 + 0.05 * (x / 2 ** 32);
    };
    const ps: number[] = [];
    for (let i = 0; i < 600; i++) ps.push(lik.update(noise()));
    expect(ps.slice(0, 200).every((p) => p === 0.5)).toBe(true);
    expect(Math.min(...ps.slice(200))).toBeGreaterThan(1e-3);
    const burst: number[] = [];
    for (let i = 0; i < 10; i++) burst.push(lik.update(1));
    const firstRed = burst.findIndex((p) => p <= 1e-5);
    expect(firstRed).toBeGreaterThanOrEqual(0);
    expect(firstRed).toBeLessThan(3);
    // the red that follows a red is reported as yellow (1e-3), once per event
    expect(burst[firstRed + 1]).toBe(1e-3);
    expect(lik.memoryBytes()).toBeGreaterThan(8640 * 4);
  });
});

describe('SpatialGuard and RestPeriod', () => {
  it('flags values outside the range seen so far ± tolerance, then widens the range', () => {
    const g = new SpatialGuard(0.05);
    expect([0, 10, 5].map((v) => g.check(v))).toEqual([false, false, false]);
    expect(g.check(10.4)).toBe(false);
    expect(g.check(11)).toBe(true);
    expect(g.check(11)).toBe(false);
    expect(g.check(-0.6)).toBe(true);
  });

  it('reports 0 for the samples after an alarm', () => {
    const r = new RestPeriod(3, 0.3);
    expect([0.1, 0.5, 0.9, 0.9, 0.9, 0.2, 0.4].map((s) => r.apply(s))).toEqual([0.1, 0.5, 0, 0, 0, 0.2, 0.4]);
    const off = new RestPeriod(0, 0.3);
    expect([0.5, 0.5].map((s) => off.apply(s))).toEqual([0.5, 0.5]);
  });
});

describe('calibrated detectors and options', () => {
  it('direct calibration needs a scorer with a p-value', () => {
    try {
      calibrated({ update: () => 0, memoryBytes: () => 0 }, { probationary: 0, seed: 1 }, { mode: 'direct' });
      expect.unreachable();
    } catch (e) {
      expect(isFaultlineError(e, 'FL_ERR_DETECTOR_OPTIONS')).toBe(true);
    }
  });

  it('invalid options throw FL_ERR_DETECTOR_OPTIONS naming the option', () => {
    const ctx = { probationary: 10, seed: 1 };
    const bad: Array<() => unknown> = [() => createRobustZ(ctx, { windowSize: 1 }), () => createEwma(ctx, { alpha: 0 }), () => createContext(ctx, { levels: 1 }), () => createLstm(ctx, { hidden: 0 })];
    for (const f of bad) {
      try {
        f();
        expect.unreachable();
      } catch (e) {
        expect(isFaultlineError(e, 'FL_ERR_DETECTOR_OPTIONS')).toBe(true);
        expect((e as Error).message).toMatch(/windowSize|alpha|levels|hidden/);
      }
    }
  });
});
