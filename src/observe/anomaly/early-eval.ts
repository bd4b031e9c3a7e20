/**
 * Evaluation of early warning on a recorded corpus, leave one run out: for each run, the forecaster is trained
 * (fit, calibration and threshold) on the other runs only and then replayed, streaming, on the held-out run. The
 * plain detectors are evaluated the same way as warners — the largest calibrated score over the signals ≥ a
 * threshold chosen on the other runs — and so is the steady-state proximity (how far into its bounds the service
 * is). Reported per warner: lead time before each violation (median, p10), share of violations warned within the
 * horizon, false alarms per hour of non-violation time, share of that time spent alarmed.
 */
import { FaultlineError } from '../../core/errors.js';
import { DEFAULT_MAX_FALSE_ALARMS_PER_HOUR, featureOptions, horizonLabels, predictRun, runFeatures, trainOnFeatures, warmupMsOf, type RunFeatures } from './forecast.js';
import { FEATURE_DEFAULTS } from './features.js';
import { DEFAULT_DETECTOR } from './registry.js';
import type { DetectorSpec } from './types.js';
import { DEFAULT_MIN_VIOLATION_MS, withMinViolation, type WarnRun } from './warn-corpus.js';
import { alarmsAt, chooseThreshold, evaluateAlarms, rocAuc, summarizeAlarms, type AlarmEval, type WarnSummary } from './warn-metrics.js';

export interface EarlyEvalOptions {
  horizonMs: number;
  /** the detector whose scores feed the forecaster (default: the registry's default) */
  detector?: DetectorSpec;
  /** detectors evaluated as plain warners (default: the forecaster's detector only) */
  baselines?: readonly DetectorSpec[];
  maxFalseAlarmsPerHour?: number;
  /** violations shorter than this are not judged (default 1,000 ms, the resilience figures' sustain time) */
  minViolationMs?: number;
  l2?: number;
  seed?: number;
  probationary?: number;
  onProgress?: (line: string) => void;
}

export interface WarnerResult extends WarnSummary {
  /** the threshold chosen on the training runs of each fold */
  thresholds: number[];
  /**
   * ROC AUC of the warner's score on the held-out runs' buckets outside violations, against "a violation starts
   * within the horizon": how well it ranks the lead-up above the rest, whatever the threshold (NaN: one class only)
   */
  auc: number;
}

export interface EarlyEvalResult {
  horizonMs: number;
  maxFalseAlarmsPerHour: number;
  minViolationMs: number;
  detector: string;
  runs: number;
  buckets: number;
  violations: number;
  nonViolationHours: number;
  /** the forecaster: P(violation within the horizon) ≥ threshold */
  forecaster: WarnerResult;
  /** `detector:<name>`: its largest score over the signals ≥ threshold; `bound-proximity`: largest share of a bound */
  baselines: Record<string, WarnerResult>;
  /** per held-out run: violations, and the forecaster's warned count and false alarms */
  perRun: Array<{ id: string; cards: string[]; violations: number; warned: number; falseAlarms: number; leadTimesS: number[] }>;
  durationMs: number;
}

type Score = (p: RunFeatures) => ArrayLike<number>;

/** leave-one-run-out of a warner whose scores need no training (only the threshold is chosen on the other runs) */
function looThreshold(parts: readonly RunFeatures[], score: Score, warn: { horizonMs: number; warmupMs: number; maxFalseAlarmsPerHour: number }): WarnerResult & { evals: AlarmEval[] } {
  const scores = parts.map(score);
  const evals: AlarmEval[] = [];
  const thresholds: number[] = [];
  for (let k = 0; k < parts.length; k++) {
    const train = parts.map((p, j) => ({ run: p.run, scores: scores[j] as ArrayLike<number> })).filter((_, j) => j !== k);
    const { threshold } = chooseThreshold(train, warn);
    thresholds.push(threshold);
    evals.push(evaluateAlarms((parts[k] as RunFeatures).run, alarmsAt(scores[k] as ArrayLike<number>, threshold), warn));
  }
  return { ...summarizeAlarms(evals), thresholds, auc: pooledAuc(parts, scores, warn.horizonMs), evals };
}

/** AUC over the usable buckets of every run, scores from `scores[k]` for run k */
function pooledAuc(parts: readonly RunFeatures[], scores: readonly ArrayLike<number>[], horizonMs: number): number {
  const s: number[] = [];
  const y: number[] = [];
  parts.forEach((p, k) => {
    const lab = horizonLabels(p.run, horizonMs);
    const sc = scores[k] as ArrayLike<number>;
    for (let i = 0; i < p.X.length; i++) {
      if (!p.usable[i]) continue;
      s.push(sc[i] as number);
      y.push(lab[i] as number);
    }
  });
  return rocAuc(s, y);
}

