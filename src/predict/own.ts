/**
 * The predictor of `faultline predict`: trained on the repository's own history when it has enough (features
 * at last commit − H, labels from the fixes of the last H, chaos failures of that window as extra positives),
 * else the shipped default model (models/default.json), trained on public repositories.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { FailurePoint } from '../core/analysis.js';
import { FaultlineError } from '../core/errors.js';
import { type ChaosEvidence, FILE_FEATURES, fileRows, recentActivity } from './dataset.js';
import { iso } from './eval.js';
import { FEEDBACK_WEIGHT } from './feedback.js';
import type { ModelKind } from './models/index.js';
import { fileProbabilities, failurePoints } from './points.js';
import { DAY_S, lastCommitTime, type RepoSource } from './repo.js';
import { type Predictor, type PredictorJson, predictorFromJson, predictorToJson, selectAndTrain } from './train.js';

/** "Enough history" to train on the repository itself: at least this many files fixed in the last horizon. */
export const MIN_POSITIVES = 30;

export const DEFAULT_MODEL_PATH = fileURLToPath(new URL('../../models/default.json', import.meta.url));

export interface TrainOptions {
  horizonDays?: number;
  seed?: number;
  candidates?: readonly ModelKind[];
  /** chaos evidence with its run time (epoch s): before the training cut-off it is a feature, after it a label */
  evidence?: readonly (ChaosEvidence & { at: number })[];
  /**
   * weaknesses confirmed by the refactoring engine: a fix of this file was kept (type-check, tests and the
   * exposing experiment passed) at `at` (epoch s); in the label window it makes the file positive, weighted
   * FEEDBACK_WEIGHT like a chaos failure
   */
  confirmed?: readonly { path: string; at: number }[];
  progress?: (msg: string) => void;
}

export interface TrainedOwn {
  predictor: Predictor;
  json: PredictorJson;
  files: number;
  positives: number;
  /** files positive only because they failed under chaos or a kept refactoring fix confirmed them */
  feedbackPositives: number;
}

export async function trainOnHistory(src: RepoSource, opts: TrainOptions = {}): Promise<TrainedOwn> {
  const last = lastCommitTime(src.commits);
  const horizon = (opts.horizonDays ?? 182) * DAY_S;
  const t0 = last - horizon;
  const evidence = opts.evidence ?? [];
  opts.progress?.(`predict: features at ${iso(t0)}, labels from fixes up to ${iso(last)}`);
  const analysis = await src.analyzeAt(t0);
  const rows = fileRows(analysis, src.historyAt(t0), evidence.filter((e) => e.at < t0), { recent: recentActivity(src.commits, t0) });
  const fixed = src.defectiveFiles(t0, last);
  const failed = new Set([...evidence.filter((e) => e.at >= t0).map((e) => e.path), ...(opts.confirmed ?? []).filter((c) => c.at >= t0).map((c) => c.path)]);
  const y = rows.map((r) => (fixed.has(r.path) || failed.has(r.path) ? 1 : 0));
  const weights = rows.map((r) => (failed.has(r.path) ? FEEDBACK_WEIGHT : 1));
  const positives = y.filter((v) => v === 1).length;
  if (positives < MIN_POSITIVES) {
    throw new FaultlineError('FL_ERR_PREDICT_HISTORY', `only ${positives} files were fixed (or failed under chaos) in the last ${horizon / DAY_S} days; training on the repository needs ${MIN_POSITIVES} — the default model is used instead`);
  }
  const sel = selectAndTrain({ features: FILE_FEATURES, X: rows.map((r) => r.x), y, weights }, { candidates: opts.candidates, seed: opts.seed, progress: opts.progress });
  const chosen = sel.candidates[sel.chosen];
  const meta = {
    trainedAt: iso(last),
    featuresAt: iso(t0),
    horizonDays: horizon / DAY_S,
    files: rows.length,
    positives,
    feedbackPositives: rows.filter((r, i) => failed.has(r.path) && !fixed.has(r.path) && y[i] === 1).length,
    validation: Object.fromEntries(Object.values(sel.candidates).map((c) => [c.kind, c.validation])),
  };
  return { predictor: chosen.predictor, json: predictorToJson(chosen.predictor, 'file', meta), files: rows.length, positives, feedbackPositives: meta.feedbackPositives };
}

export function readPredictor(path: string): { predictor: Predictor; json: PredictorJson } {
  if (!existsSync(path)) throw new FaultlineError('FL_ERR_PREDICT_MODEL', `${path} does not exist`);
  let j: unknown;
  try {
    j = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new FaultlineError('FL_ERR_PREDICT_MODEL', `${path} is not valid JSON`, { cause: e });
  }
  return predictorFromJson(j, path);
}

export type PredictorSource = 'own-history' | 'saved' | 'default';

export interface ChosenPredictor {
  predictor: Predictor;
  source: PredictorSource;
  /** why this predictor was used */
  reason: string;
}

/**
 * The predictor of `faultline predict`: a saved one when `modelFile` is given, the default model when asked
 * (`useDefault`) or when the history has fewer than MIN_POSITIVES fixed files, else one trained on the history.
 */
export async function choosePredictor(src: RepoSource, opts: TrainOptions & { modelFile?: string; useDefault?: boolean } = {}): Promise<ChosenPredictor> {
  if (opts.modelFile) return { predictor: readPredictor(opts.modelFile).predictor, source: 'saved', reason: `saved predictor ${opts.modelFile}` };
  if (opts.useDefault) return { predictor: readPredictor(DEFAULT_MODEL_PATH).predictor, source: 'default', reason: 'the default model was asked for' };
  try {
    const t = await trainOnHistory(src, opts);
    return { predictor: t.predictor, source: 'own-history', reason: `trained on ${t.files} files, ${t.positives} fixed in the last ${t.json.meta.horizonDays} days (${t.json.model.kind})` };
  } catch (e) {
    if (!(e instanceof FaultlineError) || e.code !== 'FL_ERR_PREDICT_HISTORY') throw e;
    return { predictor: readPredictor(DEFAULT_MODEL_PATH).predictor, source: 'default', reason: e.message };
  }
}

/** predictAtHead plus every file's calibrated probability (what `faultline gate` aggregates per module). */
export async function predictAtHeadWithFiles(src: RepoSource, p: Predictor, opts: { top?: number; evidence?: readonly ChaosEvidence[] } = {}): Promise<{ points: FailurePoint[]; files: { path: string; probability: number; loc: number }[] }> {
  const now = lastCommitTime(src.commits) + 1;
  const analysis = await src.analyzeAt(now);
  const history = src.historyAt(now);
  const recent = recentActivity(src.commits, now);
  return { points: failurePoints(p, analysis, history, { ...opts, recent }), files: fileProbabilities(p, analysis, history, { ...(opts.evidence ? { evidence: opts.evidence } : {}), recent }) };
}

/** Failure points of the code at the last commit, with history up to it. */
export async function predictAtHead(src: RepoSource, p: Predictor, opts: { top?: number; evidence?: readonly ChaosEvidence[] } = {}): Promise<FailurePoint[]> {
  const now = lastCommitTime(src.commits) + 1;
  return failurePoints(p, await src.analyzeAt(now), src.historyAt(now), { ...opts, recent: recentActivity(src.commits, now) });
}
