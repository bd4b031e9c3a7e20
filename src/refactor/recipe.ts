/**
 * What a refactoring recipe is. The engine knows recipes only through this interface: an id shared with the
 * analyze stage's smells and the predictions, what it addresses, a precondition that says when it applies (and
 * why not, when it must not), and a pure transform — text in, edits out, no I/O — that returns no edit when the
 * precondition does not hold ("do no harm": a recipe that cannot show a change is safe makes none).
 */
import type { FailureType, SmellKind, SourceFile } from '../core/analysis.js';
import { FaultlineError } from '../core/errors.js';
import { moduleBindings, namesInFile, nodesOnLine, nodesStartingAt, type Binding } from './ast.js';
import type { TextEdit } from './edits.js';
import { type RecipeOptions, resolveRecipeOptions } from './options.js';
import { detectStyle, type FileStyle } from './style.js';
import { isTypeScript, parse, syntaxErrors, type TS } from './ts.js';

export type { TextEdit } from './edits.js';

/** The text a recipe edits. */
export type RecipeFile = Pick<SourceFile, 'path' | 'text'>;

/**
 * Where to apply: a smell (path, line, col of the node) or a failure point (path, line) as the analyze and
 * predict stages report them; 1-based. Without `col`, the recipe takes the first node on the line it can
 * handle. `endLine`/`endCol` (exclusive) give a range, for recipes that act on one (extract-function).
 */
export interface RecipeLocation {
  path: string;
  line: number;
  col?: number;
  endLine?: number;
  endCol?: number;
}

export type Applicability = { ok: true } | { ok: false; reason: string };

/** Edits to another file of the project than the one at the location (a recipe that changes callers too). */
export interface FileEdits {
  path: string;
  edits: TextEdit[];
}

/**
 * The rest of the project, for the few recipes whose change reaches past one file (a function made async must
 * have its callers await it): the source files of the target's package with their current text
 * (repository-relative paths, the file at the location included). Pure data: the engine reads them.
 */
export interface RecipeProject {
  files(): readonly RecipeFile[];
  /** another file of the repository (a package.json, a tsconfig.json) as the engine reads it, when it can; undefined when absent */
  read?(path: string): string | undefined;
}

/** Every edit of a recipe: in the file at the location, and in other files of the project. */
export type Changes = { ok: true; edits: TextEdit[]; others: FileEdits[] } | { ok: false; reason: string };

export interface Recipe {
  /** kebab-case id, shared with `Smell.recipe` and `FailurePoint.recipe` */
  readonly id: string;
  readonly title: string;
  /** resilience recipes change behaviour on purpose (an ESLint "suggestion", kept only after verification); structural ones must not */
  readonly category: 'resilience' | 'structural';
  readonly addresses: { readonly smells: readonly SmellKind[]; readonly failureTypes: readonly FailureType[] };
  /** the options of RecipeOptions it reads */
  readonly options: readonly (keyof RecipeOptions)[];
  /** the precondition: whether the recipe applies at the location, and why not when it does not */
  applies(file: RecipeFile, location: RecipeLocation, options?: Partial<RecipeOptions>): Applicability;
  /** the edits (offsets into `file.text`); none when the precondition does not hold */
  transform(file: RecipeFile, location: RecipeLocation, options?: Partial<RecipeOptions>): TextEdit[];
  /**
   * The precondition and every edit, in this file and (given the project) in others. Without `project` a recipe
   * that would need to edit other files refuses, saying so.
   */
  changes?(file: RecipeFile, location: RecipeLocation, options?: Partial<RecipeOptions>, project?: RecipeProject): Changes;
}

/** What a recipe's planner sees: the parsed file, its style, the location as offsets, the options. */
export interface RecipeContext {
  readonly path: string;
  readonly text: string;
  readonly sf: TS.SourceFile;
  readonly style: FileStyle;
  /** the file takes type annotations (.ts, .tsx, .mts, .cts) */
  readonly typed: boolean;
  readonly options: RecipeOptions;
  /** 0-based line of the location */
  readonly line0: number;
  /** offset of line:col (of the line start when no col was given) */
  readonly offset: number;
  readonly hasCol: boolean;
  /** offset of endLine:endCol, when the location is a range */
  readonly endOffset: number | undefined;
  /** nodes matching `pred` at the location: starting exactly at line:col, or starting on the line when no col was given (outer first) */
  at<T extends TS.Node>(pred: (n: TS.Node) => n is T): T[];
  bindings(): ReadonlyMap<string, Binding>;
  /** every identifier in the file (new names must avoid them) */
  names(): ReadonlySet<string>;
  /** the project's files, when the engine gave them (only `changes` passes them) */
  readonly project?: RecipeProject;
}

export type Plan = { edits: TextEdit[]; others?: FileEdits[] } | { refuse: string };

export function refuse(reason: string): Plan {
  return { refuse: reason };
}

