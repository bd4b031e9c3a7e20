/**
 * Score calibration shared by the detectors: every detector ends in a p-value (how likely a sample this unusual is
 * under the detector's model of normal) and reports `pToScore(p) = min(1, -log10(p) / 16)`: 0.25 means p = 1e-4,
 * 0.5 means p = 1e-8, 1 means p ≤ 1e-16 (where `1 - p` stops being representable in a double, the point at which
 * NAB's own `1 − tail` scores saturate), whatever the series and its units. That common scale is what lets one
 * threshold serve every series (NAB thresholds the whole corpus at one value). Numenta's log-likelihood is the
 * same map with 10 decades; 16 keeps resolution for the very small p-values of plain z-score detectors.
 *
 * Two ways to reach the p-value:
 *  - direct: a statistic with a known null distribution (a z-score) → its normal tail probability;
 *  - likelihood (`AnomalyLikelihood`, after Numenta's anomaly likelihood): a raw score of any scale (prediction
 *    error, isolation depth) → its short moving average → the tail probability of that average under a normal
 *    fitted to the recent history of averages. It adapts to each series' own level of surprise, and it
 *    suppresses repeats: after a red p-value (≤ 1e-5) the following red ones are reported as yellow (1e-3).
 */
import { FaultlineError } from '../../core/errors.js';
import type { DetectorContext, StreamingDetector } from './types.js';

/** decades of p-value that map to the score range [0, 1] */
export const SCORE_DECADES = 16;

/** p-value → calibrated score in [0, 1]: `-log10(p) / 16`, clamped. */
export function pToScore(p: number): number {
  if (!(p < 1)) return 0;
  if (!(p > 0)) return 1;
  const s = -Math.log10(p) / SCORE_DECADES;
  return s > 1 ? 1 : s;
}

/** calibrated score → the p-value it stands for (inverse of `pToScore` inside (0, 1)) */
export function scoreToP(score: number): number {
  return 10 ** (-score * SCORE_DECADES);
}

/** complementary error function, Chebyshev fit (Numerical Recipes `erfcc`): relative error < 1.2e-7 everywhere */
export function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r =
    t *
    Math.exp(
      -z * z -
        1.26551223 +
        t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x >= 0 ? r : 2 - r;
}

/** upper tail of the standard normal, P(Z > z) */
export function normalTail(z: number): number {
  return 0.5 * erfc(z / Math.SQRT2);
}

/** two-sided p-value of a z-score, P(|Z| ≥ |z|) */
export function twoSidedP(z: number): number {
  return erfc(Math.abs(z) / Math.SQRT2);
}

/** Šidák-corrected minimum of `k` p-values: the p-value of "the most surprising of k" */
export function sidak(pMin: number, k: number): number {
  if (k <= 1) return pMin;
  // 1 - (1 - p)^k, computed without cancellation for small p
  return -Math.expm1(k * Math.log1p(-Math.min(pMin, 1 - 1e-16)));
}

export interface LikelihoodOptions {
  /** samples at the start whose raw scores are not used to fit the distribution (the model is still learning) */
  learningPeriod: number;
  /** samples after the learning period before the first p-value (until then p = 0.5) */
  estimationSamples: number;
  /** how many recent averaged raw scores the distribution is fitted to (Numenta: 8640) */
  historicWindow?: number;
  /** refit every this many samples (Numenta: 100) */
  reestimationPeriod?: number;
  /** raw scores are averaged over this many samples before scoring (Numenta: 10) */
  averagingWindow?: number;
  /** floor of the fitted mean, in raw-score units (Numenta: 0.03 for raw scores in [0, 1]) */
  minMean?: number;
  /** floor of the fitted variance (Numenta: 0.0003) */
  minVariance?: number;
  /** p-values at or below this are red; a red after a red is reported as `yellowP` (Numenta: 1e-5, 1e-3) */
  redP?: number;
  yellowP?: number;
  /** also treat averages far below the fitted mean as surprising (nupic does; the default is one-sided) */
  twoSided?: boolean;
}

