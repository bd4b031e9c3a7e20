/**
 * extract-function: move a range of statements (or one expression) into a new function, through the
 * TypeScript language service's own refactoring (`getApplicableRefactors` / `getEditsForRefactor`,
 * "Extract Symbol" → "Extract to function"): it works out the parameters, the returned values and their
 * types, and refuses what it cannot extract (a range that breaks out of a loop to outside it, a partial
 * expression…). The new function is placed in the module scope (`extractScope: 'module'`) or the innermost
 * scope TypeScript offers, named `extractName` (made unique), and laid out with the file's indentation,
 * quotes and semicolons.
 *
 * The location is a range (`line:col` to `endLine:endCol`); without an end it is the statement that starts
 * at the location. Refuses: a range TypeScript will not extract (its reason is passed on), and a range that is
 * already a single call of a function (nothing left to extract).
 */
import { isFunctionLike, skipOuter, uniqueName } from '../ast.js';
import { applyEdits, type TextEdit } from '../edits.js';
import { defineRecipe, type Plan, type RecipeContext, refuse } from '../recipe.js';
import { typescript, type TS } from '../ts.js';

let registry: TS.DocumentRegistry | undefined;

function service(path: string, text: string): TS.LanguageService {
  const t = typescript();
  registry ??= t.createDocumentRegistry();
  const file = `/__faultline__/${path.replace(/^\/+/, '')}`;
  const options: TS.CompilerOptions = { target: t.ScriptTarget.ES2022, lib: ['lib.es2022.d.ts'], allowJs: true, checkJs: false, strict: true, noEmit: true, jsx: t.JsxEmit.Preserve };
  const host: TS.LanguageServiceHost = {
    getScriptFileNames: () => [file],
    getScriptVersion: () => '1',
    getScriptSnapshot: (f) => (f === file ? t.ScriptSnapshot.fromString(text) : t.sys.fileExists(f) ? t.ScriptSnapshot.fromString(t.sys.readFile(f) ?? '') : undefined),
    getCurrentDirectory: () => '/',
    getCompilationSettings: () => options,
    getDefaultLibFileName: (o) => t.getDefaultLibFilePath(o),
    fileExists: (f) => f === file || t.sys.fileExists(f),
    readFile: (f) => (f === file ? text : t.sys.readFile(f)),
  };
  const ls = t.createLanguageService(host, registry);
  (ls as TS.LanguageService & { fileName?: string }).fileName = file;
  return ls;
}

/** The range to extract: the given one, or the outermost statement starting at the location. */
function selection(ctx: RecipeContext): { pos: number; end: number } | string {
  const t = typescript();
  if (ctx.endOffset !== undefined) return { pos: ctx.offset, end: ctx.endOffset };
  const stmts = ctx.at((n): n is TS.Statement => t.isStatement(n) && !t.isBlock(n) && !t.isFunctionDeclaration(n) && !t.isClassDeclaration(n));
  const s = stmts[0];
  if (s === undefined) return 'no statement starts here (give a range with endLine/endCol to extract an expression)';
  return { pos: s.getStart(ctx.sf), end: s.end };
}

/** Is the range a single statement that only calls a function (`f(a)`, `return f(a)`, `const x = f(a)`)? */
function alreadyACall(ctx: RecipeContext, pos: number, end: number): boolean {
  const t = typescript();
  let single: TS.Node | undefined;
  const visit = (n: TS.Node): void => {
    if (single) return;
    if (n.getStart(ctx.sf) === pos && n.end === end && t.isStatement(n)) single = n;
    else if (n.pos <= pos && n.end >= end) t.forEachChild(n, visit);
  };
  visit(ctx.sf);
  let e: TS.Expression | undefined;
  if (single === undefined) return false;
  if (t.isExpressionStatement(single)) e = single.expression;
  else if (t.isReturnStatement(single)) e = single.expression;
  else if (t.isVariableStatement(single) && single.declarationList.declarations.length === 1) e = single.declarationList.declarations[0]?.initializer;
  if (e === undefined) return false;
  e = skipOuter(e);
  if (t.isAwaitExpression(e)) e = skipOuter(e.expression);
  if (t.isBinaryExpression(e) && e.operatorToken.kind === t.SyntaxKind.EqualsToken) e = skipOuter(e.right);
  if (!t.isCallExpression(e)) return false;
  const callee = skipOuter(e.expression);
  return t.isIdentifier(callee) && e.arguments.every((a) => t.isIdentifier(skipOuter(a)) || t.isLiteralExpression(skipOuter(a)));
}

