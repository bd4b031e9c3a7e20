/**
 * NAB's corpus score for one detector, per profile (nab/optimizer.py, scorer.py and runner.normalize): the
 * threshold is optimised over the whole corpus, each series is scored at it and the scores are summed; the sum is
 * normalised between the null detector (a constant 0.5 score, which scores 0) and the perfect detector (every
 * window found at its left edge, which scores 100: tpWeight per window).
 */
import { FaultlineError } from '../../../core/errors.js';
import type { LabelledSeries } from '../types.js';
import { NAB_PROBATION_PERCENT, NAB_PROFILES, PROFILE_NAMES, type CostMatrix, type ProfileName, type Profiles } from './profiles.js';
import { buildSweep, labelSeries, optimizeThreshold, scoreAtThreshold, type SeriesLabels, type SeriesScore, type Sweep } from './sweeper.js';

export interface ScoreOptions {
  /** cost matrices (default NAB's config/profiles.json) */
  profiles?: Profiles;
  /** probationary share of each series (default NAB's 0.15) */
  probationPercent?: number;
  /**
   * score at these thresholds instead of optimising them (NAB's `run.py --score` without `--optimize`, which reads
   * config/thresholds.json); profiles not given are optimised
   */
  thresholds?: Partial<Record<ProfileName, number>>;
}

export interface ProfileResult {
  /** the threshold NAB's optimiser picks for this profile (1.1: no detection at all) */
  threshold: number;
  /** sum of the series' scores at that threshold (NAB's "Totals" row) */
  raw: number;
  /** the null detector's raw score (normalised to 0) */
  nullRaw: number;
  /** the perfect detector's raw score: tpWeight × number of windows (normalised to 100) */
  perfectRaw: number;
  tp: number;
  fp: number;
  fn: number;
  tn: number;
}

export interface CorpusScore {
  /** NAB's normalised scores, 0 = null detector, 100 = perfect */
  standard: number;
  lowFP: number;
  lowFN: number;
  thresholds: Record<ProfileName, ProfileResult>;
}

const labelCache = new WeakMap<LabelledSeries, Map<number, SeriesLabels>>();

/** Positions of a series' samples relative to its windows (cached per series object). */
export function labelsOf(series: LabelledSeries, probationPercent = NAB_PROBATION_PERCENT): SeriesLabels {
  let byPercent = labelCache.get(series);
  if (byPercent === undefined) {
    byPercent = new Map();
    labelCache.set(series, byPercent);
  }
  let labels = byPercent.get(probationPercent);
  if (labels === undefined) {
    labels = labelSeries(series.timestamps, series.windows, probationPercent);
    byPercent.set(probationPercent, labels);
  }
  return labels;
}

function scoresFor(series: LabelledSeries, scores: ReadonlyMap<string, readonly number[]>): readonly number[] {
  const s = scores.get(series.name);
  if (s === undefined) throw new FaultlineError('FL_ERR_NAB_SCORES', `no anomaly scores for ${series.name}`, { context: { series: series.name } });
  if (s.length !== series.timestamps.length) {
    throw new FaultlineError('FL_ERR_NAB_SCORES', `${series.name} has ${series.timestamps.length} samples but ${s.length} anomaly scores`, { context: { series: series.name, samples: series.timestamps.length, scores: s.length } });
  }
  for (let i = 0; i < s.length; i++) {
    if (!Number.isFinite(s[i])) throw new FaultlineError('FL_ERR_NAB_SCORES', `${series.name}: the anomaly score of sample ${i} is ${String(s[i])}, not a number`, { context: { series: series.name, row: i } });
  }
  return s;
}

interface RawScore {
  threshold: number;
  raw: number;
  perSeries: SeriesScore[];
}

function rawScore(sweep: Sweep, cost: CostMatrix, fixedThreshold?: number): RawScore {
  const threshold = fixedThreshold ?? optimizeThreshold(sweep, cost).threshold;
  const perSeries = scoreAtThreshold(sweep, cost, threshold);
  let raw = 0;
  for (const s of perSeries) raw += s.score;
  return { threshold, raw, perSeries };
}

/** NAB's normalised standard, reward-low-FP and reward-low-FN scores of one detector's scores over a corpus. */
export function scoreCorpus(corpus: readonly LabelledSeries[], scores: ReadonlyMap<string, readonly number[]>, opts: ScoreOptions = {}): CorpusScore {
  const profiles = opts.profiles ?? NAB_PROFILES;
  const percent = opts.probationPercent ?? NAB_PROBATION_PERCENT;
  const windows = corpus.reduce((n, s) => n + s.windows.length, 0);
  if (windows === 0) throw new FaultlineError('FL_ERR_NAB_CORPUS', 'the corpus has no anomaly window, so NAB\'s normalised score (0 = null detector, 100 = perfect) is undefined', { context: { series: corpus.length } });
  const labels = corpus.map((s) => labelsOf(s, percent));
  const sweep = buildSweep(corpus.map((s, i) => ({ labels: labels[i] as SeriesLabels, anomalyScores: scoresFor(s, scores) })));
  const nullSweep = buildSweep(corpus.map((s, i) => ({ labels: labels[i] as SeriesLabels, anomalyScores: new Float64Array(s.timestamps.length).fill(0.5) })));
  const out = { thresholds: {} } as CorpusScore;
  for (const p of PROFILE_NAMES) {
    const cost = profiles[p];
    const r = rawScore(sweep, cost, opts.thresholds?.[p]);
    const nullRaw = rawScore(nullSweep, cost).raw;
    const perfectRaw = windows * cost.tpWeight;
    out[p] = (100 * (r.raw - nullRaw)) / (perfectRaw - nullRaw);
    const count = (k: 'tp' | 'fp' | 'fn' | 'tn'): number => r.perSeries.reduce((n, s) => n + s[k], 0);
    out.thresholds[p] = { threshold: r.threshold, raw: r.raw, nullRaw, perfectRaw, tp: count('tp'), fp: count('fp'), fn: count('fn'), tn: count('tn') };
  }
  return out;
}
