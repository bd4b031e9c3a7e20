/**
 * `predict eval`: a temporal split of one repository. With horizon H, gap G and cut-off T:
 *   TRAIN  windows at T0 = T − G − H, T0 − S, T0 − 2S, … (step S, default 91 days; features from the history
 *          before each, labels from the fixes of (at + G, at + G + H]): every label is known at T;
 *   VALIDATE inside the training period: each candidate (model × number of windows W) is fitted on the W
 *          newest windows whose labels end by T0 (at + G + H ≤ T0, so nothing of the validation period leaks)
 *          and scored on the window at T0; the best validation ROC-AUC wins, and the calibrator is chosen and
 *          fitted on those held-out predictions; the winner is refitted on the W newest windows (from T0 on);
 *   TEST   features at T (history before T), labels from fixes in (T + G, T + G + H].
 * The default T leaves H + G + a 90-day margin before the last commit (bugs of the last months are not found
 * yet). The baselines are scored on the same test rows in the same run.
 */
import type { RankingFigures } from '../core/analysis.js';
import { FaultlineError } from '../core/errors.js';
import { calibrationReport, type CalibrationReport, chooseCalibrator } from './calibrate.js';
import { type ChaosEvidence, FILE_FEATURES, type FileRow, fileRows, recentActivity } from './dataset.js';
import { brier, prAuc, rankingFigures, rocAuc } from './metrics.js';
import { ensembleModel, fitModel, type Model, MODEL_KINDS, type ModelKind, type ModelParams, PARAM_GRID } from './models/index.js';
import { DAY_S, firstCommitTime, lastCommitTime, type RepoSource } from './repo.js';
import { type Predictor, predictor } from './train.js';

export const MARGIN_DAYS = 90;
/** validation folds: windows at T0, T0 − S, … each scored as held-out data (mean ROC-AUC decides) */
export const DEFAULT_FOLDS = 3;

export interface EvalOptions {
  /** cut-off T, epoch seconds; default: last commit − gap − horizon − 90 days */
  cutoff?: number;
  gapDays?: number;
  horizonDays?: number;
  candidates?: readonly ModelKind[];
  seed?: number;
  /** the most training windows a candidate may use (default 6); fewer when the history is shorter */
  maxWindows?: number;
  /** days between training windows (default 91) */
  stepDays?: number;
  /** validation folds (windows at T0, T0 − S, …; default 3) */
  folds?: number;
  /**
   * other repositories whose windows at the same times join every training set (cross-project rows; their labels
   * end by the target's cut-off T, so nothing of the test period leaks); never used for validation or test
   */
  pool?: readonly RepoSource[];
  evidence?: readonly ChaosEvidence[];
  progress?: (msg: string) => void;
}

export interface BaselineFigures {
  loc: RankingFigures;
  churn: RankingFigures;
  fixes: RankingFigures;
  hotspot: RankingFigures;
}

export interface EvalResult {
  level: 'file';
  cutoff: string;
  trainCutoff: string;
  gapDays: number;
  horizonDays: number;
  files: number;
  positives: number;
  trainFiles: number;
  trainPositives: number;
  model: RankingFigures & { name: ModelKind | 'ensemble'; calibration: CalibrationReport };
  candidates: Record<string, RankingFigures & { params: ModelParams; windows: number; validationRocAuc: number; validationPrAuc: number; calibration: string }>;
  /** validation ROC-AUC (window at T0) of every model × window count tried */
  validation: { model: ModelKind | 'ensemble'; params: ModelParams; windows: number; rocAuc: number; prAuc: number }[];
  /** the baselines' ROC-AUC on the validation window (for comparison with the models' validation figures) */
  validationBaselines: Record<keyof BaselineFigures, number>;
  baselines: BaselineFigures;
  szz: { fixes: number; traced: number; untraceable: number; untracedShare: number };
  ms: number;
}

export interface SplitTimes {
  cutoff: number;
  trainCutoff: number;
  gap: number;
  horizon: number;
}

