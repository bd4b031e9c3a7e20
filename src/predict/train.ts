/**
 * Model selection and training on one training set: k-fold out-of-fold predictions of every candidate
 * (stratified folds, seeded), the candidate with the best out-of-fold ROC-AUC is chosen (PR-AUC breaks
 * ties), each candidate's calibrator is chosen and fitted on its out-of-fold predictions, and the final
 * models are refitted on every training row. The test period is never seen here.
 */
import { createRng } from '../core/rng.js';
import { FaultlineError } from '../core/errors.js';
import { type Calibrator, type CalibratorJson, chooseCalibrator, loadCalibrator } from './calibrate.js';
import { prAuc, rocAuc } from './metrics.js';
import { fitModel, loadModel, MODEL_KINDS, type Model, type ModelJson, type ModelKind } from './models/index.js';

export interface TrainingSet {
  features: string[];
  X: number[][];
  y: number[];
  /** per-row weights (feedback labels weigh more); default 1 */
  weights?: number[];
}

/** A fitted model with its calibrator: what is saved to JSON and used to predict. */
export interface Predictor {
  model: Model;
  calibrator: Calibrator;
  /** calibrated probability */
  probability(x: readonly number[]): number;
}

export interface PredictorJson {
  format: 'faultline-predictor';
  version: 1;
  level: 'file' | 'commit';
  model: ModelJson;
  calibrator: CalibratorJson;
  /** what it was trained on and how it did in validation */
  meta: Record<string, unknown>;
}

export function predictor(model: Model, calibrator: Calibrator): Predictor {
  return { model, calibrator, probability: (x) => calibrator.apply(model.predict(x)) };
}

export function predictorToJson(p: Predictor, level: 'file' | 'commit', meta: Record<string, unknown>): PredictorJson {
  return { format: 'faultline-predictor', version: 1, level, model: p.model.toJSON(), calibrator: p.calibrator.toJSON(), meta };
}

export function predictorFromJson(j: unknown, source: string): { predictor: Predictor; json: PredictorJson } {
  const o = j as Partial<PredictorJson> | null;
  if (!o || o.format !== 'faultline-predictor' || o.version !== 1) {
    throw new FaultlineError('FL_ERR_PREDICT_MODEL', `${source}: not a faultline predictor (format "faultline-predictor", version 1)`);
  }
  return { predictor: predictor(loadModel(o.model, source), loadCalibrator(o.calibrator)), json: o as PredictorJson };
}

export interface CandidateResult {
  kind: ModelKind;
  predictor: Predictor;
  /** out-of-fold figures on the training rows */
  validation: { rocAuc: number; prAuc: number };
  calibration: Record<string, number>;
  /** out-of-fold raw scores, row order */
  oof: number[];
}

export interface SelectionResult {
  chosen: ModelKind;
  candidates: Record<ModelKind, CandidateResult>;
}

export interface SelectOptions {
  candidates?: readonly ModelKind[];
  folds?: number;
  seed?: number;
  progress?: (msg: string) => void;
}

/** Stratified fold of every row: positives and negatives shuffled separately and dealt round-robin. */
export function stratifiedFolds(y: readonly number[], k: number, seed: number): number[] {
  const rng = createRng(seed);
  const fold = new Array<number>(y.length).fill(0);
  for (const cls of [0, 1]) {
    const idx = y.map((v, i) => (v === cls ? i : -1)).filter((i) => i >= 0);
    for (let i = idx.length - 1; i > 0; i--) {
      const j = rng.int(0, i);
      [idx[i], idx[j]] = [idx[j] as number, idx[i] as number];
    }
    idx.forEach((row, n) => (fold[row] = n % k));
  }
  return fold;
}

export function selectAndTrain(set: TrainingSet, opts: SelectOptions = {}): SelectionResult {
  const kinds = opts.candidates ?? MODEL_KINDS;
  const k = opts.folds ?? 5;
  const seed = opts.seed ?? 1;
  const positives = set.y.filter((v) => v === 1).length;
  if (positives < k || set.y.length - positives < k) {
    throw new FaultlineError('FL_ERR_PREDICT_HISTORY', `training needs at least ${k} defective and ${k} clean rows, got ${positives} defective of ${set.y.length}`);
  }
  const fold = stratifiedFolds(set.y, k, seed);
  const candidates = {} as Record<ModelKind, CandidateResult>;
  for (const kind of kinds) {
    opts.progress?.(`predict: ${k}-fold validation of ${kind}`);
    const oof = new Array<number>(set.y.length).fill(0);
    for (let f = 0; f < k; f++) {
      const tr = set.y.map((_, i) => i).filter((i) => fold[i] !== f);
      const m = fitModel(kind, tr.map((i) => set.X[i] as number[]), tr.map((i) => set.y[i] as number), {
        features: set.features,
        seed: seed + f,
        weights: set.weights ? tr.map((i) => set.weights?.[i] as number) : undefined,
      });
      set.y.forEach((_, i) => {
        if (fold[i] === f) oof[i] = m.predict(set.X[i] as number[]);
      });
    }
    const cal = chooseCalibrator(oof, set.y);
    const model = fitModel(kind, set.X, set.y, { features: set.features, seed, weights: set.weights });
    candidates[kind] = {
      kind,
      predictor: predictor(model, cal.calibrator),
      validation: { rocAuc: rocAuc(oof, set.y), prAuc: prAuc(oof, set.y) },
      calibration: cal.heldOutBrier,
      oof,
    };
  }
  let chosen = kinds[0] as ModelKind;
  for (const kind of kinds) {
    const a = candidates[kind].validation;
    const b = candidates[chosen].validation;
    if (a.rocAuc > b.rocAuc || (a.rocAuc === b.rocAuc && a.prAuc > b.prAuc)) chosen = kind;
  }
  return { chosen, candidates };
}