/**
 * Numenta's anomaly likelihood as a streaming object with bounded memory (one float32 ring of `historicWindow`
 * averages, 34 KiB by default).
 * Differences from nupic: one-sided by default (only averages above the fitted mean are surprising — less surprise
 * than usual is not an anomaly; nupic mirrors low averages to the upper tail, `twoSided`, which scores the same on
 * NAB), the fit is over a ring of averages instead of re-averaging the raw history, and nupic's switch to a null
 * distribution when the metric itself barely varies is left out (the spatial rule and the floors cover flat lines).
 */
export class AnomalyLikelihood {
  private readonly learningPeriod: number;
  private readonly startAt: number;
  private readonly history: Float32Array;
  private readonly reestimationPeriod: number;
  private readonly avgWindow: Float64Array;
  private readonly minMean: number;
  private readonly minVariance: number;
  private readonly redP: number;
  private readonly yellowP: number;
  private readonly twoSided: boolean;
  private avgSum = 0;
  private avgCount = 0;
  private avgPos = 0;
  private histPos = 0;
  private histCount = 0;
  private iteration = 0;
  private mean = 0;
  private sd = 1;
  private fitted = false;
  private prevRed = false;

  constructor(o: LikelihoodOptions) {
    this.learningPeriod = Math.max(0, Math.floor(o.learningPeriod));
    this.startAt = this.learningPeriod + Math.max(1, Math.floor(o.estimationSamples));
    this.history = new Float32Array(Math.max(16, o.historicWindow ?? 8640));
    this.reestimationPeriod = Math.max(1, o.reestimationPeriod ?? 100);
    this.avgWindow = new Float64Array(Math.max(1, o.averagingWindow ?? 10));
    this.minMean = o.minMean ?? 0.03;
    this.minVariance = o.minVariance ?? 0.0003;
    this.redP = o.redP ?? 1e-5;
    this.yellowP = o.yellowP ?? 1e-3;
    this.twoSided = o.twoSided ?? false;
  }

  /** feed one raw score (≥ 0, any scale); returns the p-value of the current moving average (0.5 while learning) */
  update(raw: number): number {
    const r = Number.isFinite(raw) ? raw : 0;
    // moving average over the last `averagingWindow` raw scores
    if (this.avgCount === this.avgWindow.length) this.avgSum -= this.avgWindow[this.avgPos] as number;
    else this.avgCount++;
    this.avgWindow[this.avgPos] = r;
    this.avgSum += r;
    this.avgPos = (this.avgPos + 1) % this.avgWindow.length;
    const avg = this.avgSum / this.avgCount;

    let p = 0.5;
    if (this.iteration >= this.startAt) {
      if (!this.fitted || this.iteration % this.reestimationPeriod === 0) this.fit();
      p = avg > this.mean || this.twoSided ? normalTail(Math.abs(avg - this.mean) / this.sd) : 0.5;
      const red = p <= this.redP;
      if (red && this.prevRed) p = this.yellowP;
      this.prevRed = red;
    }
    if (this.iteration >= this.learningPeriod) {
      this.history[this.histPos] = avg;
      this.histPos = (this.histPos + 1) % this.history.length;
      if (this.histCount < this.history.length) this.histCount++;
    }
    this.iteration++;
    return p;
  }

  private fit(): void {
    const n = this.histCount;
    if (n === 0) return;
    let s = 0;
    for (let i = 0; i < n; i++) s += this.history[i] as number;
    const m = s / n;
    let v = 0;
    for (let i = 0; i < n; i++) {
      const d = (this.history[i] as number) - m;
      v += d * d;
    }
    v /= n;
    this.mean = Math.max(m, this.minMean);
    this.sd = Math.sqrt(Math.max(v, this.minVariance));
    this.fitted = true;
  }

  memoryBytes(): number {
    return this.history.length * 4 + this.avgWindow.length * 8 + 128;
  }
}

/**
 * Numenta's "spatial anomaly": a value more than `tolerance` × (range seen so far) outside the range seen so far.
 * The range is learned from the stream (not from inputMin/inputMax), so the first excursion to a new level is news.
 */