/** The cut-offs of a temporal split; throws FL_ERR_PREDICT_HISTORY when the history is too short. */
export function splitTimes(first: number, last: number, opts: { cutoff?: number; gapDays?: number; horizonDays?: number }): SplitTimes {
  const gap = (opts.gapDays ?? 0) * DAY_S;
  const horizon = (opts.horizonDays ?? 182) * DAY_S;
  if (!(horizon > 0) || gap < 0) throw new FaultlineError('FL_ERR_PREDICT_INPUT', 'horizon must be > 0 and gap ≥ 0');
  const cutoff = opts.cutoff ?? last - gap - horizon - MARGIN_DAYS * DAY_S;
  const trainCutoff = cutoff - gap - horizon;
  if (trainCutoff - first < 1.5 * horizon + gap) {
    throw new FaultlineError(
      'FL_ERR_PREDICT_HISTORY',
      `the history (${iso(first)} … ${iso(last)}) is too short for cut-off ${iso(cutoff)} with horizon ${horizon / DAY_S}d and gap ${gap / DAY_S}d: training and validation need one and a half horizons of history before ${iso(trainCutoff)}`,
    );
  }
  return { cutoff, trainCutoff, gap, horizon };
}

export function iso(t: number): string {
  return new Date(t * 1000).toISOString();
}

/** Rows at time t with labels from fixes in (from, to]. */
export async function labelledRows(src: RepoSource, t: number, from: number, to: number, evidence: readonly ChaosEvidence[] = []): Promise<{ rows: FileRow[]; y: number[] }> {
  const analysis = await src.analyzeAt(t);
  const rows = fileRows(analysis, src.historyAt(t), evidence, { recent: recentActivity(src.commits, t) });
  const bad = src.defectiveFiles(from, to);
  return { rows, y: rows.map((r) => (bad.has(r.path) ? 1 : 0)) };
}

export function baselineScores(rows: readonly FileRow[]): Record<keyof BaselineFigures, number[]> {
  const col = (name: string): number[] => {
    const j = FILE_FEATURES.indexOf(name);
    return rows.map((r) => r.raw[j] as number);
  };
  return { loc: col('loc'), churn: col('churn365'), fixes: col('fixes'), hotspot: col('hotspot') };
}

interface Window {
  at: number;
  rows: FileRow[];
  y: number[];
  /** rows of other repositories at the same time (training only, never validation or test) */
  pool?: { rows: FileRow[]; y: number[] }[];
}

function stack(ws: readonly Window[]): { X: number[][]; y: number[] } {
  const X: number[][] = [];
  const y: number[] = [];
  for (const w of ws) {
    for (const part of [w, ...(w.pool ?? [])]) {
      for (const r of part.rows) X.push(r.x);
      y.push(...part.y);
    }
  }
  return { X, y };
}

interface Fitted {
  kind: ModelKind | 'ensemble';
  params: ModelParams;
  windows: number;
  predictor: Predictor;
  validation: { rocAuc: number; prAuc: number };
}

/**
 * Temporal model selection inside the training period (see the header). `wins[0]` is the window at T0; `first`
 * is the index of the newest window whose labels end by T0.
 */
