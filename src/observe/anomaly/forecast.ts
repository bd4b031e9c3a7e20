/**
 * The early-warning forecaster: from the recent multivariate series (error rate, p99, throughput, CPU, RSS, fds,
 * event-loop lag and the detectors' scores on each, see features.ts), the probability that the steady state is
 * violated within the next `horizonMs`. A logistic model over the streaming features, trained on labelled runs
 * (runs recorded under failure cards: scripts/record-corpus.mjs), calibrated by Platt scaling on out-of-fold
 * predictions (leave one run out inside the training runs), with the alarm threshold chosen on those same
 * out-of-fold predictions: the most violations warned within a false-alarm budget per hour.
 *
 * Training rows are the buckets outside violations after the detectors' probationary period; a row is positive
 * when a violation starts within the horizon of the time its values are known (the bucket's end).
 */
import { FaultlineError } from '../../core/errors.js';
import type { SteadyStateBounds } from '../../core/run.js';
import { FEATURE_DEFAULTS, FEATURE_NAMES, FeatureExtractor, type FeatureOptions } from './features.js';
import { applyPlatt, fitLogistic, fitPlatt, logit, type LogisticModel, type Platt } from './logistic.js';
import { DEFAULT_DETECTOR, findDetectorOrThrow } from './registry.js';
import { runSamples, type Signal, type SignalSample } from './signals.js';
import type { DetectorSpec } from './types.js';
import type { WarnRun } from './warn-corpus.js';
import { chooseThreshold, type ScoredRun, type WarnSummary } from './warn-metrics.js';

export const FORECAST_MODEL_FORMAT = 'faultline-forecast/1';

export interface ForecastModel {
  format: typeof FORECAST_MODEL_FORMAT;
  horizonMs: number;
  /** the step the model was trained at (the runs' bucket) */
  stepMs: number;
  detector: string;
  windowMs: number;
  historyMs: number;
  probationary: number;
  seed: number;
  featureNames: string[];
  logistic: LogisticModel;
  platt: Platt;
  /** alarm when P(violation within the horizon) ≥ threshold */
  threshold: number;
  maxFalseAlarmsPerHour: number;
  /** the threshold the plain detector score needed as a warner on the training runs, chosen the same way (for comparison) */
  detectorThreshold?: number;
  trainedOn: { runs: string[]; rows: number; positives: number; violations: number; outOfFold?: WarnSummary };
}

export interface TrainOptions {
  horizonMs: number;
  /** the detector whose scores feed the features (default: the registry's default) */
  detector?: DetectorSpec;
  maxFalseAlarmsPerHour?: number;
  l2?: number;
  seed?: number;
  windowMs?: number;
  historyMs?: number;
  probationary?: number;
}

export const DEFAULT_MAX_FALSE_ALARMS_PER_HOUR = 10;

/** A run's feature rows, computed once (the features do not depend on the training). */
export interface RunFeatures {
  run: WarnRun;
  /** per bucket */
  X: Float64Array[];
  /** per bucket: the detector's largest score over the signals (the plain detector warner) */
  detectorScore: Float64Array;
  /** per bucket: how far into the bounds (the bound-proximity warner) */
  boundRatio: Float64Array;
  /** per bucket: whether it can be a training row (outside violations, after the probationary period) */
  usable: Uint8Array;
}

export function featureOptions(o: { detector: DetectorSpec; stepMs: number; windowMs?: number; historyMs?: number; probationary?: number; seed?: number }): FeatureOptions {
  return { detector: o.detector, stepMs: o.stepMs, windowMs: o.windowMs ?? FEATURE_DEFAULTS.windowMs, historyMs: o.historyMs ?? FEATURE_DEFAULTS.historyMs, probationary: o.probationary ?? FEATURE_DEFAULTS.probationary, seed: o.seed ?? FEATURE_DEFAULTS.seed };
}

export function runFeatures(run: WarnRun, fo: FeatureOptions): RunFeatures {
  const fx = new FeatureExtractor(fo, run.bounds);
  const samples = runSamples(run);
  const n = samples.length;
  const X: Float64Array[] = [];
  const detectorScore = new Float64Array(n);
  const boundRatio = new Float64Array(n);
  const usable = new Uint8Array(n);
  const probation = fo.probationary ?? FEATURE_DEFAULTS.probationary;
  for (let i = 0; i < n; i++) {
    const t = run.startedAt + (run.atMs[i] as number) + run.bucketMs;
    const step = fx.update(t, samples[i] as SignalSample);
    X.push(step.features);
    let m = 0;
    for (const v of Object.values(step.scores)) if (v !== undefined && v > m) m = v;
    detectorScore[i] = m;
    boundRatio[i] = step.boundRatio;
    usable[i] = i >= probation && run.verdicts[i] !== 'v' ? 1 : 0;
  }
  return { run, X, detectorScore, boundRatio, usable };
}

