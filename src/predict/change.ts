/**
 * Just-in-time (commit-level) prediction: the probability that a change introduces a bug. Rows are commits
 * with the analyze stage's change features (size, spread, history, experience); a commit is buggy when SZZ
 * blamed a later fix on it. Evaluation is temporal: TRAIN on commits up to T − gap with the labels known at T
 * (fixes up to T), TEST on the commits of (T, T + horizon] with every fix known. LApredict (logistic
 * regression on lines added alone) is scored on the same test commits as the baseline.
 */
import type { CommitInfo, RankingFigures, SzzSummary } from '../core/analysis.js';
import { FaultlineError } from '../core/errors.js';
import { calibrationReport, type CalibrationReport } from './calibrate.js';
import { iso, splitTimes } from './eval.js';
import { rankingFigures } from './metrics.js';
import { fitLogistic, type ModelKind } from './models/index.js';
import { type ChangeSource, firstCommitTime, lastCommitTime } from './repo.js';
import { type Predictor, type SelectionResult, selectAndTrain } from './train.js';

/** Signed log1p: counts are compressed, signs kept; the same for every change feature. */
export function changeTransform(v: number): number {
  return Math.sign(v) * Math.log1p(Math.abs(v));
}

export function linesAdded(c: CommitInfo): number {
  return c.files.reduce((s, f) => s + f.added, 0);
}

function linesChanged(c: CommitInfo): number {
  return c.files.reduce((s, f) => s + f.added + f.deleted, 0);
}

/** The sha of every commit SZZ blamed for a fix, with the time of the earliest such fix. */
export function inducingFixTimes(szz: SzzSummary, commits: readonly CommitInfo[]): Map<string, number> {
  const timeOf = new Map(commits.map((c) => [c.sha, c.time]));
  const out = new Map<string, number>();
  for (const r of szz.results) {
    const t = timeOf.get(r.fix) ?? Infinity;
    for (const ind of r.inducing) out.set(ind.sha, Math.min(out.get(ind.sha) ?? Infinity, t));
  }
  return out;
}

export interface ChangeEvalOptions {
  cutoff?: number;
  gapDays?: number;
  horizonDays?: number;
  candidates?: readonly ModelKind[];
  seed?: number;
  progress?: (msg: string) => void;
}

export interface ChangeEvalResult {
  level: 'commit';
  cutoff: string;
  commits: number;
  positives: number;
  trainCommits: number;
  trainPositives: number;
  features: string[];
  model: RankingFigures & { name: ModelKind; calibration: CalibrationReport };
  candidates: Record<string, RankingFigures & { validationRocAuc: number }>;
  baselines: { laPredict: RankingFigures };
  ms: number;
}

interface ChangeRows {
  features: string[];
  rows: { c: CommitInfo; x: number[]; raw: number[] }[];
}

export function changeRows(src: ChangeSource, commits: readonly CommitInfo[], features?: string[]): ChangeRows {
  const recs = commits.map((c) => ({ c, f: src.features(c.sha) }));
  const names = features ?? [...new Set(recs.flatMap((r) => Object.keys(r.f)))].sort();
  return {
    features: names,
    rows: recs.map(({ c, f }) => {
      const raw = names.map((n) => f[n] ?? 0);
      return { c, raw, x: raw.map(changeTransform) };
    }),
  };
}

/** A commit is a row when it is not a merge and the analyze stage gave it features (it touched code). */
function usable(src: ChangeSource, c: CommitInfo): boolean {
  return c.parents.length <= 1 && Object.keys(src.features(c.sha)).length > 0;
}

/** Trains the commit-level predictor on commits up to `until` with the labels known at `labelsAt`. */
export function trainChange(
  src: ChangeSource,
  until: number,
  labelsAt: number,
  opts: { candidates?: readonly ModelKind[]; seed?: number; progress?: (m: string) => void } = {},
): { sel: SelectionResult; features: string[]; rows: number; positives: number } {
  const fixTime = inducingFixTimes(src.szz, src.commits);
  const commits = src.commits.filter((c) => usable(src, c) && c.time <= until);
  const data = changeRows(src, commits);
  const y = data.rows.map((r) => ((fixTime.get(r.c.sha) ?? Infinity) <= labelsAt ? 1 : 0));
  const sel = selectAndTrain({ features: data.features, X: data.rows.map((r) => r.x), y }, { candidates: opts.candidates, seed: opts.seed, progress: opts.progress });
  return { sel, features: data.features, rows: data.rows.length, positives: y.filter((v) => v === 1).length };
}