function offsetOfLine(sf: TS.SourceFile, line0: number, col0: number): number | undefined {
  const starts = sf.getLineStarts();
  const start = starts[line0];
  if (start === undefined) return undefined;
  const next = starts[line0 + 1] ?? sf.text.length + 1;
  if (start + col0 >= next && !(col0 === 0)) return undefined;
  return start + col0;
}

function checkLocation(file: RecipeFile, loc: RecipeLocation): void {
  const bad = (what: string): never => {
    throw new FaultlineError('FL_ERR_RECIPE_LOCATION', `${loc.path}:${loc.line}${loc.col === undefined ? '' : ':' + loc.col}: ${what}`, { context: { location: loc } });
  };
  if (loc.path !== file.path) bad(`the location is in ${loc.path}, the text is ${file.path}`);
  for (const k of ['line', 'col', 'endLine', 'endCol'] as const) {
    const v = loc[k];
    if (v !== undefined && (!Number.isInteger(v) || v < 1)) bad(`${k} must be a positive integer, got ${String(v)}`);
  }
  if ((loc.endLine === undefined) !== (loc.endCol === undefined)) bad('endLine and endCol go together');
}

/** Builds the planner's context, or the reason the location cannot be used (a stale or unparsable file). */
export function recipeContext(file: RecipeFile, loc: RecipeLocation, given: Partial<RecipeOptions> | undefined, project?: RecipeProject): RecipeContext | string {
  checkLocation(file, loc);
  const options = resolveRecipeOptions(given ?? {});
  const sf = parse(file.path, file.text);
  const errors = syntaxErrors(sf);
  if (errors > 0) return `${file.path} has ${errors} syntax error(s); recipes only edit files that parse`;
  const line0 = loc.line - 1;
  const offset = offsetOfLine(sf, line0, (loc.col ?? 1) - 1);
  if (offset === undefined) return `${loc.path}:${loc.line}${loc.col === undefined ? '' : ':' + loc.col} is past the end of the ${loc.col === undefined ? 'file' : 'line'} (the location is stale)`;
  let endOffset: number | undefined;
  if (loc.endLine !== undefined && loc.endCol !== undefined) {
    endOffset = offsetOfLine(sf, loc.endLine - 1, loc.endCol - 1);
    if (endOffset === undefined || endOffset < offset) return `the range ends at ${loc.endLine}:${loc.endCol}, which is not after its start inside the file`;
  }
  let bindings: Map<string, Binding> | undefined;
  let names: Set<string> | undefined;
  const hasCol = loc.col !== undefined;
  const at = <T extends TS.Node>(pred: (n: TS.Node) => n is T): T[] => (hasCol ? nodesStartingAt(sf, offset, pred) : nodesOnLine(sf, line0, pred));
  return {
    path: file.path,
    text: file.text,
    sf,
    style: detectStyle(sf),
    typed: isTypeScript(file.path),
    options,
    line0,
    offset,
    hasCol,
    endOffset,
    at,
    bindings: () => (bindings ??= moduleBindings(sf)),
    names: () => (names ??= namesInFile(sf)),
    ...(project ? { project } : {}),
  };
}

export interface RecipeSpec extends Omit<Recipe, 'applies' | 'transform'> {
  /** the precondition and the transform in one pass: edits when it applies, the reason when it does not */
  plan(ctx: RecipeContext): Plan;
}

/** Makes a Recipe from one planner, so the precondition and the transform can never disagree. */
export function defineRecipe(spec: RecipeSpec): Recipe {
  const run = (file: RecipeFile, loc: RecipeLocation, options?: Partial<RecipeOptions>, project?: RecipeProject): Plan => {
    const ctx = recipeContext(file, loc, options, project);
    if (typeof ctx === 'string') return { refuse: ctx };
    const plan = spec.plan(ctx);
    if ('edits' in plan && plan.edits.length === 0 && (plan.others ?? []).every((o) => o.edits.length === 0)) return { refuse: 'nothing to change' };
    return plan;
  };
  const { plan: _plan, ...rest } = spec;
  return Object.freeze({
    ...rest,
    applies(file: RecipeFile, loc: RecipeLocation, options?: Partial<RecipeOptions>): Applicability {
      const p = run(file, loc, options);
      return 'refuse' in p ? { ok: false, reason: p.refuse } : { ok: true };
    },
    transform(file: RecipeFile, loc: RecipeLocation, options?: Partial<RecipeOptions>): TextEdit[] {
      const p = run(file, loc, options);
      return 'refuse' in p ? [] : p.edits;
    },
    changes(file: RecipeFile, loc: RecipeLocation, options?: Partial<RecipeOptions>, project?: RecipeProject): Changes {
      const p = run(file, loc, options, project);
      return 'refuse' in p ? { ok: false, reason: p.refuse } : { ok: true, edits: p.edits, others: (p.others ?? []).filter((o) => o.edits.length > 0) };
    },
  });
}
