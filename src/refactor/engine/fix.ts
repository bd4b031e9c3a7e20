/**
 * One fix in memory: locate the target in the file as it is now, pick the first candidate recipe that
 * applies, compute its edits and the unified diff. No I/O — the dry run and the engine share it.
 */
import { applyEdits, type TextEdit, unifiedDiff } from '../edits.js';
import type { RecipeOptions } from '../options.js';
import type { Recipe, RecipeFile, RecipeProject } from '../recipe.js';
import type { FileLocator } from './locations.js';
import type { RefactorTarget } from './targets.js';

/** How the engine finds a recipe by id (recipes/index.ts's `findRecipe`). */
export type RecipeLookup = (id: string) => Recipe | undefined;

export type PreparedFix =
  | {
      ok: true;
      recipe: Recipe;
      edits: TextEdit[];
      before: string;
      after: string;
      /** the whole change: every file's diff, the target's first */
      diff: string;
      location: { line: number; col?: number };
      /** the other files the fix changes (a function made async: its callers), each as before/after */
      others: { path: string; edits: TextEdit[]; before: string; after: string }[];
    }
  | { ok: false; recipe?: string; reason: string };

/** The recipes whose `addresses.failureTypes` include the failure type (for failure points without a recipe). */
export function recipesForFailureType(failureType: string, recipes: readonly Recipe[]): string[] {
  return recipes.filter((r) => (r.addresses.failureTypes as readonly string[]).includes(failureType)).map((r) => r.id);
}

/**
 * The project's files for the recipes that change more than one file: the listing, each read as it is now
 * (with the fixes kept so far); `read` undefined = the file is gone.
 */
export function recipeProject(paths: readonly string[], read: (path: string) => string | undefined): RecipeProject {
  let files: RecipeFile[] | undefined;
  return {
    files: () =>
      (files ??= paths.flatMap((path) => {
        const text = read(path);
        return text === undefined ? [] : [{ path, text }];
      })),
    read: (path) => read(path),
  };
}

export function prepareFix(target: RefactorTarget, text: string | undefined, locator: FileLocator, lookup: RecipeLookup, options: Partial<RecipeOptions>, project?: RecipeProject): PreparedFix {
  if (text === undefined) return { ok: false, reason: `${target.path} does not exist at the base commit` };
  locator.base(target.path, text);
  const loc = locator.locate(target.path, target.line, target.col, text);
  if (loc === undefined) return { ok: false, reason: `${target.path}:${target.line} is past the end of the file at the base commit (the location is stale)` };
  const refusals: string[] = [];
  const { rewrittenBy, ...at } = loc;
  for (const id of target.recipes) {
    const recipe = lookup(id);
    if (recipe === undefined) {
      refusals.push(`${id}: no recipe with that id`);
      continue;
    }
    const location = { path: target.path, ...at };
    try {
      const c = recipe.changes
        ? recipe.changes({ path: target.path, text }, location, options, project)
        : (() => {
            const a = recipe.applies({ path: target.path, text }, location, options);
            return a.ok ? { ok: true as const, edits: recipe.transform({ path: target.path, text }, location, options), others: [] } : a;
          })();
      if (!c.ok) {
        refusals.push(`${id}: ${c.reason}`);
        continue;
      }
      if (c.edits.length === 0 && c.others.length === 0) {
        refusals.push(`${id}: no edit`);
        continue;
      }
      const after = applyEdits(text, c.edits);
      const others = c.others.map((o) => {
        const before = project?.files().find((f) => f.path === o.path)?.text;
        if (before === undefined) throw new Error(`the recipe edits ${o.path}, which is not among the project's files`);
        locator.base(o.path, before);
        return { path: o.path, edits: o.edits, before, after: applyEdits(before, o.edits) };
      });
      const diff = [unifiedDiff(target.path, text, after), ...others.map((o) => unifiedDiff(o.path, o.before, o.after))].join('');
      return { ok: true, recipe, edits: c.edits, before: text, after, diff, location: at, others };
    } catch (e) {
      refusals.push(`${id}: ${(e as Error).message}`);
    }
  }
  const why = refusals.join('; ') || 'no candidate recipe';
  // the code was moved or rewritten by a kept fix: the location only says where that fix's edit starts
  const reason = rewrittenBy !== undefined ? `a kept ${rewrittenBy} fix rewrote the code at ${target.path}:${target.line} (${why}); run \`faultline refactor\` again to look at it where it is now` : why;
  return { ok: false, ...(target.recipes.length === 1 ? { recipe: target.recipes[0] as string } : {}), reason };
}