export function selectTemporal(
  wins: readonly Window[],
  first: number,
  maxWindows: number,
  kinds: readonly ModelKind[],
  seed: number,
  progress?: (m: string) => void,
  folds = DEFAULT_FOLDS,
): { best: Record<string, Fitted>; chosen: Fitted; tried: EvalResult['validation'] } {
  const val0 = wins[0] as Window;
  if (!val0.y.includes(1) || !val0.y.includes(0)) throw new FaultlineError('FL_ERR_PREDICT_HISTORY', `the validation window at ${iso(val0.at)} needs defective and clean files (it has ${val0.y.filter((v) => v === 1).length} defective of ${val0.y.length}); pass a longer --horizon or another --cutoff`);
  if (wins.length <= first) throw new FaultlineError('FL_ERR_PREDICT_HISTORY', 'validation needs a training window whose labels end before the training cut-off; the history is too short for this horizon');
  // validation folds: the window at T0, T0 − S, …, each scored by models trained on windows whose labels end before it
  const foldIdx: number[] = [];
  for (let f = 0; f < folds && f + first < wins.length; f++) {
    const v = wins[f] as Window;
    if (v.y.includes(1) && v.y.includes(0)) foldIdx.push(f);
  }
  const tried: EvalResult['validation'] = [];
  const best: Record<string, Omit<Fitted, 'predictor'> & { oof: Map<number, number[]> }> = {};
  for (const kind of kinds) {
    for (const params of PARAM_GRID[kind]) {
      for (let w = 1; w <= maxWindows && first + w <= wins.length; w++) {
        progress?.(`predict eval: validating ${kind} ${JSON.stringify(params)} on ${w} window(s)`);
        const oof = new Map<number, number[]>();
        const roc: number[] = [];
        const pr: number[] = [];
        for (const f of foldIdx) {
          if (f + first + w > wins.length) continue;
          const tr = stack(wins.slice(f + first, f + first + w));
          if (!tr.y.includes(1) || !tr.y.includes(0)) continue;
          const val = wins[f] as Window;
          const m = fitModel(kind, tr.X, tr.y, { features: FILE_FEATURES, seed }, params);
          const p = val.rows.map((r) => m.predict(r.x));
          oof.set(f, p);
          roc.push(rocAuc(p, val.y));
          pr.push(prAuc(p, val.y));
        }
        if (!oof.has(0)) continue;
        const v = { rocAuc: mean(roc), prAuc: mean(pr) };
        tried.push({ model: kind, params, windows: w, ...v });
        const cur = best[kind];
        if (!cur || v.rocAuc > cur.validation.rocAuc) best[kind] = { kind, params, windows: w, validation: v, oof };
      }
    }
  }
  const out: Record<string, Fitted> = {};
  let chosen: Fitted | undefined;
  const consider = (f: Fitted): void => {
    out[f.kind] = f;
    if (!chosen || f.validation.rocAuc > chosen.validation.rocAuc || (f.validation.rocAuc === chosen.validation.rocAuc && f.validation.prAuc > chosen.validation.prAuc)) chosen = f;
  };
  const finals: Model[] = [];
  for (const b of Object.values(best)) {
    progress?.(`predict eval: fitting ${b.kind} on the ${b.windows} newest window(s)`);
    const cal = chooseCalibrator(b.oof.get(0) as number[], val0.y).calibrator;
    const all = stack(wins.slice(0, b.windows));
    const m = fitModel(b.kind as ModelKind, all.X, all.y, { features: FILE_FEATURES, seed }, b.params);
    finals.push(m);
    consider({ kind: b.kind, params: b.params, windows: b.windows, validation: b.validation, predictor: predictor(m, cal) });
  }
  // the ensemble of every kind's best configuration: its validation predictions are the members' mean, per fold
  const members = Object.values(best);
  if (members.length >= 2) {
    const roc: number[] = [];
    const pr: number[] = [];
    let p0: number[] = [];
    for (const f of foldIdx) {
      const ps = members.map((b) => b.oof.get(f));
      if (ps.some((p) => p === undefined)) continue;
      const val = wins[f] as Window;
      const p = val.rows.map((_, i) => ps.reduce((s, q) => s + ((q as number[])[i] as number), 0) / ps.length);
      if (f === 0) p0 = p;
      roc.push(rocAuc(p, val.y));
      pr.push(prAuc(p, val.y));
    }
    const v = { rocAuc: mean(roc), prAuc: mean(pr) };
    const windows = Math.max(...members.map((b) => b.windows));
    tried.push({ model: 'ensemble', params: {}, windows, ...v });
    consider({ kind: 'ensemble', params: {}, windows, validation: v, predictor: predictor(ensembleModel(finals), chooseCalibrator(p0, val0.y).calibrator) });
  }
  if (!chosen) throw new FaultlineError('FL_ERR_PREDICT_HISTORY', 'no training window has both defective and clean files; choose a later --cutoff or a longer --horizon');
  return { best: out, chosen: chosen as Fitted, tried };
}

function mean(xs: readonly number[]): number {
  return xs.length === 0 ? Number.NaN : xs.reduce((a, b) => a + b, 0) / xs.length;
}

