/**
 * A port of NAB's sweeper (nab/sweeper.py, the scoring since NAB 1.1): every sample gets a sweep score from its
 * position relative to the anomaly windows (a scaled sigmoid), and the score of a threshold is the sum, over
 * the detections at or above it, of the false positives' scores plus, per window, the best true positive's
 * score (or −fnWeight for a window with none). Sorting the samples by anomaly score once gives the score of
 * every threshold in one pass, which is how the threshold is optimised over a whole corpus.
 */
import type { CostMatrix } from './profiles.js';

export function sigmoid(x: number): number {
  return 1 / (1 + Math.exp(-x));
}

/**
 * NAB's scaled sigmoid of a relative position: −1 is a window's left edge (0.98661), 0 its right edge (0),
 * positive positions lie after the window (down to −0.98661 at 1); beyond 3 the score is −1.
 */
export function scaledSigmoid(relativePosition: number): number {
  return relativePosition > 3 ? -1 : 2 * sigmoid(-5 * relativePosition) - 1;
}

/** The score of a detection at a window's left edge; in-window scores are divided by it so that edge counts tpWeight. */
export const MAX_TP = scaledSigmoid(-1);

/** Number of leading samples NAB leaves out of scoring: min(⌊p·rows⌋, p·5000) — 15 % of the series, at most 750. */
export function probationaryLength(rows: number, percent: number): number {
  return Math.min(Math.floor(percent * rows), percent * 5000);
}

/** The profile-independent part of a series' scoring: where each sample stands relative to the windows. */
export interface SeriesLabels {
  /** unweighted sweep score of each sample: scaledSigmoid of its position in, or after, a window; −1 before any */
  unweighted: Float64Array;
  /** the index (in the series' windows) of the window each sample lies in, −1 outside every window */
  window: Int32Array;
  /** samples with an index below this are probationary and not scored */
  probationary: number;
  /** how many windows the series has (window ids run from 0 to windowCount − 1) */
  windowCount: number;
}

/**
 * Samples' positions relative to the windows, as NAB's `Sweeper.calcSweepScore` computes them. A window runs from
 * the first sample at or after its start to the last sample at or before its end (with NAB's labels, whose edges
 * are sample timestamps, exactly its edge samples); a window that holds no sample is never entered.
 */
export function labelSeries(timestamps: readonly number[], windows: ReadonlyArray<readonly [number, number]>, probationPercent: number): SeriesLabels {
  const n = timestamps.length;
  const unweighted = new Float64Array(n);
  const window = new Int32Array(n).fill(-1);
  // window edges as sample indices, in order of start
  const order = windows.map((w, k) => ({ w, k })).sort((a, b) => a.w[0] - b.w[0]);
  const spans: Array<{ k: number; left: number; right: number }> = [];
  for (const { w, k } of order) {
    let left = -1;
    let right = -1;
    for (let i = 0; i < n; i++) {
      const t = timestamps[i] as number;
      if (left < 0 && t >= w[0] && t <= w[1]) left = i;
      if (t >= w[0] && t <= w[1]) right = i;
    }
    if (left >= 0) spans.push({ k, left, right });
  }
  let next = 0;
  let cur: { k: number; left: number; right: number; width: number } | undefined;
  let prevRight = -1;
  let prevWidth = 0;
  for (let i = 0; i < n; i++) {
    const s = spans[next];
    if (s !== undefined && i === s.left) {
      cur = { ...s, width: s.right - s.left + 1 };
      next++;
    }
    if (cur !== undefined) {
      unweighted[i] = scaledSigmoid(-(cur.right - i + 1) / cur.width);
      window[i] = cur.k;
    } else if (prevRight < 0) {
      unweighted[i] = -1;
    } else {
      // a one-sample window divides by zero here (NAB raises); past it every sample scores −1
      unweighted[i] = scaledSigmoid(Math.abs(prevRight - i) / (prevWidth - 1));
    }
    if (cur !== undefined && i === cur.right) {
      prevRight = i;
      prevWidth = cur.width;
      cur = undefined;
    }
  }
  return { unweighted, window, probationary: probationaryLength(n, probationPercent), windowCount: windows.length };
}

