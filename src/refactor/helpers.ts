/**
 * Helper code a recipe inserts into the user's file (a retry loop, a circuit breaker, an LRU map, a typed
 * parse error): self-contained, no import of faultline — the user's code must not depend on faultline at
 * run time. Each helper starts with a marker comment, `// Inserted by faultline (<recipe id>): …`, which is
 * how a second application finds and reuses it instead of inserting it twice.
 */
import { uniqueName } from './ast.js';
import type { TextEdit } from './edits.js';
import type { RecipeContext } from './recipe.js';
import { insertModuleCode, lineBounds, styled } from './style.js';
import { typescript, type TS } from './ts.js';

export function markerOf(recipeId: string): string {
  return `Inserted by faultline (${recipeId})`;
}

/** The name a top-level statement declares (function, class, or the first variable). */
function declaredName(t: typeof TS, s: TS.Statement): string | undefined {
  if ((t.isFunctionDeclaration(s) || t.isClassDeclaration(s)) && s.name) return s.name.text;
  if (t.isVariableStatement(s)) {
    const d = s.declarationList.declarations[0];
    if (d && t.isIdentifier(d.name)) return d.name.text;
  }
  return undefined;
}

/** Top-level statements that carry the recipe's marker comment, by the name they declare. */
export function findHelpers(ctx: RecipeContext, recipeId: string): Map<string, TS.Statement> {
  const t = typescript();
  const marker = markerOf(recipeId);
  const out = new Map<string, TS.Statement>();
  for (const s of ctx.sf.statements) {
    const ranges = t.getLeadingCommentRanges(ctx.text, s.getFullStart()) ?? [];
    if (!ranges.some((r) => ctx.text.slice(r.pos, r.end).includes(marker))) continue;
    const name = declaredName(t, s);
    if (name !== undefined) out.set(name, s);
  }
  return out;
}

/** A helper's code in the canonical layout, built from the names it got. */
export type HelperBuilder = (names: Record<string, string>, typed: boolean) => string;

export interface EnsuredHelper {
  /** the names the helper's declarations got (the entry name first) */
  names: Record<string, string>;
  edits: TextEdit[];
  /** the helper was already in the file */
  existing: boolean;
  /** offset just after the helper's last line (for code that must come after it) */
  statement?: TS.Statement;
}

/**
 * Finds the recipe's helper in the file (by its marker and entry name `bases[0]`), or returns the edit that
 * inserts it after the imports under names that do not clash with the file's. `bases` maps each declared
 * name to its preferred spelling; the first is the entry the call sites use.
 */
export function ensureHelper(ctx: RecipeContext, recipeId: string, bases: readonly string[], build: HelperBuilder, description: string): EnsuredHelper {
  const existing = findHelpers(ctx, recipeId);
  const entry = bases[0] as string;
  for (const [name, stmt] of existing) {
    if (name === entry || new RegExp(`^${entry}\\d+$`).test(name)) return { names: { [entry]: name }, edits: [], existing: true, statement: stmt };
  }
  const taken = new Set(ctx.names());
  const names: Record<string, string> = {};
  for (const b of bases) {
    const n = uniqueName(b, taken);
    names[b] = n;
    taken.add(n);
  }
  const code = `// ${markerOf(recipeId)}: ${description}\n${build(names, ctx.typed)}`;
  return { names, edits: [insertModuleCode(ctx.sf, ctx.style, styled(code, ctx.style))], existing: false };
}

/** The edit that inserts module-level code (canonical layout) on the line after a statement. */
export function insertAfterStatement(ctx: RecipeContext, stmt: TS.Statement, code: string): TextEdit {
  const { end } = lineBounds(ctx.text, stmt.end);
  return { start: end, end, newText: ctx.style.eol + styled(code, ctx.style) };
}
