/**
 * Streaming features of the recent multivariate series, for the early-warning forecaster. Per signal: the
 * detector's calibrated anomaly score now and its maximum over the last `windowMs`, the signed robust z-score of
 * the value against the last `historyMs`, and the slope of that z over the last `windowMs`. For the steady-state
 * signals: how far into their bounds they are (now and the recent maximum). Globally: the largest score, the share
 * of signals that are anomalous, and how recently the steady state was violated. Bounded memory; no look-ahead.
 */
import type { SteadyStateBounds } from '../../core/run.js';
import { SortedWindow, Ring } from './detectors/rolling.js';
import { boundRatio, MIN_SCALE, SIGNALS, type Signal, type SignalSample } from './signals.js';
import type { DetectorSpec, StreamingDetector } from './types.js';

export interface FeatureOptions {
  detector: DetectorSpec;
  /** nominal time between samples (the recorded runs: 250 ms); windows are counted in samples of this step */
  stepMs: number;
  /** short window for maxima and slopes (default 5 s) */
  windowMs?: number;
  /** history the signed z-scores are measured against (default 60 s) */
  historyMs?: number;
  /** samples the detectors only learn from (default: 40) */
  probationary?: number;
  seed?: number;
  /** a detector score at or above this counts a signal as anomalous (default 0.25: p ≤ 1e-4) */
  scoreLevel?: number;
}

export const FEATURE_DEFAULTS = { windowMs: 5000, historyMs: 60_000, probationary: 40, seed: 1, scoreLevel: 0.25 } as const;

const Z_CLIP = 10;
/** e-folding time of the "recently violated" feature */
const RECENT_VIOLATION_MS = 10_000;

export const FEATURE_NAMES: readonly string[] = Object.freeze([
  ...SIGNALS.flatMap((s) => [`${s}.score`, `${s}.scoreMax`, `${s}.z`, `${s}.slope`]),
  'errorRate.ofBound',
  'p99LatencyMs.ofBound',
  'ofBound.max',
  'score.max',
  'score.share',
  'violation.recent',
]);

interface SignalState {
  det: StreamingDetector;
  hist: SortedWindow;
  scores: Ring;
  zs: Ring;
}

export interface FeatureStep {
  features: Float64Array;
  /** the detector's score per signal measured in this step */
  scores: Partial<Record<Signal, number>>;
  /** boundRatio of this sample (> 1: the steady state is violated) */
  boundRatio: number;
}

export class FeatureExtractor {
  private readonly state = new Map<Signal, SignalState>();
  private readonly win: number;
  private readonly histLen: number;
  private readonly probationary: number;
  private readonly seed: number;
  private readonly scoreLevel: number;
  private readonly ratios: Ring;
  private lastViolationT: number | undefined;

  constructor(
    private readonly o: FeatureOptions,
    private readonly bounds?: SteadyStateBounds,
  ) {
    this.win = Math.max(2, Math.round((o.windowMs ?? FEATURE_DEFAULTS.windowMs) / o.stepMs));
    this.histLen = Math.max(8, Math.round((o.historyMs ?? FEATURE_DEFAULTS.historyMs) / o.stepMs));
    this.probationary = o.probationary ?? FEATURE_DEFAULTS.probationary;
    this.seed = o.seed ?? FEATURE_DEFAULTS.seed;
    this.scoreLevel = o.scoreLevel ?? FEATURE_DEFAULTS.scoreLevel;
    this.ratios = new Ring(this.win);
  }

  private stateOf(s: Signal, idx: number): SignalState {
    let st = this.state.get(s);
    if (!st) {
      st = { det: this.o.detector.create({ probationary: this.probationary, seed: (this.seed + idx * 0x9e3779b1) >>> 0 }), hist: new SortedWindow(this.histLen), scores: new Ring(this.win), zs: new Ring(this.win) };
      this.state.set(s, st);
    }
    return st;
  }

  /** feeds the sample at `t` (ms, any origin; increasing) and returns its features */
  update(t: number, sample: SignalSample): FeatureStep {
    const f = new Float64Array(FEATURE_NAMES.length);
    const scores: Partial<Record<Signal, number>> = {};
    let maxScore = 0;
    let anomalous = 0;
    let present = 0;
    SIGNALS.forEach((sig, k) => {
      const v = sample[sig];
      if (v === undefined || !Number.isFinite(v)) return;
      present++;
      const st = this.stateOf(sig, k);
      const score = st.det.update(t, v);
      scores[sig] = score;
      let z = 0;
      if (st.hist.size >= 8) {
        const med = st.hist.median();
        const sc = Math.max(1.4826 * st.hist.mad(med), MIN_SCALE[sig]);
        z = Math.max(-Z_CLIP, Math.min(Z_CLIP, (v - med) / sc));
      }
      st.hist.push(v);
      st.scores.push(score);
      st.zs.push(z);
      let sMax = 0;
      for (let i = 0; i < st.scores.size; i++) sMax = Math.max(sMax, st.scores.at(i));
      const base = k * 4;
      f[base] = score;
      f[base + 1] = sMax;
      f[base + 2] = z / Z_CLIP;
      f[base + 3] = slope(st.zs, this.o.stepMs) / Z_CLIP;
      maxScore = Math.max(maxScore, score);
      if (score >= this.scoreLevel) anomalous++;
    });
    const ratio = boundRatio(sample, this.bounds);
    this.ratios.push(Math.min(ratio, 3));
    let rMax = 0;
    for (let i = 0; i < this.ratios.size; i++) rMax = Math.max(rMax, this.ratios.at(i));
    const b = SIGNALS.length * 4;
    f[b] = this.bounds && sample.errorRate !== undefined && this.bounds.maxErrorRate > 0 ? Math.min(sample.errorRate / this.bounds.maxErrorRate, 3) : 0;
    f[b + 1] = this.bounds?.maxP99LatencyMs !== undefined && sample.p99LatencyMs !== undefined ? Math.min(sample.p99LatencyMs / this.bounds.maxP99LatencyMs, 3) : 0;
    f[b + 2] = rMax;
    f[b + 3] = maxScore;
    f[b + 4] = present > 0 ? anomalous / present : 0;
    if (ratio > 1) this.lastViolationT = t;
    f[b + 5] = this.lastViolationT === undefined ? 0 : Math.exp(-(t - this.lastViolationT) / RECENT_VIOLATION_MS);
    return { features: f, scores, boundRatio: ratio };
  }

  memoryBytes(): number {
    let m = this.ratios.memoryBytes() + 128;
    for (const st of this.state.values()) m += st.det.memoryBytes() + st.hist.memoryBytes() + st.scores.memoryBytes() + st.zs.memoryBytes();
    return m;
  }
}

/** least-squares slope of the ring's values per second, samples `stepMs` apart */
function slope(r: Ring, stepMs: number): number {
  const n = r.size;
  if (n < 3) return 0;
  const mx = (n - 1) / 2;
  let my = 0;
  for (let i = 0; i < n; i++) my += r.at(i);
  my /= n;
  let sxy = 0;
  let sxx = 0;
  for (let i = 0; i < n; i++) {
    const dx = i - mx;
    sxy += dx * (r.at(i) - my);
    sxx += dx * dx;
  }
  const perSample = sxx > 0 ? sxy / sxx : 0;
  return Math.max(-Z_CLIP, Math.min(Z_CLIP, (perSample * 1000) / stepMs));
}
