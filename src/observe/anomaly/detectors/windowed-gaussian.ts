/**
 * NAB's windowed Gaussian: the mean and standard deviation of a sliding window of past values (6,400 samples,
 * refreshed every 100), and the two-sided normal tail probability of the new value. A faithful port of
 * nab/detectors/gaussian (the window and step are NAB's, tuned there on NAB), calibrated with `pToScore`
 * instead of NAB's `1 − tail`, which is a monotone map of the same number.
 */
import { calibrated, twoSidedP, type CalibrationOptions, type RawScorer } from '../calibrate.js';
import type { DetectorContext, DetectorSpec, StreamingDetector } from '../types.js';
import { checkInt } from './options.js';
import { Ring } from './rolling.js';

export interface WindowedGaussianOptions {
  /** samples in the window (NAB: 6400) */
  windowSize?: number;
  /** the statistics are refreshed every this many samples once the window is full (NAB: 100) */
  stepSize?: number;
  calibration?: CalibrationOptions;
}

export const WINDOWED_GAUSSIAN_DEFAULTS = { windowSize: 6400, stepSize: 100, calibration: { mode: 'direct', spatialTolerance: false, restSamples: 0 } } as const satisfies WindowedGaussianOptions;

export function windowedGaussianScorer(o: WindowedGaussianOptions = {}): RawScorer {
  const windowSize = checkInt('windowed-gaussian', 'windowSize', o.windowSize ?? WINDOWED_GAUSSIAN_DEFAULTS.windowSize, 2);
  const stepSize = checkInt('windowed-gaussian', 'stepSize', o.stepSize ?? WINDOWED_GAUSSIAN_DEFAULTS.stepSize, 1);
  const ring = new Ring(windowSize);
  // while the window fills, shifted running sums (O(1) per sample); once full, an exact pass every stepSize
  let shift = NaN;
  let sum = 0;
  let sumSq = 0;
  let mean = 0;
  let sd = 1;
  let pending = 0;
  let seen = 0;
  const exact = (): void => {
    const n = ring.size;
    let m = 0;
    for (let i = 0; i < n; i++) m += ring.at(i);
    m /= n;
    let v = 0;
    for (let i = 0; i < n; i++) {
      const d = ring.at(i) - m;
      v += d * d;
    }
    mean = m;
    sd = Math.sqrt(v / n) || 1e-6;
  };
  return {
    update(_t, value) {
      const z = seen > 0 ? (value - mean) / sd : 0;
      seen++;
      const old = ring.push(value);
      if (old === undefined) {
        if (Number.isNaN(shift)) shift = value;
        const d = value - shift;
        sum += d;
        sumSq += d * d;
        const n = ring.size;
        mean = shift + sum / n;
        sd = Math.sqrt(Math.max(0, sumSq / n - (sum / n) ** 2)) || 1e-6;
      } else if (++pending === stepSize) {
        pending = 0;
        exact();
      }
      return Math.abs(z);
    },
    pValue: (z) => twoSidedP(z),
    memoryBytes: () => ring.memoryBytes() + 96,
  };
}

export function createWindowedGaussian(ctx: DetectorContext, o: WindowedGaussianOptions = {}): StreamingDetector {
  return calibrated(windowedGaussianScorer(o), ctx, o.calibration ?? WINDOWED_GAUSSIAN_DEFAULTS.calibration);
}

export const windowedGaussian: DetectorSpec = {
  name: 'windowed-gaussian',
  description: "NAB's windowed Gaussian: normal tail probability of each value under the mean and deviation of the last 6,400 values.",
  create: (ctx) => createWindowedGaussian(ctx),
};