export class SpatialGuard {
  private min = Infinity;
  private max = -Infinity;
  constructor(private readonly tolerance = 0.05) {}
  /** true when `value` is outside the tolerated range; the range then grows to include it */
  check(value: number): boolean {
    let out = false;
    if (this.max > this.min) {
      const tol = (this.max - this.min) * this.tolerance;
      out = value > this.max + tol || value < this.min - tol;
    }
    if (value > this.max) this.max = value;
    if (value < this.min) this.min = value;
    return out;
  }
}

/** A detector's model of normal, before calibration: one raw surprise value (≥ 0, any scale) per sample. */
export interface RawScorer {
  update(t: number, value: number): number;
  memoryBytes(): number;
  /** the p-value of a raw score under the scorer's own null model, when it has one (z-scores do) */
  pValue?(raw: number): number;
}

/** `direct`: the scorer's own p-value; `likelihood`: the raw score through `AnomalyLikelihood` */
export type CalibrationMode = 'direct' | 'likelihood';

export interface CalibrationOptions {
  mode: CalibrationMode;
  /** likelihood options beyond the learning split (which follows the probationary period, as Numenta's does) */
  likelihood?: Omit<LikelihoodOptions, 'learningPeriod' | 'estimationSamples'>;
  /** spatial-anomaly tolerance (score 1 outside the range seen so far ± tolerance × range); `false`: off */
  spatialTolerance?: number | false;
  /**
   * samples after an alarm during which the detector reports 0: one event, one alarm. Default: a fifth of the
   * probationary period (contextOSE's rest period); 0 disables it.
   */
  restSamples?: number;
  /** a sample raises an alarm (and starts the rest) when its p-value is at or below this (default 1e-5) */
  alarmP?: number;
}

/** Alarm deduplication: after a score at or above `alarmScore`, the next `samples` scores are reported as 0. */
export class RestPeriod {
  private until = -1;
  private i = 0;
  constructor(
    private readonly samples: number,
    private readonly alarmScore: number,
  ) {}
  apply(score: number): number {
    const i = this.i++;
    if (i <= this.until) return 0;
    if (this.samples > 0 && score >= this.alarmScore) this.until = i + this.samples;
    return score;
  }
}

/**
 * Wraps a raw scorer into a calibrated `StreamingDetector`: its p-value (direct) or the likelihood's p-value of
 * its raw score → `pToScore`, the spatial rule (score 1) on top, 0 during the probationary period, and 0 during
 * the rest after an alarm. In likelihood mode the first half of the probationary period's raw scores are ignored
 * (the model is learning) and the second half fits the first distribution, as in Numenta's NAB detector.
 */
export function calibrated(raw: RawScorer, ctx: DetectorContext, o: CalibrationOptions): StreamingDetector {
  const learning = Math.floor(ctx.probationary / 2);
  const lik = o.mode === 'likelihood' ? new AnomalyLikelihood({ ...o.likelihood, learningPeriod: learning, estimationSamples: Math.max(1, ctx.probationary - learning) }) : undefined;
  const pOf = raw.pValue?.bind(raw);
  if (lik === undefined && pOf === undefined) throw new FaultlineError('FL_ERR_DETECTOR_OPTIONS', 'direct calibration needs a scorer with its own p-value; use mode: likelihood');
  const spatial = o.spatialTolerance === false ? undefined : new SpatialGuard(o.spatialTolerance ?? 0.05);
  const rest = new RestPeriod(o.restSamples ?? Math.floor(ctx.probationary / 5), pToScore(o.alarmP ?? 1e-5));
  let i = 0;
  return {
    update(t, value) {
      const r = raw.update(t, value);
      const p = lik !== undefined ? lik.update(r) : (pOf as (x: number) => number)(r);
      const out = spatial?.check(value) ?? false;
      if (i++ < ctx.probationary) return 0;
      return rest.apply(out ? 1 : pToScore(p));
    },
    memoryBytes: () => raw.memoryBytes() + (lik?.memoryBytes() ?? 0) + 96,
  };
}
