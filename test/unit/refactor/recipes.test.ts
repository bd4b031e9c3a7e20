import { describe, expect, it } from 'vitest';
import { SMELL_KINDS } from '../../../src/core/analysis.js';
import { DEFAULT_RECIPE_OPTIONS, resolveRecipeOptions } from '../../../src/refactor/options.js';
import { findRecipe, findRecipeOrThrow, RECIPES, recipesForFailure, recipesForSmell } from '../../../src/refactor/recipes/index.js';
import { typescriptLoaded } from '../../../src/refactor/ts.js';

describe('recipe registry', () => {
  it('does not load the TypeScript compiler until a recipe runs', () => {
    expect(RECIPES.length).toBeGreaterThan(0);
    expect(typescriptLoaded()).toBe(false);
    findRecipeOrThrow('add-timeout').applies({ path: 'a.js', text: 'fetch(u);\n' }, { path: 'a.js', line: 1, col: 1 });
    expect(typescriptLoaded()).toBe(true);
  });

  it('has one recipe per id, kebab-case, with the ids the analyze stage names on its smells', async () => {
    const ids = RECIPES.map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(id).toMatch(/^[a-z]+(-[a-z]+)*$/);
    const { SMELL_DETECTORS } = await import('../../../src/analyze/code/smells/index.js');
    for (const kind of SMELL_KINDS) {
      const recipe = findRecipe(SMELL_DETECTORS[kind].recipe);
      expect(recipe?.id).toBe(SMELL_DETECTORS[kind].recipe);
      expect(recipe?.addresses.smells).toContain(kind);
      expect(recipesForSmell(kind).map((r) => r.id)).toEqual([SMELL_DETECTORS[kind].recipe]);
    }
  });

  it('lists the eight resilience recipes of the issue plus handle-error and route-to-fallback, and the structural ones', () => {
    expect(RECIPES.filter((r) => r.category === 'resilience').map((r) => r.id)).toEqual([
      'add-timeout',
      'guard-json-parse',
      'await-or-catch',
      'add-retry',
      'bound-collection',
      'add-error-listener',
      'move-off-request-path',
      'add-circuit-breaker',
      'handle-error',
      'route-to-fallback',
      'error-status',
      'skip-bad-record',
      'offload-to-worker',
    ]);
    expect(RECIPES.filter((r) => r.category === 'structural').map((r) => r.id)).toEqual(['extract-function', 'guard-clause', 'set-lookup', 'hoist-loop-invariant']);
    expect(recipesForFailure('timeout').map((r) => r.id)).toContain('add-timeout');
    for (const r of RECIPES) for (const o of r.options) expect(Object.keys(DEFAULT_RECIPE_OPTIONS)).toContain(o);
  });

  it('findRecipeOrThrow names the known ids', () => {
    expect(findRecipe('nope')).toBeUndefined();
    expect(() => findRecipeOrThrow('nope')).toThrow(expect.objectContaining({ code: 'FL_ERR_RECIPE_NOT_FOUND', message: expect.stringContaining('add-timeout') }));
  });
});

describe('recipe options', () => {
  it('overlays given values on the documented defaults', () => {
    const o = resolveRecipeOptions({ timeoutMs: 1500, retryMethods: ['get', 'head'] });
    expect(o).toEqual({ ...DEFAULT_RECIPE_OPTIONS, timeoutMs: 1500, retryMethods: ['GET', 'HEAD'] });
    expect(Object.isFrozen(o)).toBe(true);
    expect(DEFAULT_RECIPE_OPTIONS).toMatchObject({ timeoutMs: 5000, retries: 3, retryBaseMs: 100, retryMaxMs: 2000, breakerFailureThreshold: 5, breakerResetMs: 30000, cacheMaxEntries: 1000 });
  });

  it('lists every problem at once', () => {
    try {
      resolveRecipeOptions({ timeoutMs: 0, retries: 1.5, retryMethods: ['FETCH'], extractScope: 'x', nope: 1, retryBaseMs: 500, retryMaxMs: 100 } as Record<string, unknown>);
      expect.unreachable();
    } catch (e) {
      const err = e as { code: string; context: { problems: string[] } };
      expect(err.code).toBe('FL_ERR_RECIPE_OPTIONS');
      expect(err.context.problems).toHaveLength(6);
      expect(err.context.problems.join('\n')).toMatch(/timeoutMs.*\n.*retries.*\n.*retryMethods.*\n.*extractScope.*\n.*unknown option nope.*\n.*retryMaxMs \(100\) must be at least retryBaseMs \(500\)/);
    }
  });
});