/** The weighted sweep score of one sample: NAB's `S(t)_<profile>` column of a result file. */
export function weightedSweepScore(unweighted: number, inWindow: boolean, cost: CostMatrix): number {
  return inWindow ? (unweighted * cost.tpWeight) / MAX_TP : unweighted * cost.fpWeight;
}

/** Every sample's weighted sweep score for one profile (probationary samples included, as in NAB's files). */
export function sweepScores(labels: SeriesLabels, cost: CostMatrix): number[] {
  return Array.from(labels.unweighted, (u, i) => weightedSweepScore(u, (labels.window[i] as number) >= 0, cost));
}

/**
 * The scorable samples of one or more series, side by side: anomaly score, unweighted sweep score, and a window id
 * unique across the series (−1 outside every window), plus the order of the samples by anomaly score, highest first.
 */
export interface Sweep {
  scores: Float64Array;
  unweighted: Float64Array;
  window: Int32Array;
  /** which input series each sample came from (index in the order given to buildSweep) */
  series: Int32Array;
  /** sample indices sorted by anomaly score, descending (ties keep input order, like Python's stable sort) */
  order: Uint32Array;
  /** ids of the windows that have at least one scorable sample (the others count in no threshold's score) */
  scorableWindows: Int32Array;
  windowCount: number;
  seriesCount: number;
}

export interface SweepInput {
  labels: SeriesLabels;
  anomalyScores: ArrayLike<number>;
}

/** Concatenates the scorable (non-probationary) samples of the given series and sorts them once. */
export function buildSweep(inputs: readonly SweepInput[]): Sweep {
  let total = 0;
  for (const { labels } of inputs) total += Math.max(0, labels.unweighted.length - Math.ceil(labels.probationary));
  const scores = new Float64Array(total);
  const unweighted = new Float64Array(total);
  const window = new Int32Array(total);
  const series = new Int32Array(total);
  const scorable: number[] = [];
  let j = 0;
  let windowBase = 0;
  inputs.forEach(({ labels, anomalyScores }, s) => {
    const seen = new Set<number>();
    for (let i = 0; i < labels.unweighted.length; i++) {
      const w = labels.window[i] as number;
      if (i < labels.probationary) continue;
      scores[j] = anomalyScores[i] as number;
      unweighted[j] = labels.unweighted[i] as number;
      window[j] = w < 0 ? -1 : windowBase + w;
      series[j] = s;
      if (w >= 0 && !seen.has(w)) {
        seen.add(w);
        scorable.push(windowBase + w);
      }
      j++;
    }
    windowBase += labels.windowCount;
  });
  const order = new Uint32Array(total);
  for (let i = 0; i < total; i++) order[i] = i;
  order.sort((a, b) => (scores[b] as number) - (scores[a] as number) || a - b);
  return { scores, unweighted, window, series, order, scorableWindows: Int32Array.from(scorable), windowCount: windowBase, seriesCount: inputs.length };
}

/** One row of NAB's `calcScoreByThreshold`: the score and counts when every sample scoring ≥ threshold is a detection. */
export interface ThresholdScore {
  threshold: number;
  score: number;
  tp: number;
  tn: number;
  fp: number;
  fn: number;
  total: number;
}

/** NAB starts its sweep above every anomaly score: the row with no detection at all. */
export const NO_DETECTION_THRESHOLD = 1.1;

/**
 * Walks the thresholds from high to low exactly as NAB's `calcScoreByThreshold` does, calling `row` for the first
 * (no detection, threshold 1.1) and for every distinct anomaly score. Scores stay incremental: O(samples).
 */
