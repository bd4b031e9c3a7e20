/**
 * Ranking and calibration figures for defect prediction. Pure functions over parallel arrays:
 * `scores` (higher = riskier), `labels` (1 = defective, 0 = clean) and, for the effort-aware figures, `loc`.
 *
 * Ranking rule shared by every figure: by score, descending; ties by smaller LOC first (cheaper to inspect),
 * then by input order. recallAtLoc and popt rank by the score they are given; rankingFigures gives them the
 * density score/LOC (effort-aware ranking, as in Kamei et al. 2013) unless told otherwise.
 */
import type { RankingFigures } from '../core/analysis.js';
import { FaultlineError } from '../core/errors.js';

function check(scores: readonly number[], labels: readonly number[], loc?: readonly number[]): void {
  if (scores.length !== labels.length || (loc !== undefined && loc.length !== scores.length)) {
    throw new FaultlineError('FL_ERR_PREDICT_INPUT', `metrics need parallel arrays: scores ${scores.length}, labels ${labels.length}${loc ? `, loc ${loc.length}` : ''}`);
  }
  for (const s of scores) {
    if (!Number.isFinite(s)) throw new FaultlineError('FL_ERR_PREDICT_INPUT', `metrics: every score must be a finite number, got ${s}`);
  }
}

/** Indices in ranking order: score descending, then smaller LOC, then input order. */
export function rankOrder(scores: readonly number[], loc?: readonly number[]): number[] {
  const idx = scores.map((_, i) => i);
  idx.sort((a, b) => (scores[b] as number) - (scores[a] as number) || (loc ? (loc[a] as number) - (loc[b] as number) : 0) || a - b);
  return idx;
}

/** ROC-AUC by the Mann–Whitney statistic; tied scores get their average rank. NaN when one class is absent. */
export function rocAuc(scores: readonly number[], labels: readonly number[]): number {
  check(scores, labels);
  const idx = scores.map((_, i) => i).sort((a, b) => (scores[a] as number) - (scores[b] as number));
  let pos = 0;
  let rankSumPos = 0;
  for (let i = 0; i < idx.length; ) {
    let j = i;
    while (j + 1 < idx.length && scores[idx[j + 1] as number] === scores[idx[i] as number]) j++;
    const avgRank = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) {
      if (labels[idx[k] as number] === 1) {
        pos++;
        rankSumPos += avgRank;
      }
    }
    i = j + 1;
  }
  const neg = idx.length - pos;
  if (pos === 0 || neg === 0) return NaN;
  return (rankSumPos - (pos * (pos + 1)) / 2) / (pos * neg);
}

/**
 * PR-AUC as average precision: Σ (R_t − R_{t−1}) · P_t over the distinct score thresholds t, descending
 * (tied scores enter together, as in scikit-learn). NaN without positives.
 */
export function prAuc(scores: readonly number[], labels: readonly number[]): number {
  check(scores, labels);
  const idx = scores.map((_, i) => i).sort((a, b) => (scores[b] as number) - (scores[a] as number));
  const totalPos = labels.reduce((s, y) => s + (y === 1 ? 1 : 0), 0);
  if (totalPos === 0) return NaN;
  let tp = 0;
  let seen = 0;
  let prevRecall = 0;
  let ap = 0;
  for (let i = 0; i < idx.length; ) {
    let j = i;
    while (j + 1 < idx.length && scores[idx[j + 1] as number] === scores[idx[i] as number]) j++;
    for (let k = i; k <= j; k++) if (labels[idx[k] as number] === 1) tp++;
    seen += j - i + 1;
    const recall = tp / totalPos;
    ap += (recall - prevRecall) * (tp / seen);
    prevRecall = recall;
    i = j + 1;
  }
  return ap;
}

/**
 * Precision among the top k by score. A tie group that straddles position k counts with its expected share
 * of positives (the value averaged over every order of the tie), so a baseline with many equal scores is not
 * flattered or punished by input order. k is capped at the number of rows.
 */
export function precisionAtK(scores: readonly number[], labels: readonly number[], k: number): number {
  check(scores, labels);
  const n = Math.min(k, scores.length);
  if (n <= 0) return NaN;
  const idx = scores.map((_, i) => i).sort((a, b) => (scores[b] as number) - (scores[a] as number));
  let taken = 0;
  let hits = 0;
  for (let i = 0; i < idx.length && taken < n; ) {
    let j = i;
    while (j + 1 < idx.length && scores[idx[j + 1] as number] === scores[idx[i] as number]) j++;
    const size = j - i + 1;
    let pos = 0;
    for (let q = i; q <= j; q++) if (labels[idx[q] as number] === 1) pos++;
    const take = Math.min(size, n - taken);
    hits += (pos * take) / size;
    taken += take;
    i = j + 1;
  }
  return hits / n;
}

/**
 * Effort-aware recall: the share of defective files found when inspecting files in ranking order until the
 * inspected lines reach `share` (default 20 %) of all lines. Whole files only: the file that would cross the
 * budget is not inspected. Files with 0 LOC cost nothing.
 */
