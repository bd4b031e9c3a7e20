/**
 * Exponentially weighted moving average and variance: the z-score of each value against the EWMA mean and
 * deviation before it. O(1) time and memory. Each value updates the state clipped to ±`clipZ` deviations, so a
 * spike does not inflate the variance and mask what follows, while a level shift is still learned (at the
 * clipped pace) within a few 1/alpha samples.
 */
import { calibrated, twoSidedP, type CalibrationOptions, type RawScorer } from '../calibrate.js';
import type { DetectorContext, DetectorSpec, StreamingDetector } from '../types.js';
import { checkRange, RangeTracker } from './options.js';

export interface EwmaOptions {
  /** smoothing factor of the mean and variance, in (0, 1]: the weight of the newest sample */
  alpha?: number;
  /** values update the state clipped to mean ± clipZ × deviation */
  clipZ?: number;
  /** floor of the deviation, as a fraction of the value range */
  minScaleFraction?: number;
  calibration?: CalibrationOptions;
}

export const EWMA_DEFAULTS = { alpha: 0.02, clipZ: 4, minScaleFraction: 0.005, calibration: { mode: 'likelihood', spatialTolerance: 0.05 } } as const satisfies EwmaOptions;

export function ewmaScorer(ctx: DetectorContext, o: EwmaOptions = {}): RawScorer {
  const alpha = checkRange('ewma', 'alpha', o.alpha ?? EWMA_DEFAULTS.alpha, 1e-9, 1);
  const clipZ = checkRange('ewma', 'clipZ', o.clipZ ?? EWMA_DEFAULTS.clipZ, 0.1, Infinity);
  const floorFrac = checkRange('ewma', 'minScaleFraction', o.minScaleFraction ?? EWMA_DEFAULTS.minScaleFraction, 0, 1);
  const range = new RangeTracker(ctx.inputMin, ctx.inputMax);
  let mean = NaN;
  let variance = 0;
  let n = 0;
  return {
    update(_t, value) {
      range.see(value);
      if (n++ === 0) {
        mean = value;
        return 0;
      }
      const sd = Math.max(Math.sqrt(variance), floorFrac * range.range, 1e-12);
      const z = (value - mean) / sd;
      const x = mean + Math.max(-clipZ, Math.min(clipZ, z)) * sd;
      const d = x - mean;
      mean += alpha * d;
      variance = (1 - alpha) * (variance + alpha * d * d);
      return Math.abs(z);
    },
    pValue: (z) => twoSidedP(z),
    memoryBytes: () => 64,
  };
}

export function createEwma(ctx: DetectorContext, o: EwmaOptions = {}): StreamingDetector {
  return calibrated(ewmaScorer(ctx, o), ctx, o.calibration ?? EWMA_DEFAULTS.calibration);
}

export const ewma: DetectorSpec = {
  name: 'ewma',
  description: 'Exponentially weighted mean and variance (alpha 0.02): z-score of each value against them, spikes clipped out of the state.',
  create: (ctx) => createEwma(ctx),
};