export function sweepThresholds(sweep: Sweep, cost: CostMatrix, row: (r: ThresholdScore) => void): void {
  const best = new Float64Array(sweep.windowCount).fill(-cost.fnWeight);
  let windowSum = -cost.fnWeight * sweep.scorableWindows.length;
  let fpSum = 0;
  let tp = 0;
  let fp = 0;
  let fn = 0;
  let tn = 0;
  for (let i = 0; i < sweep.window.length; i++) (sweep.window[i] as number) >= 0 ? fn++ : tn++;
  let threshold = NO_DETECTION_THRESHOLD;
  const emit = (): void => row({ threshold, score: fpSum + windowSum, tp, tn, fp, fn, total: tp + tn + fp + fn });
  for (let k = 0; k < sweep.order.length; k++) {
    const i = sweep.order[k] as number;
    const score = sweep.scores[i] as number;
    if (score !== threshold) {
      emit();
      threshold = score;
    }
    const w = sweep.window[i] as number;
    if (w < 0) {
      fp++;
      tn--;
      fpSum += weightedSweepScore(sweep.unweighted[i] as number, false, cost);
    } else {
      tp++;
      fn--;
      const s = weightedSweepScore(sweep.unweighted[i] as number, true, cost);
      const b = best[w] as number;
      if (s > b) {
        windowSum += s - b;
        best[w] = s;
      }
    }
  }
  emit();
}

/** Every row of the sweep, highest threshold first (NAB's `scoresByThreshold`). */
export function thresholdCurve(sweep: Sweep, cost: CostMatrix): ThresholdScore[] {
  const rows: ThresholdScore[] = [];
  sweepThresholds(sweep, cost, (r) => rows.push(r));
  return rows;
}

/** NAB's optimizer: the row with the highest score; among equal scores the highest threshold (the first row). */
export function optimizeThreshold(sweep: Sweep, cost: CostMatrix): ThresholdScore {
  let bestRow: ThresholdScore | undefined;
  sweepThresholds(sweep, cost, (r) => {
    if (bestRow === undefined || r.score > bestRow.score) bestRow = r;
  });
  return bestRow as ThresholdScore;
}

/** Score and counts of one series at a fixed threshold (NAB's `scoreDataSet`): detections are samples scoring ≥ it. */
export interface SeriesScore {
  score: number;
  tp: number;
  tn: number;
  fp: number;
  fn: number;
  total: number;
}

/**
 * Each input series' score at `threshold`, as NAB's scorer computes it per file before summing the files. A sample
 * is a detection when its anomaly score is ≥ the threshold (the matching row of the file's own sweep).
 */
export function scoreAtThreshold(sweep: Sweep, cost: CostMatrix, threshold: number): SeriesScore[] {
  const out: SeriesScore[] = Array.from({ length: sweep.seriesCount }, () => ({ score: 0, tp: 0, tn: 0, fp: 0, fn: 0, total: 0 }));
  const best = new Float64Array(sweep.windowCount).fill(-cost.fnWeight);
  const windowSeries = new Int32Array(sweep.windowCount).fill(-1);
  for (let i = 0; i < sweep.scores.length; i++) {
    const r = out[sweep.series[i] as number] as SeriesScore;
    const w = sweep.window[i] as number;
    const detected = (sweep.scores[i] as number) >= threshold;
    r.total++;
    if (w < 0) {
      if (detected) {
        r.fp++;
        r.score += weightedSweepScore(sweep.unweighted[i] as number, false, cost);
      } else r.tn++;
      continue;
    }
    windowSeries[w] = sweep.series[i] as number;
    if (detected) {
      r.tp++;
      const s = weightedSweepScore(sweep.unweighted[i] as number, true, cost);
      if (s > (best[w] as number)) best[w] = s;
    } else r.fn++;
  }
  for (const w of sweep.scorableWindows) (out[windowSeries[w] as number] as SeriesScore).score += best[w] as number;
  return out;
}