export function evaluateEarlyWarning(recorded: readonly WarnRun[], o: EarlyEvalOptions): EarlyEvalResult {
  const t0 = performance.now();
  const minViolationMs = o.minViolationMs ?? DEFAULT_MIN_VIOLATION_MS;
  const runs = recorded.map((r) => withMinViolation(r, minViolationMs));
  if (runs.length < 3) throw new FaultlineError('FL_ERR_WARN_CORPUS', `leave-one-run-out evaluation needs at least 3 recorded runs (got ${runs.length}): each fold trains on the others and calibrates on runs left out of its fit`);
  const steps = new Set(runs.map((r) => r.bucketMs));
  if (steps.size !== 1) throw new FaultlineError('FL_ERR_WARN_CORPUS', `the runs have different bucket sizes (${[...steps].join(', ')} ms)`);
  const stepMs = [...steps][0] as number;
  const say = o.onProgress ?? (() => undefined);
  const detector = o.detector ?? DEFAULT_DETECTOR;
  const probationary = o.probationary ?? FEATURE_DEFAULTS.probationary;
  const maxFa = o.maxFalseAlarmsPerHour ?? DEFAULT_MAX_FALSE_ALARMS_PER_HOUR;
  const warn = { horizonMs: o.horizonMs, warmupMs: warmupMsOf(probationary, stepMs), maxFalseAlarmsPerHour: maxFa };
  const fo = (d: DetectorSpec) => featureOptions({ detector: d, stepMs, probationary, ...(o.seed !== undefined ? { seed: o.seed } : {}) });

  say(`features: ${runs.length} runs with ${detector.name}`);
  const parts = runs.map((r) => runFeatures(r, fo(detector)));

  // the forecaster, leave one run out
  const evals: AlarmEval[] = [];
  const thresholds: number[] = [];
  const heldScores: Float64Array[] = [];
  const perRun: EarlyEvalResult['perRun'] = [];
  for (let k = 0; k < parts.length; k++) {
    const held = parts[k] as RunFeatures;
    say(`forecaster: fold ${k + 1}/${parts.length} (held out ${held.run.id})`);
    const model = trainOnFeatures(
      parts.filter((_, j) => j !== k),
      { horizonMs: o.horizonMs, detector, stepMs, maxFalseAlarmsPerHour: maxFa, probationary, ...(o.l2 !== undefined ? { l2: o.l2 } : {}), ...(o.seed !== undefined ? { seed: o.seed } : {}) },
    );
    thresholds.push(model.threshold);
    const p = predictRun(model, held);
    heldScores.push(p);
    const e = evaluateAlarms(held.run, alarmsAt(p, model.threshold), warn);
    evals.push(e);
    perRun.push({ id: held.run.id, cards: held.run.cards, violations: e.onsets, warned: e.warned, falseAlarms: e.falseAlarms, leadTimesS: e.leadTimesMs.map((x) => x / 1000) });
  }
  const forecaster: WarnerResult = { ...summarizeAlarms(evals), thresholds, auc: pooledAuc(parts, heldScores, o.horizonMs) };

  // baselines: the plain detectors, and the bounds' proximity
  const baselines: Record<string, WarnerResult> = {};
  const strip = (r: WarnerResult & { evals: AlarmEval[] }): WarnerResult => {
    const { evals: _evals, ...rest } = r;
    return rest;
  };
  for (const d of o.baselines ?? [detector]) {
    say(`baseline: ${d.name}`);
    const ps = d.name === detector.name ? parts : runs.map((r) => runFeatures(r, fo(d)));
    baselines[`detector:${d.name}`] = strip(looThreshold(ps, (p) => p.detectorScore, warn));
  }
  baselines['bound-proximity'] = strip(looThreshold(parts, (p) => p.boundRatio, warn));

  return {
    horizonMs: o.horizonMs,
    maxFalseAlarmsPerHour: maxFa,
    minViolationMs,
    detector: detector.name,
    runs: runs.length,
    buckets: runs.reduce((n, r) => n + r.atMs.length, 0),
    violations: forecaster.violations,
    nonViolationHours: forecaster.nonViolationHours,
    forecaster,
    baselines,
    perRun,
    durationMs: Math.round(performance.now() - t0),
  };
}