/** 1 when a violation starts within the horizon of bucket i's end (the warning would count), else 0 */
export function horizonLabels(run: WarnRun, horizonMs: number): Uint8Array {
  const y = new Uint8Array(run.atMs.length);
  const onsets = run.violations.map((v) => v.startMs);
  for (let i = 0; i < run.atMs.length; i++) {
    const tau = (run.atMs[i] as number) + run.bucketMs;
    y[i] = onsets.some((s) => s >= tau && s + run.bucketMs - tau <= horizonMs) ? 1 : 0;
  }
  return y;
}

function rowsOf(parts: readonly RunFeatures[], horizonMs: number): { X: Float64Array[]; y: number[] } {
  const X: Float64Array[] = [];
  const y: number[] = [];
  for (const p of parts) {
    const lab = horizonLabels(p.run, horizonMs);
    for (let i = 0; i < p.X.length; i++) {
      if (!p.usable[i]) continue;
      X.push(p.X[i] as Float64Array);
      y.push(lab[i] as number);
    }
  }
  return { X, y };
}

function scoresOf(p: RunFeatures, m: LogisticModel, platt?: Platt): Float64Array {
  const s = new Float64Array(p.X.length);
  for (let i = 0; i < p.X.length; i++) {
    const eta = logit(m, p.X[i] as Float64Array);
    s[i] = platt ? applyPlatt(platt, eta) : eta;
  }
  return s;
}

export const warmupMsOf = (probationary: number, stepMs: number): number => probationary * stepMs;

/**
 * Trains on precomputed run features (all from one detector and step). Platt scaling and the threshold come from
 * out-of-fold predictions: each training run predicted by a model fitted on the other training runs.
 */
export function trainOnFeatures(parts: readonly RunFeatures[], o: TrainOptions & { detector: DetectorSpec; stepMs: number }): ForecastModel {
  if (parts.length < 2) throw new FaultlineError('FL_ERR_WARN_MODEL', `training needs at least 2 recorded runs (got ${parts.length}): calibration and the threshold are chosen on runs left out of the fit`);
  const horizonMs = o.horizonMs;
  const maxFa = o.maxFalseAlarmsPerHour ?? DEFAULT_MAX_FALSE_ALARMS_PER_HOUR;
  const probationary = o.probationary ?? FEATURE_DEFAULTS.probationary;
  const warn = { horizonMs, warmupMs: warmupMsOf(probationary, o.stepMs) };
  const all = rowsOf(parts, horizonMs);
  const positives = all.y.reduce((a, b) => a + b, 0);
  if (positives === 0) throw new FaultlineError('FL_ERR_WARN_MODEL', `no training row precedes a violation within ${horizonMs} ms: the runs need steady-state violations after the first ${warn.warmupMs} ms`);
  const l2 = o.l2 ?? 1;
  // out of fold: leave one training run out
  const oofLogits: number[] = [];
  const oofY: number[] = [];
  const oofRuns: Array<{ part: RunFeatures; logits: Float64Array }> = [];
  for (let k = 0; k < parts.length; k++) {
    const rest = parts.filter((_, j) => j !== k);
    const rows = rowsOf(rest, horizonMs);
    const held = parts[k] as RunFeatures;
    const m = rows.y.some((v) => v === 1) ? fitLogistic(rows.X, rows.y, { l2 }) : undefined;
    const lg = m ? scoresOf(held, m) : new Float64Array(held.X.length).fill(-20);
    oofRuns.push({ part: held, logits: lg });
    const lab = horizonLabels(held.run, horizonMs);
    for (let i = 0; i < held.X.length; i++) {
      if (!held.usable[i]) continue;
      oofLogits.push(lg[i] as number);
      oofY.push(lab[i] as number);
    }
  }
  const platt = fitPlatt(oofLogits, oofY);
  const scored: ScoredRun[] = oofRuns.map((r) => ({ run: r.part.run, scores: r.logits.map((e) => applyPlatt(platt, e)) }));
  const choice = chooseThreshold(scored, { ...warn, maxFalseAlarmsPerHour: maxFa });
  const det = chooseThreshold(
    parts.map((p) => ({ run: p.run, scores: p.detectorScore })),
    { ...warn, maxFalseAlarmsPerHour: maxFa },
  );
  const logistic = fitLogistic(all.X, all.y, { l2 });
  return {
    format: FORECAST_MODEL_FORMAT,
    horizonMs,
    stepMs: o.stepMs,
    detector: o.detector.name,
    windowMs: o.windowMs ?? FEATURE_DEFAULTS.windowMs,
    historyMs: o.historyMs ?? FEATURE_DEFAULTS.historyMs,
    probationary,
    seed: o.seed ?? FEATURE_DEFAULTS.seed,
    featureNames: [...FEATURE_NAMES],
    logistic,
    platt,
    threshold: choice.threshold,
    maxFalseAlarmsPerHour: maxFa,
    detectorThreshold: det.threshold,
    trainedOn: { runs: parts.map((p) => p.run.id), rows: all.y.length, positives, violations: parts.reduce((n, p) => n + p.run.violations.length, 0), outOfFold: choice.summary },
  };
}

