// Every registered detector on seeded synthetic series with anomalies injected at known positions: flagged within a
// stated number of samples at the alarm threshold (p ≤ 1e-5, score 0.3125), and on clean series (noise, trend,
// daily seasonality) a false-alarm rate under 0.5 % at the same threshold; memory does not grow with the series.
import { describe, expect, it } from 'vitest';
import { pToScore, type CalibrationOptions } from '../../../src/observe/anomaly/calibrate.js';
import * as A from '../../../src/observe/anomaly/index.js';
import type { DetectorContext, DetectorSpec, StreamingDetector } from '../../../src/observe/anomaly/types.js';
import { alarmRate, clean, DAY, firstAlarm, inject, scoresOf, type Injection, type Shape } from './anomaly-synthetic.js';

const THRESHOLD = pToScore(1e-5);
const N = 7 * DAY;
const PROBATION = 2 * DAY + 24;
const AT = 5 * DAY + 17;
const SHAPES: Record<string, Shape> = {
  noise: { n: N, seed: 1, noise: 1 },
  trend: { n: N, seed: 3, noise: 1, trend: 0.005 },
  daily: { n: N, seed: 2, noise: 1, daily: 10 },
};
const MAX_FALSE_ALARM_RATE = 0.005;

function delay(spec: DetectorSpec, shape: Shape, a: Injection): number {
  const s = inject(clean(shape), a);
  const i = firstAlarm(scoresOf(spec, s, PROBATION), THRESHOLD, a.at, a.at + 200);
  return i < 0 ? Infinity : i - a.at;
}

describe('registered detectors (default options) on synthetic series', () => {
  for (const spec of A.DETECTORS) {
    describe(spec.name, () => {
      it('returns 0 during the probationary period and scores in [0, 1] after it', () => {
        const s = inject(clean(SHAPES.noise as Shape), { kind: 'spike', at: AT, size: 12 });
        const scores = scoresOf(spec, s, PROBATION);
        expect(scores.slice(0, PROBATION).every((x) => x === 0)).toBe(true);
        expect(scores.every((x) => x >= 0 && x <= 1)).toBe(true);
        expect(Math.max(...scores.slice(PROBATION))).toBeGreaterThan(THRESHOLD);
      });

      for (const shape of ['noise', 'trend', 'daily']) {
        it(`false-alarm rate on a clean ${shape} series stays under 0.5 %, with and without the range known`, () => {
          const base = clean(SHAPES[shape] as Shape);
          for (const known of [true, false]) {
            const rate = alarmRate(scoresOf(spec, base, PROBATION, 7, known), THRESHOLD, PROBATION);
            expect(rate).toBeLessThan(MAX_FALSE_ALARM_RATE);
          }
        });
      }

      // anomalies that leave the range seen so far are flagged by every detector (the spatial rule; for NAB's
      // windowed Gaussian, its own z-score) — but not a shift on a trend for the windowed Gaussian, whose 6,400-sample
      // window already spans the trend's spread.
      for (const shape of ['noise', 'trend']) {
        it(`flags a 12σ spike within 5 samples, a 5σ shift within 10 and a ×4 variance within 40 (${shape})`, () => {
          const sh = SHAPES[shape] as Shape;
          expect(delay(spec, sh, { kind: 'spike', at: AT, size: 12 })).toBeLessThanOrEqual(5);
          if (!(spec.name === 'windowed-gaussian' && shape === 'trend')) expect(delay(spec, sh, { kind: 'shift', at: AT, size: 5 })).toBeLessThanOrEqual(10);
          expect(delay(spec, sh, { kind: 'variance', at: AT, factor: 4, seed: 9 })).toBeLessThanOrEqual(40);
        });
      }
    });
  }

  // on a daily wave of ±10σ, spikes and a 5σ shift stay inside the range: only models of the season see them.
  for (const name of ['seasonal', 'lstm']) {
    it(`${name} flags a 12σ spike within 10 samples at three phases and a 5σ shift within 30 on a daily wave`, () => {
      const spec = A.findDetectorOrThrow(name);
      const sh = SHAPES.daily as Shape;
      for (const at of [AT, AT + 83, AT + 183]) expect(delay(spec, sh, { kind: 'spike', at, size: 12 }), `spike at ${at}`).toBeLessThanOrEqual(10);
      expect(delay(spec, sh, { kind: 'shift', at: AT, size: 5 })).toBeLessThanOrEqual(30);
    });
  }
  // The context detector sees changes of pattern, not single in-range spikes (its high-order contexts are often new
  // on a noisy series anyway, so one odd sample adds little): a shift and a variance change on the wave.
  it('context flags a 5σ shift within 30 samples and a ×4 variance within 40 on a daily wave', () => {
    const spec = A.findDetectorOrThrow('context');
    const sh = SHAPES.daily as Shape;
    expect(delay(spec, sh, { kind: 'shift', at: AT, size: 5 })).toBeLessThanOrEqual(30);
    expect(delay(spec, sh, { kind: 'variance', at: AT, factor: 4, seed: 9 })).toBeLessThanOrEqual(40);
  });

  it('memory stays bounded: memoryBytes after 20,000 samples is no more than after 2,000', () => {
    const s = clean({ n: 20_000, seed: 5, noise: 1, daily: 5 });
    for (const spec of A.DETECTORS) {
      const d = spec.create({ probationary: 750, seed: 1, inputMin: Math.min(...s.values), inputMax: Math.max(...s.values) });
      let at2k = 0;
      for (let i = 0; i < s.values.length; i++) {
        d.update(s.timestamps[i] as number, s.values[i] as number);
        if (i === 1999) at2k = d.memoryBytes();
      }
      expect(at2k, spec.name).toBeGreaterThan(0);
      expect(d.memoryBytes(), spec.name).toBeLessThanOrEqual(at2k);
    }
  }, 30_000);
});