export async function evaluate(src: RepoSource, opts: EvalOptions = {}): Promise<EvalResult> {
  const started = Date.now();
  const first = firstCommitTime(src.commits);
  const times = splitTimes(first, lastCommitTime(src.commits), opts);
  const { cutoff, trainCutoff, gap, horizon } = times;
  const step = (opts.stepDays ?? 91) * DAY_S;
  const maxWindows = opts.maxWindows ?? 6;
  // validation trains on windows whose labels end by T0: at + gap + horizon ≤ T0
  const firstClean = Math.ceil((gap + horizon) / step);
  const wins: Window[] = [];
  const folds = opts.folds ?? DEFAULT_FOLDS;
  for (let k = 0; k < firstClean + maxWindows + folds - 1; k++) {
    const at = trainCutoff - k * step;
    if (at - first < horizon / 2) break;
    opts.progress?.(`predict eval: training window at ${iso(at)}`);
    const w = await labelledRows(src, at, at + gap, at + gap + horizon, opts.evidence);
    const pool: { rows: FileRow[]; y: number[] }[] = [];
    for (const other of opts.pool ?? []) {
      if (at - firstCommitTime(other.commits) < horizon / 2) continue;
      pool.push(await labelledRows(other, at, at + gap, at + gap + horizon));
    }
    wins.push({ at, ...w, ...(pool.length > 0 ? { pool } : {}) });
  }
  opts.progress?.(`predict eval: test rows at ${iso(cutoff)}`);
  const test = await labelledRows(src, cutoff, cutoff + gap, cutoff + gap + horizon, opts.evidence);
  if (!test.y.includes(1)) throw new FaultlineError('FL_ERR_PREDICT_HISTORY', `no file of the test period (${iso(cutoff + gap)} … ${iso(cutoff + gap + horizon)}) was fixed; choose another --cutoff or a longer --horizon`);
  const sel = selectTemporal(wins, firstClean, maxWindows, opts.candidates ?? MODEL_KINDS, opts.seed ?? 1, opts.progress, folds);
  const w0 = wins[0] as Window;
  const vb = baselineScores(w0.rows);
  const loc = test.rows.map((r) => r.loc);
  const candidates: EvalResult['candidates'] = {};
  for (const [kind, c] of Object.entries(sel.best)) {
    const raw = test.rows.map((r) => c.predictor.model.predict(r.x));
    const figures = rankingFigures(raw, test.y, loc);
    figures.brier = brier(raw.map(c.predictor.calibrator.apply), test.y);
    candidates[kind] = { ...figures, params: c.params, windows: c.windows, validationRocAuc: c.validation.rocAuc, validationPrAuc: c.validation.prAuc, calibration: c.predictor.calibrator.kind };
  }
  const chosen = sel.chosen;
  const rawChosen = test.rows.map((r) => chosen.predictor.model.predict(r.x));
  const b = baselineScores(test.rows);
  const szz = src.szz;
  return {
    level: 'file',
    cutoff: iso(cutoff),
    trainCutoff: iso(trainCutoff),
    gapDays: gap / DAY_S,
    horizonDays: horizon / DAY_S,
    files: test.rows.length,
    positives: test.y.filter((v) => v === 1).length,
    trainFiles: w0.rows.length,
    trainPositives: w0.y.filter((v) => v === 1).length,
    model: { name: chosen.kind, ...(candidates[chosen.kind] as RankingFigures), calibration: calibrationReport(chosen.predictor.calibrator, rawChosen, test.y) },
    candidates,
    validation: sel.tried,
    validationBaselines: { loc: rocAuc(vb.loc, w0.y), churn: rocAuc(vb.churn, w0.y), fixes: rocAuc(vb.fixes, w0.y), hotspot: rocAuc(vb.hotspot, w0.y) },
    baselines: {
      loc: rankingFigures(b.loc, test.y, loc),
      churn: rankingFigures(b.churn, test.y, loc),
      fixes: rankingFigures(b.fixes, test.y, loc),
      hotspot: rankingFigures(b.hotspot, test.y, loc),
    },
    szz: { fixes: szz.fixes, traced: szz.traced, untraceable: szz.untraceable, untracedShare: szz.fixes ? (szz.fixes - szz.traced) / szz.fixes : 0 },
    ms: Date.now() - started,
  };
}
