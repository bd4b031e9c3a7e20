// The building blocks of the detectors: rolling windows, the LSTM's gradients and learning, the isolation forest,
// period detection, contextual novelty.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createRng } from '../../../src/core/rng.js';
import { contextScorer } from '../../../src/observe/anomaly/detectors/context.js';
import { averagePathLength, IsolationForest } from '../../../src/observe/anomaly/detectors/isolation-forest.js';
import { Lstm, lstmScorer } from '../../../src/observe/anomaly/detectors/lstm.js';
import { Ring, SortedWindow } from '../../../src/observe/anomaly/detectors/rolling.js';
import { detectPeriod, snapToCalendar } from '../../../src/observe/anomaly/detectors/seasonal.js';

describe('rolling windows', () => {
  it('Ring keeps the last n values in order', () => {
    const r = new Ring(3);
    expect([1, 2, 3, 4, 5].map((v) => r.push(v))).toEqual([undefined, undefined, undefined, 1, 2]);
    expect([r.at(0), r.at(2), r.back(0), r.back(2)]).toEqual([3, 5, 5, 3]);
  });

  it('SortedWindow median, quantiles and MAD equal a brute-force computation over the last n values', () => {
    const median = (xs: number[]): number => {
      const s = [...xs].sort((a, b) => a - b);
      const m = (s.length - 1) / 2;
      return ((s[Math.floor(m)] as number) + (s[Math.ceil(m)] as number)) / 2;
    };
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 40 }), fc.array(fc.integer({ min: -50, max: 50 }), { minLength: 1, maxLength: 200 }), (cap, values) => {
        const w = new SortedWindow(cap);
        for (const v of values) w.push(v);
        const last = values.slice(-cap);
        const med = median(last);
        expect(w.median()).toBeCloseTo(med, 9);
        // the MAD as the lower median of |x − center| (the walk takes the ⌊(n−1)/2⌋-th smallest distance)
        const d = last.map((x) => Math.abs(x - med)).sort((a, b) => a - b);
        expect(w.mad(med)).toBeCloseTo(d[Math.floor((d.length - 1) / 2)] as number, 9);
        expect(w.quantile(0)).toBe(Math.min(...last));
        expect(w.quantile(1)).toBe(Math.max(...last));
      }),
      { numRuns: 300 },
    );
  });
});

describe('Lstm', () => {
  it('back-propagation through time matches numerical gradients', () => {
    const net = new Lstm(2, 3, createRng(3));
    const rng = createRng(4);
    const T = 6;
    const x = Float64Array.from({ length: T * 2 }, () => rng.normal(0, 1));
    const targets = Float64Array.from({ length: T }, () => rng.normal(0, 1));
    const weights = Float64Array.from({ length: T }, (_, t) => (t === T - 1 ? 0 : 1));
    const loss = (): number => {
      const ys = net.forward(x, T);
      let l = 0;
      for (let t = 0; t < T; t++) l += 0.5 * (weights[t] as number) * ((ys[t] as number) - (targets[t] as number)) ** 2;
      return l;
    };
    net.forward(x, T);
    net.backward(targets, weights);
    const analytic = Float64Array.from(net.grads);
    const h = 1e-6;
    let worst = 0;
    for (let i = 0; i < net.params.length; i++) {
      const keep = net.params[i] as number;
      net.params[i] = keep + h;
      const up = loss();
      net.params[i] = keep - h;
      const down = loss();
      net.params[i] = keep;
      const numeric = (up - down) / (2 * h);
      const err = Math.abs(numeric - (analytic[i] as number)) / Math.max(1e-4, Math.abs(numeric) + Math.abs(analytic[i] as number));
      worst = Math.max(worst, err);
    }
    expect(worst).toBeLessThan(1e-5);
  });

  it('learns a sine online: the forecast error falls by more than half', () => {
    const sc = lstmScorer({ probationary: 0, seed: 1, inputMin: -1, inputMax: 1 }, { timeOfDay: false });
    const errs: number[] = [];
    for (let i = 0; i < 4000; i++) errs.push(sc.update(i * 60_000, Math.sin(i / 8)));
    const mean = (a: number[]) => a.reduce((s, v) => s + v, 0) / a.length;
    const early = mean(errs.slice(20, 520));
    const late = mean(errs.slice(3500));
    expect(late).toBeLessThan(early * 0.5);
    expect(late).toBeLessThan(0.08); // in range units: 8 % of the sine's span
  });
});

describe('IsolationForest', () => {
  it('c(n) is the average unsuccessful-search path length', () => {
    expect(averagePathLength(1)).toBe(0);
    expect(averagePathLength(2)).toBe(1);
    expect(averagePathLength(256)).toBeCloseTo(10.2448, 3);
  });

  it('isolates an outlier faster than points of the cluster', () => {
    const rng = createRng(9);
    const n = 512;
    const rows = new Float64Array(n * 2);
    for (let i = 0; i < n * 2; i++) rows[i] = rng.normal(0, 1);
    const f = new IsolationForest(2, createRng(10));
    f.build(rows, n, 100, 256);
    const inlier = f.score([0, 0]);
    const outlier = f.score([6, -6]);
    expect(outlier).toBeGreaterThan(0.65);
    expect(inlier).toBeLessThan(0.5);
  });
});

describe('period detection', () => {
  it('finds the period of a noisy wave and nothing in noise', () => {
    const rng = createRng(2);
    const wave = Array.from({ length: 600 }, (_, i) => Math.sin((2 * Math.PI * i) / 24) + rng.normal(0, 0.3));
    expect(detectPeriod(wave, 0.3)).toBe(24);
    const noise = Array.from({ length: 600 }, () => rng.normal(0, 1));
    expect(detectPeriod(noise, 0.3)).toBeUndefined();
  });

  it('snaps periods within 5 % of an hour, a day or a week', () => {
    expect(snapToCalendar(286 * 300_000)).toBe(86_400_000);
    expect(snapToCalendar(3_500_000)).toBe(3_600_000);
    expect(snapToCalendar(40 * 60_000)).toBe(40 * 60_000);
  });
});

describe('contextual novelty', () => {
  it('is high on unseen contexts and 0 once a pattern repeats', () => {
    const sc = contextScorer({ probationary: 0, seed: 1, inputMin: 0, inputMax: 9 }, { timeBuckets: 0 });
    const pattern = [0, 3, 6, 9, 6, 3];
    const raw: number[] = [];
    for (let rep = 0; rep < 20; rep++) for (const [k, v] of pattern.entries()) raw.push(sc.update((rep * 6 + k) * 60_000, v));
    expect(raw[0]).toBe(1);
    expect(raw.slice(-30).every((r) => r === 0)).toBe(true);
    // a value never seen: every context that contains it is new
    expect(sc.update(1e9, 4.5)).toBe(1);
    expect(sc.memoryBytes()).toBeLessThan(70_000);
  });
});
