/**
 * Text-in/text-out harness for recipes (ts-morph's doTest style). Inputs mark the location with `/*@*\/`
 * right before the node, the way the analyze stage reports it (line and column of the node's first token).
 */
import { expect } from 'vitest';
import type { SmellKind } from '../../../src/core/analysis.js';
import { detectSmells } from '../../../src/analyze/code/smells/index.js';
import { languageOf, parseSource } from '../../../src/analyze/code/ts.js';
import { applyEdits, lineCol, mapOffset } from '../../../src/refactor/edits.js';
import type { RecipeOptions } from '../../../src/refactor/options.js';
import type { Recipe, RecipeLocation } from '../../../src/refactor/recipe.js';
import { parse, syntaxErrors, typescript, type TS } from '../../../src/refactor/ts.js';

const MARK = '/*@*/';

export interface Case {
  path?: string;
  options?: Partial<RecipeOptions>;
  /** take the location from this smell detector (and check the smell is gone afterwards) */
  smell?: SmellKind;
  /** give only the line (as a failure point does) */
  lineOnly?: boolean;
  /** a range: the input also holds `/*@end*\/` */
  typecheck?: boolean;
}

export function locate(input: string, path: string, lineOnly = false): { text: string; location: RecipeLocation; offset: number } {
  const at = input.indexOf(MARK);
  if (at < 0) throw new Error('input has no /*@*/ marker');
  let text = input.slice(0, at) + input.slice(at + MARK.length);
  let endOffset: number | undefined;
  const endAt = text.indexOf('/*@end*/');
  if (endAt >= 0) {
    text = text.slice(0, endAt) + text.slice(endAt + '/*@end*/'.length);
    endOffset = endAt;
  }
  const { line, col } = lineCol(text, at);
  const location: RecipeLocation = lineOnly ? { path, line } : { path, line, col };
  if (endOffset !== undefined) {
    const e = lineCol(text, endOffset);
    location.endLine = e.line;
    location.endCol = e.col;
  }
  return { text, location, offset: at };
}

function smells(path: string, text: string, kind: SmellKind) {
  return detectSmells(path, parseSource(path, text, languageOf(path) ?? 'ts'), [kind]);
}

/** Applies the recipe at the marker, expects exactly `expected`, then checks syntax, idempotence and (optionally) types. */
export function doTest(recipe: Recipe, input: string, expected: string, c: Case = {}): string {
  const path = c.path ?? 'src/app.ts';
  const { text, location, offset } = locate(input, path, c.lineOnly);
  if (c.smell !== undefined) {
    const found = smells(path, text, c.smell);
    expect(found.map((s) => [s.line, s.col, s.recipe])).toContainEqual([location.line, location.col, recipe.id]);
  }
  expect(recipe.applies({ path, text }, location, c.options)).toEqual({ ok: true });
  const edits = recipe.transform({ path, text }, location, c.options);
  const out = applyEdits(text, edits);
  expect(out).toBe(expected);
  // no new syntax errors
  expect(syntaxErrors(parse(path, out))).toBe(0);
  // the smell is gone at that place
  if (c.smell !== undefined) {
    const moved = lineCol(out, mapOffset(edits, offset));
    expect(smells(path, out, c.smell).map((s) => [s.line, s.col])).not.toContainEqual([moved.line, moved.col]);
  }
  // idempotence: locate the same node in the output, apply again → nothing
  const again = lineCol(out, mapOffset(edits, offset));
  const loc2: RecipeLocation = c.lineOnly ? { path, line: again.line } : { path, line: again.line, col: again.col };
  if (location.endLine !== undefined) {
    const endMapped = lineCol(out, mapOffset(edits, offsetOfLineCol(text, location.endLine, location.endCol as number)));
    loc2.endLine = endMapped.line;
    loc2.endCol = endMapped.col;
  }
  const second = recipe.applies({ path, text: out }, loc2, c.options);
  expect(second.ok).toBe(false);
  expect(recipe.transform({ path, text: out }, loc2, c.options)).toEqual([]);
  if (c.typecheck) expect(newTypeErrors(path, text, out)).toEqual([]);
  return out;
}

function offsetOfLineCol(text: string, line: number, col: number): number {
  let start = 0;
  for (let l = 1; l < line; l++) start = text.indexOf('\n', start) + 1;
  return start + col - 1;
}

/** Expects the recipe to refuse at the marker, with a reason matching `reason`, and to return no edit. */
export function doRefuse(recipe: Recipe, input: string, reason: RegExp, c: Case = {}): void {
  const path = c.path ?? 'src/app.ts';
  const { text, location } = locate(input, path, c.lineOnly);
  const a = recipe.applies({ path, text }, location, c.options);
  expect(a.ok).toBe(false);
  if (!a.ok) expect(a.reason).toMatch(reason);
  expect(recipe.transform({ path, text }, location, c.options)).toEqual([]);
}

// ---------------------------------------------------------------------------------------------------------
// Type-check in a small in-memory program (lib + @types/node), reusing the library files between checks

const libCache = new Map<string, TS.SourceFile>();
let previous: TS.Program | undefined;

function diagnostics(path: string, text: string): string[] {
  const t = typescript();
  const options: TS.CompilerOptions = { strict: true, target: t.ScriptTarget.ES2022, module: t.ModuleKind.NodeNext, moduleResolution: t.ModuleResolutionKind.NodeNext, types: ['node'], noEmit: true, skipLibCheck: true, allowJs: true, checkJs: false, lib: ['lib.es2023.d.ts'] };
  const file = '/virtual/' + path;
  const host = t.createCompilerHost(options);
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (name, lang, onError, shouldCreate) => {
    if (name === file) return t.createSourceFile(name, text, lang, true);
    const cached = libCache.get(name);
    if (cached) return cached;
    const sf = getSourceFile(name, lang, onError, shouldCreate);
    if (sf) libCache.set(name, sf);
    return sf;
  };
  const fileExists = host.fileExists.bind(host);
  host.fileExists = (name) => name === file || fileExists(name);
  const readFile = host.readFile.bind(host);
  host.readFile = (name) => (name === file ? text : readFile(name));
  host.getCurrentDirectory = () => process.cwd();
  const program = t.createProgram([file], options, host, previous);
  previous = program;
  const sf = program.getSourceFile(file) as TS.SourceFile;
  return [...program.getSyntacticDiagnostics(sf), ...program.getSemanticDiagnostics(sf)].map((d) => `TS${d.code}: ${t.flattenDiagnosticMessageText(d.messageText, ' ')}`);
}

/** Type errors the output has that the input did not (by code and message). */
export function newTypeErrors(path: string, before: string, after: string): string[] {
  const old = new Set(diagnostics(path, before));
  return diagnostics(path, after).filter((d) => !old.has(d));
}
