/**
 * The recipe registry: one module per recipe, registered by id. The ids of the resilience recipes are the
 * ones the analyze stage names on its smells (`Smell.recipe`); the engine finds recipes only through here.
 */
import type { FailureType, SmellKind } from '../../core/analysis.js';
import { FaultlineError } from '../../core/errors.js';
import type { Recipe } from '../recipe.js';
import { addCircuitBreaker } from './add-circuit-breaker.js';
import { addErrorListener } from './add-error-listener.js';
import { addRetry } from './add-retry.js';
import { addTimeout } from './add-timeout.js';
import { awaitOrCatch } from './await-or-catch.js';
import { boundCollection } from './bound-collection.js';
import { errorStatus } from './error-status.js';
import { extractFunction } from './extract-function.js';
import { guardClause } from './guard-clause.js';
import { guardJsonParse } from './guard-json-parse.js';
import { handleError } from './handle-error.js';
import { hoistLoopInvariant } from './hoist-loop-invariant.js';
import { moveOffRequestPath } from './move-off-request-path.js';
import { offloadToWorker } from './offload-to-worker.js';
import { routeToFallback } from './route-to-fallback.js';
import { setLookup } from './set-lookup.js';
import { skipBadRecord } from './skip-bad-record.js';

/** Every recipe, resilience first (in the order the issue lists them), then structural. */
export const RECIPES: readonly Recipe[] = Object.freeze([
  addTimeout,
  guardJsonParse,
  awaitOrCatch,
  addRetry,
  boundCollection,
  addErrorListener,
  moveOffRequestPath,
  addCircuitBreaker,
  handleError,
  routeToFallback,
  errorStatus,
  skipBadRecord,
  offloadToWorker,
  extractFunction,
  guardClause,
  setLookup,
  hoistLoopInvariant,
]);

const BY_ID = new Map(RECIPES.map((r) => [r.id, r]));

export function findRecipe(id: string): Recipe | undefined {
  return BY_ID.get(id);
}

export function findRecipeOrThrow(id: string): Recipe {
  const r = BY_ID.get(id);
  if (r === undefined) throw new FaultlineError('FL_ERR_RECIPE_NOT_FOUND', `no recipe "${id}"; known: ${[...BY_ID.keys()].join(', ')}`, { context: { id } });
  return r;
}

/** The recipes that address a smell kind. */
export function recipesForSmell(kind: SmellKind): Recipe[] {
  return RECIPES.filter((r) => r.addresses.smells.includes(kind));
}

/** The recipes that address a failure type (resilience recipes first). */
export function recipesForFailure(type: FailureType): Recipe[] {
  return RECIPES.filter((r) => r.addresses.failureTypes.includes(type));
}

export type { Recipe, RecipeLocation, Applicability, RecipeFile } from '../recipe.js';