export function recallAtLoc(scores: readonly number[], labels: readonly number[], loc: readonly number[], share = 0.2): number {
  check(scores, labels, loc);
  const totalPos = labels.reduce((s, y) => s + (y === 1 ? 1 : 0), 0);
  if (totalPos === 0) return NaN;
  const totalLoc = loc.reduce((s, l) => s + Math.max(0, l), 0);
  const budget = share * totalLoc;
  let used = 0;
  let found = 0;
  for (const i of rankOrder(scores, loc)) {
    const l = Math.max(0, loc[i] as number);
    if (used + l > budget) break;
    used += l;
    if (labels[i] === 1) found++;
  }
  return found / totalPos;
}

/** Area under the cumulative-defects (y, 0..1) over cumulative-LOC (x, 0..1) curve of one ordering (trapezoids). */
function effortArea(order: readonly number[], labels: readonly number[], loc: readonly number[]): number {
  const totalLoc = order.reduce((s, i) => s + Math.max(0, loc[i] as number), 0);
  const totalPos = order.reduce((s, i) => s + (labels[i] === 1 ? 1 : 0), 0);
  if (totalLoc === 0 || totalPos === 0) return NaN;
  let x = 0;
  let y = 0;
  let area = 0;
  for (const i of order) {
    const dx = Math.max(0, loc[i] as number) / totalLoc;
    const ny = y + (labels[i] === 1 ? 1 / totalPos : 0);
    area += (dx * (y + ny)) / 2;
    x += dx;
    y = ny;
  }
  return area;
}

/**
 * Popt (Mende & Koschke 2010, normalised as in Kamei et al. 2010): 1 − (area(optimal) − area(model)) /
 * (area(optimal) − area(worst)), where the curves plot cumulative defective files over cumulative LOC; the
 * optimal ordering puts files by defect density (label/LOC) descending, the worst ascending. 1 is optimal,
 * 0 is the worst ordering. NaN when the optimal and worst areas coincide.
 */
export function popt(scores: readonly number[], labels: readonly number[], loc: readonly number[]): number {
  check(scores, labels, loc);
  const density = labels.map((y, i) => (y === 1 ? 1 / Math.max(1, loc[i] as number) : 0));
  const all = labels.map((_, i) => i);
  const optimal = [...all].sort((a, b) => (density[b] as number) - (density[a] as number) || (loc[a] as number) - (loc[b] as number));
  const worst = [...all].sort((a, b) => (density[a] as number) - (density[b] as number) || (loc[b] as number) - (loc[a] as number));
  const aOpt = effortArea(optimal, labels, loc);
  const aWorst = effortArea(worst, labels, loc);
  const aModel = effortArea(rankOrder(scores, loc), labels, loc);
  if (!(aOpt - aWorst > 0)) return NaN;
  return 1 - (aOpt - aModel) / (aOpt - aWorst);
}

/** Mean squared difference between probabilities and outcomes. */
export function brier(probs: readonly number[], labels: readonly number[]): number {
  check(probs, labels);
  if (probs.length === 0) return NaN;
  let s = 0;
  for (let i = 0; i < probs.length; i++) s += ((probs[i] as number) - (labels[i] as number)) ** 2;
  return s / probs.length;
}

export interface ReliabilityBin {
  /** [lo, hi) — the last bin includes 1 */
  lo: number;
  hi: number;
  count: number;
  /** mean predicted probability in the bin (NaN when empty) */
  meanPredicted: number;
  /** observed share of positives in the bin (NaN when empty) */
  observed: number;
}

/** A reliability table of `bins` equal-width probability bins (default 10). */
export function reliability(probs: readonly number[], labels: readonly number[], bins = 10): ReliabilityBin[] {
  check(probs, labels);
  const sumP = new Array<number>(bins).fill(0);
  const sumY = new Array<number>(bins).fill(0);
  const cnt = new Array<number>(bins).fill(0);
  for (let i = 0; i < probs.length; i++) {
    const p = Math.min(1, Math.max(0, probs[i] as number));
    const b = Math.min(bins - 1, Math.floor(p * bins));
    sumP[b] = (sumP[b] as number) + p;
    sumY[b] = (sumY[b] as number) + (labels[i] as number);
    cnt[b] = (cnt[b] as number) + 1;
  }
  return cnt.map((c, b) => ({
    lo: b / bins,
    hi: (b + 1) / bins,
    count: c,
    meanPredicted: c ? (sumP[b] as number) / c : NaN,
    observed: c ? (sumY[b] as number) / c : NaN,
  }));
}

/**
 * Every ranking figure of one ranker; Brier only when the scores are probabilities. ROC-AUC, PR-AUC and
 * precision@k rank by the score; recallAt20Loc and popt by score/LOC (`effort: 'density'`, the default, the
 * same for every ranker) or by the score (`effort: 'score'`). Scores must be ≥ 0 for density ranking.
 */
export function rankingFigures(scores: readonly number[], labels: readonly number[], loc: readonly number[], opts: { probabilities?: boolean; k?: number; effort?: 'density' | 'score' } = {}): RankingFigures {
  const effortScores = (opts.effort ?? 'density') === 'density' ? scores.map((s, i) => s / Math.max(1, loc[i] as number)) : scores;
  const f: RankingFigures = {
    rocAuc: rocAuc(scores, labels),
    prAuc: prAuc(scores, labels),
    recallAt20Loc: recallAtLoc(effortScores, labels, loc, 0.2),
    popt: popt(effortScores, labels, loc),
    precisionAt10: precisionAtK(scores, labels, opts.k ?? 10),
  };
  if (opts.probabilities) f.brier = brier(scores, labels);
  return f;
}
