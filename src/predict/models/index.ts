/** The candidate models by name, and loading a saved model (JSON) back. */
import { FaultlineError } from '../../core/errors.js';
import { ensembleModel } from './ensemble.js';
import { fitForest, forestModel } from './forest.js';
import { fitGbt, gbtModel } from './gbt.js';
import { fitLogistic, logisticModel } from './logistic.js';
import type { FitOptions, Model, ModelJson, ModelKind } from './types.js';

export * from './types.js';
export { ensembleModel, fitForest, fitGbt, fitLogistic };

export const MODEL_KINDS: readonly ModelKind[] = ['logistic', 'gbt', 'forest'];

/** Hyper-parameters of one model kind (names of LogisticOptions, GbtOptions, ForestOptions). */
export type ModelParams = Record<string, number>;

/** Fits a model of `kind` with its defaults (logistic with balanced class weights), overridden by `params`. */
export function fitModel(kind: ModelKind, X: readonly (readonly number[])[], y: readonly number[], opts: FitOptions, params: ModelParams = {}): Model {
  switch (kind) {
    case 'logistic':
      return fitLogistic(X, y, { balanced: true, ...opts, ...params });
    case 'gbt':
      return fitGbt(X, y, { ...opts, ...params });
    case 'forest':
      return fitForest(X, y, { ...opts, ...params });
  }
}

/** The hyper-parameter grid model selection tries per kind (small on purpose: the training sets are small). */
export const PARAM_GRID: Record<ModelKind, ModelParams[]> = {
  logistic: [{ l2: 1 }, { l2: 30 }],
  gbt: [
    { maxDepth: 2, rounds: 200, shrinkage: 0.05 },
    { maxDepth: 3, rounds: 100, shrinkage: 0.05, minChildWeight: 5 },
  ],
  forest: [
    { maxDepth: 8, minLeafWeight: 5 },
    { maxDepth: 6, minLeafWeight: 20 },
  ],
};

/** Rebuilds a model from its JSON; throws FL_ERR_PREDICT_MODEL when the object is not a model. */
export function loadModel(j: unknown, source = 'model'): Model {
  const o = j as Partial<ModelJson> | null;
  const bad = (what: string): never => {
    throw new FaultlineError('FL_ERR_PREDICT_MODEL', `${source}: ${what}`);
  };
  if (!o || typeof o !== 'object' || !Array.isArray(o.features)) return bad('not a model (no features array)');
  switch (o.kind) {
    case 'logistic':
      if (!Array.isArray(o.coef) || o.coef.length !== o.features.length) bad('coef must have one entry per feature');
      return logisticModel(o as ModelJson & { kind: 'logistic' });
    case 'gbt':
      if (!Array.isArray(o.trees)) bad('trees must be an array');
      return gbtModel(o as ModelJson & { kind: 'gbt' });
    case 'forest':
      if (!Array.isArray(o.trees)) bad('trees must be an array');
      return forestModel(o as ModelJson & { kind: 'forest' });
    case 'ensemble': {
      const members = (o as ModelJson & { kind: 'ensemble' }).members;
      if (!Array.isArray(members) || members.length === 0) bad('an ensemble needs members');
      return ensembleModel(members.map((m) => loadModel(m, source)));
    }
    default:
      return bad(`kind must be one of ${MODEL_KINDS.join(', ')}, ensemble, got ${JSON.stringify(o.kind)}`);
  }
}
