/**
 * Seasonal baseline: additive Holt-Winters without trend. A level (EWMA of the deseasonalised value) plus one
 * seasonal offset per phase of the period; the residual of each value against level + offset, in units of the
 * EW mean absolute residual, is the z-score. The period is configured (`periodMs`) or detected once from the
 * autocorrelation of the first `detectSamples` values (by default the probationary period): the highest local
 * peak above `minAutocorrelation`, snapped to an hour, a day or a week when within 5 % of one. The phase comes
 * from the timestamp, so gaps in the series do not shift it. Without a period it is a level + scale model (a
 * robust EWMA). */
import { calibrated, twoSidedP, type CalibrationOptions, type RawScorer } from '../calibrate.js';
import type { DetectorContext, DetectorSpec, StreamingDetector } from '../types.js';
import { checkInt, checkRange, RangeTracker } from './options.js';

export interface SeasonalOptions {
  /** the season's length in ms; detected when absent */
  periodMs?: number;
  /** values buffered for detection (default: the probationary period, at least 64 and at most 4,096 values) */
  detectSamples?: number;
  /** the autocorrelation peak must reach this to count as a season */
  minAutocorrelation?: number;
  /** smoothing of the level, of the seasonal offsets (per visit of a phase) and of the residual scale */
  levelAlpha?: number;
  seasonAlpha?: number;
  scaleAlpha?: number;
  /** floor of the residual scale, as a fraction of the value range */
  minScaleFraction?: number;
  calibration?: CalibrationOptions;
}

export const SEASONAL_DEFAULTS = {
  minAutocorrelation: 0.3,
  levelAlpha: 0.05,
  seasonAlpha: 0.2,
  scaleAlpha: 0.02,
  minScaleFraction: 0.005,
  calibration: { mode: 'likelihood', spatialTolerance: 0.05 },
} as const satisfies SeasonalOptions;

/** Lag (in samples) of the highest local autocorrelation peak ≥ minAcf among lags 2 … n/2, or undefined. */
export function detectPeriod(values: ArrayLike<number>, minAcf: number): number | undefined {
  const n = values.length;
  if (n < 8) return undefined;
  let mean = 0;
  for (let i = 0; i < n; i++) mean += values[i] as number;
  mean /= n;
  let c0 = 0;
  for (let i = 0; i < n; i++) c0 += ((values[i] as number) - mean) ** 2;
  if (c0 === 0) return undefined;
  const maxLag = Math.floor(n / 2);
  const acf = new Float64Array(maxLag + 2);
  for (let lag = 1; lag <= maxLag + 1 && lag < n; lag++) {
    let c = 0;
    for (let i = 0; i + lag < n; i++) c += ((values[i] as number) - mean) * ((values[i + lag] as number) - mean);
    acf[lag] = c / c0;
  }
  let best: number | undefined;
  let bestAcf = minAcf;
  // only peaks after the autocorrelation first dips below 0 (so slow drifts do not count as seasons)
  let dipped = false;
  for (let lag = 2; lag <= maxLag; lag++) {
    const a = acf[lag] as number;
    if (a < 0) dipped = true;
    if (!dipped) continue;
    if (a >= bestAcf && a >= (acf[lag - 1] as number) && a >= (acf[lag + 1] as number)) {
      best = lag;
      bestAcf = a;
    }
  }
  return best;
}

const CALENDAR_MS = [3_600_000, 86_400_000, 604_800_000];

/** A detected period within 5 % of an hour, a day or a week is that calendar period (metrics follow clocks). */
export function snapToCalendar(periodMs: number): number {
  for (const c of CALENDAR_MS) if (Math.abs(periodMs - c) <= 0.05 * c) return c;
  return periodMs;
}