export async function evaluateChanges(src: ChangeSource, opts: ChangeEvalOptions = {}): Promise<ChangeEvalResult> {
  const started = Date.now();
  const { cutoff, gap, horizon } = splitTimes(firstCommitTime(src.commits), lastCommitTime(src.commits), opts);
  opts.progress?.(`predict eval --level commit: training on commits before ${iso(cutoff - gap)}`);
  const trained = trainChange(src, cutoff - gap, cutoff, opts);
  const fixTime = inducingFixTimes(src.szz, src.commits);
  const testCommits = src.commits.filter((c) => usable(src, c) && c.time > cutoff && c.time <= cutoff + horizon);
  const test = changeRows(src, testCommits, trained.features);
  const y = test.rows.map((r) => (fixTime.has(r.c.sha) ? 1 : 0));
  if (!y.includes(1) || !y.includes(0)) throw new FaultlineError('FL_ERR_PREDICT_HISTORY', `the test commits (${iso(cutoff)} … ${iso(cutoff + horizon)}) need buggy and clean commits; choose another --cutoff`);
  const effort = test.rows.map((r) => Math.max(1, linesChanged(r.c)));
  const candidates: ChangeEvalResult['candidates'] = {};
  for (const [kind, c] of Object.entries(trained.sel.candidates)) {
    const raw = test.rows.map((r) => c.predictor.model.predict(r.x));
    const f = rankingFigures(raw, y, effort);
    f.brier = rankingFigures(raw.map(c.predictor.calibrator.apply), y, effort, { probabilities: true }).brier as number;
    candidates[kind] = { ...f, validationRocAuc: c.validation.rocAuc };
  }
  // LApredict: logistic regression on lines added, trained on the same training commits and labels
  const trainCommits = src.commits.filter((c) => usable(src, c) && c.time <= cutoff - gap);
  const la = fitLogistic(
    trainCommits.map((c) => [changeTransform(linesAdded(c))]),
    trainCommits.map((c) => ((fixTime.get(c.sha) ?? Infinity) <= cutoff ? 1 : 0)),
    { features: ['la'] },
  );
  const laScores = test.rows.map((r) => la.predict([changeTransform(linesAdded(r.c))]));
  const chosen = trained.sel.candidates[trained.sel.chosen];
  const rawChosen = test.rows.map((r) => chosen.predictor.model.predict(r.x));
  return {
    level: 'commit',
    cutoff: iso(cutoff),
    commits: test.rows.length,
    positives: y.filter((v) => v === 1).length,
    trainCommits: trained.rows,
    trainPositives: trained.positives,
    features: trained.features,
    model: { name: trained.sel.chosen, ...(candidates[trained.sel.chosen] as RankingFigures), calibration: calibrationReport(chosen.predictor.calibrator, rawChosen, y) },
    candidates,
    baselines: { laPredict: rankingFigures(laScores, y, effort) },
    ms: Date.now() - started,
  };
}

export interface ChangeRisk {
  probability: number;
  topFeatures: { name: string; value: number; contribution: number }[];
}

/** The risk of one change from its features (a commit's or a diff's). */
export function changeRisk(p: Predictor, features: Record<string, number>): ChangeRisk {
  const names = p.model.features;
  const raw = names.map((n) => features[n] ?? 0);
  const x = raw.map(changeTransform);
  const c = p.model.explain(x);
  return {
    probability: p.probability(x),
    topFeatures: names
      .map((name, j) => ({ name, value: raw[j] as number, contribution: c[j] as number }))
      .filter((f) => f.contribution > 0)
      .sort((a, b) => b.contribution - a.contribution)
      .slice(0, 5),
  };
}