function stepOf(runs: readonly WarnRun[]): number {
  const steps = new Set(runs.map((r) => r.bucketMs));
  if (steps.size !== 1) throw new FaultlineError('FL_ERR_WARN_CORPUS', `the runs have different bucket sizes (${[...steps].join(', ')} ms); train on runs of one bucket size`);
  return [...steps][0] as number;
}

/** Trains the forecaster on recorded runs. */
export function trainForecaster(runs: readonly WarnRun[], o: TrainOptions): ForecastModel {
  const stepMs = stepOf(runs);
  const detector = o.detector ?? DEFAULT_DETECTOR;
  const fo = featureOptions({ detector, stepMs, ...o });
  return trainOnFeatures(
    runs.map((r) => runFeatures(r, fo)),
    { ...o, detector, stepMs },
  );
}

/** P(violation within the horizon) for each bucket of a run, under a trained model. */
export function predictRun(model: ForecastModel, p: RunFeatures): Float64Array {
  return scoresOf(p, model.logistic, model.platt);
}

export interface ForecastStep {
  /** P(steady-state violation within the horizon) */
  p: number;
  alarm: boolean;
  /** the steady state is violated now (the forecast is moot; no alarm is raised) */
  violated: boolean;
  /** the detector's score per signal */
  scores: Partial<Record<Signal, number>>;
  /** the largest of them, and whether it crosses the model's detector threshold */
  detectorScore: number;
  detectorAlarm: boolean;
}

/** The streaming forecaster: one sample at a time, bounded memory. */
export class Forecaster {
  private readonly fx: FeatureExtractor;
  constructor(
    readonly model: ForecastModel,
    bounds: SteadyStateBounds | undefined,
    o: { stepMs?: number; detector?: DetectorSpec } = {},
  ) {
    checkModel(model);
    const detector = o.detector ?? findDetectorOrThrow(model.detector);
    this.fx = new FeatureExtractor(featureOptions({ detector, stepMs: o.stepMs ?? model.stepMs, windowMs: model.windowMs, historyMs: model.historyMs, probationary: model.probationary, seed: model.seed }), bounds);
  }

  update(t: number, sample: SignalSample): ForecastStep {
    const s = this.fx.update(t, sample);
    const p = applyPlatt(this.model.platt, logit(this.model.logistic, s.features));
    const violated = s.boundRatio > 1;
    let detectorScore = 0;
    for (const v of Object.values(s.scores)) if (v !== undefined && v > detectorScore) detectorScore = v;
    return { p, alarm: !violated && p >= this.model.threshold, violated, scores: s.scores, detectorScore, detectorAlarm: detectorScore >= (this.model.detectorThreshold ?? 1) };
  }

  memoryBytes(): number {
    return this.fx.memoryBytes() + this.model.featureNames.length * 32;
  }
}

/** Checks a parsed model file; throws FL_ERR_WARN_MODEL naming the field. */
export function checkModel(x: unknown, file = 'model'): ForecastModel {
  const bad = (why: string): never => {
    throw new FaultlineError('FL_ERR_WARN_MODEL', `${file}: ${why}`, { context: { file } });
  };
  if (typeof x !== 'object' || x === null) bad('not a JSON object');
  const m = x as Partial<ForecastModel>;
  if (m.format !== FORECAST_MODEL_FORMAT) bad(`format: expected "${FORECAST_MODEL_FORMAT}", got ${JSON.stringify(m.format)}`);
  if (!Array.isArray(m.featureNames) || m.featureNames.join() !== FEATURE_NAMES.join()) bad('featureNames: not the features of this version of faultline; retrain the model');
  const lg = m.logistic;
  if (!lg || !Array.isArray(lg.weights) || lg.weights.length !== FEATURE_NAMES.length || !Array.isArray(lg.mean) || !Array.isArray(lg.scale)) bad('logistic: weights, mean and scale must have one entry per feature');
  if (!m.platt || typeof m.platt.a !== 'number' || typeof m.platt.b !== 'number') bad('platt: missing');
  if (typeof m.threshold !== 'number' || !(m.threshold >= 0 && m.threshold <= 1 + 1e-6)) bad('threshold: must be a probability');
  if (!(typeof m.horizonMs === 'number' && m.horizonMs > 0) || !(typeof m.stepMs === 'number' && m.stepMs > 0)) bad('horizonMs and stepMs: must be > 0');
  if (typeof m.detector !== 'string') bad('detector: missing');
  return m as ForecastModel;
}