export function seasonalScorer(ctx: DetectorContext, o: SeasonalOptions = {}): RawScorer {
  const name = 'seasonal';
  const detectSamples = checkInt(name, 'detectSamples', o.detectSamples ?? Math.min(4096, Math.max(64, ctx.probationary)), 8);
  const minAcf = checkRange(name, 'minAutocorrelation', o.minAutocorrelation ?? SEASONAL_DEFAULTS.minAutocorrelation, 0, 1);
  const la = checkRange(name, 'levelAlpha', o.levelAlpha ?? SEASONAL_DEFAULTS.levelAlpha, 1e-9, 1);
  const sa = checkRange(name, 'seasonAlpha', o.seasonAlpha ?? SEASONAL_DEFAULTS.seasonAlpha, 1e-9, 1);
  const ca = checkRange(name, 'scaleAlpha', o.scaleAlpha ?? SEASONAL_DEFAULTS.scaleAlpha, 1e-9, 1);
  const floorFrac = checkRange(name, 'minScaleFraction', o.minScaleFraction ?? SEASONAL_DEFAULTS.minScaleFraction, 0, 1);
  if (o.periodMs !== undefined) checkRange(name, 'periodMs', o.periodMs, 1, Number.MAX_SAFE_INTEGER);
  const range = new RangeTracker(ctx.inputMin, ctx.inputMax);

  // detection buffer of values and times (freed once the period is settled)
  let buf: Float64Array | undefined = o.periodMs === undefined ? new Float64Array(detectSamples) : undefined;
  let bufT: Float64Array | undefined = o.periodMs === undefined ? new Float64Array(detectSamples) : undefined;
  let bufN = 0;
  let firstT = NaN;
  let lastT = NaN;
  let periodMs = o.periodMs;
  let season: Float64Array | undefined;
  let seasonSeen: Uint8Array | undefined;
  let binMs = 0;
  let level = NaN;
  let absRes = 0;
  let n = 0;

  const phase = (t: number): number => {
    const bins = (season as Float64Array).length;
    const p = periodMs as number;
    return Math.min(bins - 1, Math.floor((((t % p) + p) % p) / binMs));
  };
  /** Holt-Winters start from the buffer: offsets = mean deviation per phase, level = mean of the last period */
  const initFromBuffer = (values: Float64Array, times: Float64Array, count: number): void => {
    const sea = season as Float64Array;
    const seen = seasonSeen as Uint8Array;
    let mean = 0;
    for (let i = 0; i < count; i++) mean += values[i] as number;
    mean /= count;
    const cnt = new Float64Array(sea.length);
    for (let i = 0; i < count; i++) {
      const k = phase(times[i] as number);
      sea[k] = (sea[k] as number) + (values[i] as number) - mean;
      cnt[k] = (cnt[k] as number) + 1;
    }
    for (let k = 0; k < sea.length; k++) {
      if ((cnt[k] as number) > 0) {
        sea[k] = (sea[k] as number) / (cnt[k] as number);
        seen[k] = 1;
      }
    }
    const lastPeriod = Math.max(1, Math.min(count, sea.length));
    let lv = 0;
    let ar = 0;
    for (let i = count - lastPeriod; i < count; i++) lv += (values[i] as number) - (sea[phase(times[i] as number)] as number);
    level = lv / lastPeriod;
    for (let i = count - lastPeriod; i < count; i++) ar += Math.abs((values[i] as number) - level - (sea[phase(times[i] as number)] as number));
    absRes = ar / lastPeriod;
  };
  const settle = (stepMs: number): void => {
    const values = buf;
    const times = bufT;
    buf = undefined;
    bufT = undefined;
    if (periodMs === undefined && values !== undefined) {
      const lag = detectPeriod(values.subarray(0, bufN), minAcf);
      if (lag !== undefined && stepMs > 0) periodMs = snapToCalendar(lag * stepMs);
    }
    if (periodMs !== undefined && stepMs > 0) {
      const bins = Math.max(1, Math.min(100_000, Math.round(periodMs / stepMs)));
      binMs = periodMs / bins;
      season = new Float64Array(bins);
      seasonSeen = new Uint8Array(bins);
      if (values !== undefined && times !== undefined && bufN > 0) initFromBuffer(values, times, bufN);
    }
  };

  return {
    update(t, value) {
      if (n === 0) firstT = t;
      range.see(value);
      if (buf !== undefined && bufT !== undefined && bufN < buf.length) {
        buf[bufN] = value;
        bufT[bufN++] = t;
      }
      // settle the period when the buffer is full (or at once when configured)
      if (season === undefined && n >= 1 && (buf === undefined ? periodMs !== undefined : bufN === buf.length)) settle((lastT - firstT) / Math.max(1, n - 1));
      lastT = t;
      n++;
      if (Number.isNaN(level)) {
        level = value;
        return 0;
      }
      let s = 0;
      let k = -1;
      if (season !== undefined && seasonSeen !== undefined) {
        k = phase(t);
        if (seasonSeen[k] === 1) s = season[k] as number;
      }
      const scale = Math.max(1.2533 * absRes, floorFrac * range.range, 1e-12); // mean |residual| × √(π/2) ≈ σ
      const res = value - (level + s);
      const z = res / scale;
      // robust update: the residual clipped to ±4 scales
      const c = Math.max(-4 * scale, Math.min(4 * scale, res));
      absRes += ca * (Math.abs(res) > 4 * scale ? 4 * scale : Math.abs(res)) - ca * absRes;
      level += la * c;
      if (k >= 0 && season !== undefined && seasonSeen !== undefined) {
        if (seasonSeen[k] === 1) season[k] = s + sa * (1 - la) * c;
        else {
          season[k] = value - level;
          seasonSeen[k] = 1;
        }
      }
      return Math.abs(z);
    },
    pValue: (z) => twoSidedP(z),
    memoryBytes: () => (buf?.length ?? 0) * 16 + (season?.length ?? 0) * 9 + 200,
  };
}

export function createSeasonal(ctx: DetectorContext, o: SeasonalOptions = {}): StreamingDetector {
  return calibrated(seasonalScorer(ctx, o), ctx, o.calibration ?? SEASONAL_DEFAULTS.calibration);
}

export const seasonal: DetectorSpec = {
  name: 'seasonal',
  description: 'Seasonal baseline (Holt-Winters level + per-phase offsets, period detected by autocorrelation): z-score of the residual.',
  create: (ctx) => createSeasonal(ctx),
};