// The models without the spatial rule: in-range changes must be seen by the model and its calibration alone.
const LIK: CalibrationOptions = { mode: 'likelihood', spatialTolerance: false };
const MODELS: Record<string, (ctx: DetectorContext) => StreamingDetector> = {
  context: (c) => A.createContext(c, { calibration: LIK }),
  'robust-z': (c) => A.createRobustZ(c, { calibration: LIK }),
  ewma: (c) => A.createEwma(c, { calibration: LIK }),
  'windowed-gaussian': (c) => A.createWindowedGaussian(c),
  seasonal: (c) => A.createSeasonal(c, { calibration: LIK }),
  'isolation-forest': (c) => A.createIsolationForest(c, { calibration: LIK }),
  lstm: (c) => A.createLstm(c, { calibration: { ...LIK, likelihood: { minMean: 0, minVariance: 0.0001 } } }),
};

describe('models without the spatial rule', () => {
  for (const [name, create] of Object.entries(MODELS)) {
    const spec: DetectorSpec = { name, description: name, create };
    it(`${name}: a 3σ shift and a ×3 variance inside the range of a noisy series are flagged within 15 samples`, () => {
      const sh = SHAPES.noise as Shape;
      expect(delay(spec, sh, { kind: 'shift', at: AT, size: 3 })).toBeLessThanOrEqual(15);
      expect(delay(spec, sh, { kind: 'variance', at: AT, factor: 3, seed: 9 })).toBeLessThanOrEqual(15);
    });
  }

  it('seasonal: a 3σ shift and a ×3 variance on a daily wave are flagged within 15 samples; a level model misses them', () => {
    const sh = SHAPES.daily as Shape;
    const seasonal: DetectorSpec = { name: 'seasonal', description: '', create: MODELS.seasonal as DetectorSpec['create'] };
    const ewma: DetectorSpec = { name: 'ewma', description: '', create: MODELS.ewma as DetectorSpec['create'] };
    expect(delay(seasonal, sh, { kind: 'shift', at: AT, size: 3 })).toBeLessThanOrEqual(15);
    expect(delay(seasonal, sh, { kind: 'variance', at: AT, factor: 3, seed: 9 })).toBeLessThanOrEqual(15);
    expect(delay(ewma, sh, { kind: 'shift', at: AT, size: 3 })).toBe(Infinity);
  });
});
