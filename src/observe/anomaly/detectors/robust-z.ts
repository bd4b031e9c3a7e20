/**
 * Rolling robust z-score: how many robust deviations (1.4826 × the median absolute deviation) a value lies from
 * the median of the last `windowSize` values. Medians ignore the spikes they are meant to find, so one outlier
 * does not hide the next. The scale has a floor (`minScaleFraction` × the value range) so flat or quantised
 * series, whose MAD is 0, do not turn every change into an infinite z.
 */
import { calibrated, twoSidedP, type CalibrationOptions, type RawScorer } from '../calibrate.js';
import type { DetectorContext, DetectorSpec, StreamingDetector } from '../types.js';
import { checkInt, checkRange, RangeTracker } from './options.js';
import { SortedWindow } from './rolling.js';

export interface RobustZOptions {
  /** samples in the rolling window */
  windowSize?: number;
  /** floor of the robust scale, as a fraction of the value range (inputMax − inputMin, or the range seen so far) */
  minScaleFraction?: number;
  calibration?: CalibrationOptions;
}

export const ROBUST_Z_DEFAULTS = { windowSize: 256, minScaleFraction: 0.005, calibration: { mode: 'likelihood', spatialTolerance: 0.05 } } as const satisfies RobustZOptions;

export function robustZScorer(ctx: DetectorContext, o: RobustZOptions = {}): RawScorer {
  const windowSize = checkInt('robust-z', 'windowSize', o.windowSize ?? ROBUST_Z_DEFAULTS.windowSize, 3);
  const floorFrac = checkRange('robust-z', 'minScaleFraction', o.minScaleFraction ?? ROBUST_Z_DEFAULTS.minScaleFraction, 0, 1);
  const win = new SortedWindow(windowSize);
  const range = new RangeTracker(ctx.inputMin, ctx.inputMax);
  return {
    update(_t, value) {
      let z = 0;
      if (win.size >= 3) {
        const med = win.median();
        const scale = Math.max(1.4826 * win.mad(med), floorFrac * range.range, 1e-12);
        z = Math.abs(value - med) / scale;
      }
      range.see(value);
      win.push(value);
      return z;
    },
    pValue: (z) => twoSidedP(z),
    memoryBytes: () => win.memoryBytes() + 64,
  };
}

export function createRobustZ(ctx: DetectorContext, o: RobustZOptions = {}): StreamingDetector {
  return calibrated(robustZScorer(ctx, o), ctx, o.calibration ?? ROBUST_Z_DEFAULTS.calibration);
}

export const robustZ: DetectorSpec = {
  name: 'robust-z',
  description: 'Rolling robust z-score: distance from the median of the last 256 values in median absolute deviations.',
  create: (ctx) => createRobustZ(ctx),
};