function plan(ctx: RecipeContext): Plan {
  const t = typescript();
  const range = selection(ctx);
  if (typeof range === 'string') return refuse(range);
  if (alreadyACall(ctx, range.pos, range.end)) return refuse('the range is already a single call of a function: nothing to extract');
  const ls = service(ctx.path, ctx.text);
  const file = (ls as TS.LanguageService & { fileName: string }).fileName;
  const prefs: TS.UserPreferences = { provideRefactorNotApplicableReason: true, quotePreference: ctx.style.quote === '"' ? 'double' : 'single' };
  const refactors = ls.getApplicableRefactors(file, range, prefs).filter((r) => r.name === 'Extract Symbol');
  const actions = refactors.flatMap((r) => r.actions).filter((a) => a.name.startsWith('function_scope_'));
  const usable = actions.filter((a) => a.notApplicableReason === undefined);
  if (usable.length === 0) return refuse(`TypeScript will not extract this range${actions[0]?.notApplicableReason ? `: ${actions[0].notApplicableReason}` : ''}`);
  const action = ctx.options.extractScope === 'module' ? (usable.find((a) => /module scope|global scope/.test(a.description)) ?? (usable[usable.length - 1] as TS.RefactorActionInfo)) : (usable[0] as TS.RefactorActionInfo);
  const indentSize = ctx.style.indent === '\t' ? 4 : ctx.style.indent.length;
  const format: TS.FormatCodeSettings = {
    ...t.getDefaultFormatCodeSettings(ctx.style.eol),
    indentSize,
    tabSize: indentSize,
    convertTabsToSpaces: ctx.style.indent !== '\t',
    semicolons: ctx.style.semicolons ? t.SemicolonPreference.Insert : t.SemicolonPreference.Remove,
  };
  const info = ls.getEditsForRefactor(file, format, range, 'Extract Symbol', action.name, prefs);
  const changes = info?.edits.flatMap((e) => (e.fileName === file ? e.textChanges : [])) ?? [];
  if (info === undefined || changes.length === 0 || info.edits.some((e) => e.fileName !== file)) return refuse('TypeScript produced no edit for this range');
  // the name TypeScript chose (newFunction, or newMethod for a method of the class; _1… when taken) becomes
  // extractName, made unique in the file: read at the rename location TypeScript gives, else the first one seen
  const raw = changes.map((c) => ({ start: c.span.start, end: c.span.start + c.span.length, newText: c.newText }));
  const atRename = info.renameLocation === undefined ? undefined : /^[A-Za-z_$][\w$]*/.exec(applyEdits(ctx.text, raw).slice(info.renameLocation))?.[0];
  const chosen = atRename ?? /\b(new(?:Function|Method)(?:_\d+)?)\b/.exec(changes.map((c) => c.newText).join('\n'))?.[1];
  const name = uniqueName(ctx.options.extractName, ctx.names());
  const edits: TextEdit[] = raw.map((c) => ({ ...c, newText: chosen === undefined ? c.newText : c.newText.replace(new RegExp(`\\b${chosen}\\b`, 'g'), name) }));
  // TypeScript declares several returned variables with `var`; keep the kind the range declared them with
  const kinds = new Set<string>();
  for (const k of topLevelDeclarations(ctx, range.pos, range.end)) kinds.add(k);
  if (!kinds.has('var') && kinds.size > 0) {
    const keyword = kinds.has('let') ? 'let' : 'const';
    for (const e of edits) if (e.start === range.pos && e.newText.startsWith('var ')) e.newText = keyword + e.newText.slice(3);
  }
  return { edits };
}

/** The declaration keywords (var/let/const) of the variable statements the range holds at its top level. */
function topLevelDeclarations(ctx: RecipeContext, pos: number, end: number): string[] {
  const t = typescript();
  const out: string[] = [];
  const visit = (n: TS.Node): void => {
    if (t.isVariableStatement(n) && n.getStart(ctx.sf) >= pos && n.end <= end) {
      const f = n.declarationList.flags;
      out.push(f & t.NodeFlags.Const ? 'const' : f & t.NodeFlags.Let ? 'let' : 'var');
      return;
    }
    if (n.end < pos || n.pos > end || (isFunctionLike(n) && n.pos >= pos)) return;
    t.forEachChild(n, visit);
  };
  visit(ctx.sf);
  return out;
}

export const extractFunction = defineRecipe({
  id: 'extract-function',
  title: 'Extract a range of code into a function (TypeScript language service)',
  category: 'structural',
  addresses: { smells: [], failureTypes: ['logic'] },
  options: ['extractName', 'extractScope'],
  plan,
});
