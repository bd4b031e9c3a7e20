/**
 * Code metrics from the AST, pure: text in, numbers out.
 *
 * Units: every function declaration, method, constructor, accessor, and every arrow function or function
 * expression that gets a name (assigned to a variable, property or class field, or exported as default).
 * Anonymous callbacks inside a unit are folded into it — their decisions count for the unit and, for
 * cognitive complexity, they raise the nesting level as SonarSource's lambdas do. An anonymous function at
 * the top level is a unit of its own, named `<anonymous>@line`. Code outside every function is counted in
 * the file's sums but not listed as a function.
 */
import type { FileMetrics, FunctionMetrics, SourceFile } from '../../core/analysis.js';
import { type FunctionLike, isFunctionLike, isUnit, lineOf, ownName, skipOuter, unitName } from './ast.js';
import { languageOf, parseSource, typescript, type ParsedSource, type TS } from './ts.js';

interface Acc {
  cyclomatic: number;
  cognitive: number;
  maxNesting: number;
  /** identifier by which the unit calls itself (`f(…)`), or its method name (`this.m(…)`) */
  selfName?: string;
  selfMethod?: string;
  recursive: boolean;
}

function newAcc(): Acc {
  return { cyclomatic: 0, cognitive: 0, maxNesting: 0, recursive: false };
}

function isLogical(k: TS.SyntaxKind): boolean {
  const S = typescript().SyntaxKind;
  return k === S.AmpersandAmpersandToken || k === S.BarBarToken;
}

/** McCabe decision operators: && || ?? and their assignment forms. */
function isDecisionOperator(k: TS.SyntaxKind): boolean {
  const S = typescript().SyntaxKind;
  return (
    k === S.AmpersandAmpersandToken ||
    k === S.BarBarToken ||
    k === S.QuestionQuestionToken ||
    k === S.AmpersandAmpersandEqualsToken ||
    k === S.BarBarEqualsToken ||
    k === S.QuestionQuestionEqualsToken
  );
}

/** Operators of a sequence of && / || in source order, through parentheses (not through `!`). */
function flattenLogical(e: TS.Expression, out: TS.SyntaxKind[]): void {
  const t = typescript();
  e = skipParens(e);
  if (t.isBinaryExpression(e) && isLogical(e.operatorToken.kind)) {
    flattenLogical(e.left, out);
    out.push(e.operatorToken.kind);
    flattenLogical(e.right, out);
  }
}

function skipParens(e: TS.Expression): TS.Expression {
  const t = typescript();
  while (t.isParenthesizedExpression(e)) e = e.expression;
  return e;
}

function isSequenceRoot(b: TS.BinaryExpression): boolean {
  const t = typescript();
  let p = b.parent;
  while (p && t.isParenthesizedExpression(p)) p = p.parent;
  return !(p && t.isBinaryExpression(p) && isLogical(p.operatorToken.kind));
}

const RELATIVE = /^\.\.?(\/|$)/;

/** The relative module specifiers a file imports at run time (type-only imports are left out). */
function importSpecifier(node: TS.Node): string | undefined {
  const t = typescript();
  if (t.isImportDeclaration(node) && t.isStringLiteral(node.moduleSpecifier)) {
    const c = node.importClause;
    if (c?.isTypeOnly) return undefined;
    if (c && !c.name && c.namedBindings && t.isNamedImports(c.namedBindings) && c.namedBindings.elements.length > 0 && c.namedBindings.elements.every((e) => e.isTypeOnly)) {
      return undefined;
    }
    return node.moduleSpecifier.text;
  }
  if (t.isExportDeclaration(node) && node.moduleSpecifier && t.isStringLiteral(node.moduleSpecifier) && !node.isTypeOnly) return node.moduleSpecifier.text;
  if (t.isImportEqualsDeclaration(node) && !node.isTypeOnly && t.isExternalModuleReference(node.moduleReference) && t.isStringLiteral(node.moduleReference.expression)) {
    return node.moduleReference.expression.text;
  }
  if (t.isCallExpression(node) && node.arguments.length >= 1) {
    const arg = node.arguments[0] as TS.Expression;
    if (!t.isStringLiteralLike(arg)) return undefined;
    if (node.expression.kind === t.SyntaxKind.ImportKeyword) return arg.text;
    if (t.isIdentifier(node.expression) && node.expression.text === 'require' && node.arguments.length === 1) return arg.text;
  }
  return undefined;
}

function isLiteralToken(k: TS.SyntaxKind): boolean {
  const S = typescript().SyntaxKind;
  return (
    k === S.StringLiteral ||
    k === S.NoSubstitutionTemplateLiteral ||
    k === S.TemplateHead ||
    k === S.TemplateMiddle ||
    k === S.TemplateTail ||
    k === S.RegularExpressionLiteral ||
    k === S.JsxText
  );
}

/**
 * Marks the lines that hold code: anything but whitespace and comments. Literals (strings, templates,
 * regular expressions, JSX text) are known from the AST, so `//` inside them is never taken for a comment.
 */
function codeLines(text: string, literals: number[], lineCount: number): Uint8Array {
  const code = new Uint8Array(lineCount + 1);
  let line = 0;
  let li = 0;
  const n = text.length;
  let i = 0;
  while (i < n) {
    if (li < literals.length && i >= (literals[li] as number)) {
      const end = literals[li + 1] as number;
      li += 2;
      if (end <= i) continue;
      code[line] = 1;
      for (; i < end; i++) {
        if (text.charCodeAt(i) === 10) {
          line++;
          code[line] = 1;
        }
      }
      continue;
    }
    const c = text.charCodeAt(i);
    if (c === 10) {
      line++;
      i++;
    } else if (c === 47 && text.charCodeAt(i + 1) === 47) {
      while (i < n && text.charCodeAt(i) !== 10) i++;
    } else if (c === 47 && text.charCodeAt(i + 1) === 42) {
      i += 2;
      while (i < n && !(text.charCodeAt(i) === 42 && text.charCodeAt(i + 1) === 47)) {
        if (text.charCodeAt(i) === 10) line++;
        i++;
      }
      i += 2;
    } else {
      if (c !== 32 && c !== 9 && c !== 13 && c !== 11 && c !== 12 && c !== 0xfeff && c !== 0xa0) code[line] = 1;
      i++;
    }
  }
  return code;
}

/**
 * Measures one file. `imports` holds the relative specifiers as written (`./a.js`); analyzeSources resolves
 * them to repository paths and drops the ones that do not resolve.
 */
export function fileMetrics(source: SourceFile, parsed?: ParsedSource): FileMetrics {
  const language = parsed?.language ?? languageOf(source.path) ?? 'ts';
  const p = parsed ?? parseSource(source.path, source.text, language);
  const sf = p.ast;
  const t = typescript();
  const S = t.SyntaxKind;
  const literals: number[] = [];
  const specifiers = new Set<string>();
  const units: { fn: FunctionLike; acc: Acc }[] = [];
  const top = newAcc();

  // the walk's context, saved and restored around nested structures (one callback for every node: no closure per node)
  let acc = top;
  let nest = 0;
  let depth = 0;
  const child = (c: TS.Node): void => visit(c);
  const within = (node: TS.Node | undefined, a: Acc, n: number, d: number): void => {
    if (node === undefined) return;
    const sa = acc;
    const sn = nest;
    const sd = depth;
    acc = a;
    nest = n;
    depth = d;
    visit(node);
    acc = sa;
    nest = sn;
    depth = sd;
  };
  const enter = (d: number): void => {
    if (d > acc.maxNesting) acc.maxNesting = d;
  };

  const visit = (node: TS.Node): void => {
    const kind = node.kind;
    if (isLiteralToken(kind)) {
      literals.push(node.getStart(sf), node.end);
      return;
    }
    if (kind === S.ImportDeclaration || kind === S.ExportDeclaration || kind === S.ImportEqualsDeclaration || kind === S.CallExpression) {
      const spec = importSpecifier(node);
      if (spec !== undefined && RELATIVE.test(spec)) specifiers.add(spec);
    }

    if (isFunctionLike(node)) {
      if (isUnit(sf, node)) {
        const own = newAcc();
        own.cyclomatic = 1;
        const name = ownName(sf, node);
        if (t.isFunctionDeclaration(node) || t.isFunctionExpression(node) || t.isArrowFunction(node)) {
          if (name !== undefined && /^[\w$]+$/.test(name)) own.selfName = name;
        } else if ((t.isMethodDeclaration(node) || t.isGetAccessorDeclaration(node) || t.isSetAccessorDeclaration(node)) && name !== undefined) {
          own.selfMethod = name.slice(name.lastIndexOf('.') + 1);
        }
        units.push({ fn: node, acc: own });
        const sa = acc;
        const sn = nest;
        const sd = depth;
        acc = own;
        nest = 0;
        depth = 0;
        t.forEachChild(node, child);
        acc = sa;
        nest = sn;
        depth = sd;
        if (own.recursive) own.cognitive += 1;
      } else {
        nest++;
        t.forEachChild(node, child);
        nest--;
      }
      return;
    }

    switch (kind) {
      case S.IfStatement:
        visitIf(node as TS.IfStatement, false, nest, depth);
        return;
      case S.ConditionalExpression: {
        const n = node as TS.ConditionalExpression;
        acc.cyclomatic++;
        acc.cognitive += 1 + nest;
        visit(n.condition);
        within(n.whenTrue, acc, nest + 1, depth);
        within(n.whenFalse, acc, nest + 1, depth);
        return;
      }
      case S.ForStatement:
      case S.ForInStatement:
      case S.ForOfStatement:
      case S.WhileStatement:
      case S.DoStatement: {
        const body = (node as TS.IterationStatement).statement;
        acc.cyclomatic++;
        acc.cognitive += 1 + nest;
        enter(depth + 1);
        t.forEachChild(node, (c) => (c === body ? within(c, acc, nest + 1, depth + 1) : visit(c)));
        return;
      }
      case S.SwitchStatement: {
        const n = node as TS.SwitchStatement;
        acc.cognitive += 1 + nest;
        enter(depth + 1);
        visit(n.expression);
        within(n.caseBlock, acc, nest + 1, depth + 1);
        return;
      }
      case S.CaseClause:
        acc.cyclomatic++;
        break;
      case S.TryStatement: {
        const n = node as TS.TryStatement;
        enter(depth + 1);
        within(n.tryBlock, acc, nest, depth + 1);
        if (n.catchClause) {
          acc.cyclomatic++;
          acc.cognitive += 1 + nest;
          within(n.catchClause.variableDeclaration, acc, nest, depth);
          within(n.catchClause.block, acc, nest + 1, depth + 1);
        }
        within(n.finallyBlock, acc, nest, depth + 1);
        return;
      }
      case S.BinaryExpression: {
        const n = node as TS.BinaryExpression;
        const k = n.operatorToken.kind;
        if (isDecisionOperator(k)) acc.cyclomatic++;
        if (isLogical(k) && isSequenceRoot(n)) {
          const ops: TS.SyntaxKind[] = [];
          flattenLogical(n, ops);
          let prev: TS.SyntaxKind | undefined;
          for (const op of ops) {
            if (op !== prev) acc.cognitive++;
            prev = op;
          }
        }
        break;
      }
      case S.BreakStatement:
      case S.ContinueStatement:
        if ((node as TS.BreakOrContinueStatement).label) acc.cognitive++;
        break;
      case S.CallExpression:
        if (!acc.recursive && (acc.selfName !== undefined || acc.selfMethod !== undefined)) {
          const callee = skipOuter((node as TS.CallExpression).expression);
          if (acc.selfName !== undefined && t.isIdentifier(callee) && callee.text === acc.selfName) acc.recursive = true;
          if (acc.selfMethod !== undefined && t.isPropertyAccessExpression(callee) && callee.expression.kind === S.ThisKeyword && callee.name.text === acc.selfMethod) {
            acc.recursive = true;
          }
        }
        break;
      default:
        break;
    }
    t.forEachChild(node, child);
  };

  /** `nest`/`depth` are those of the first `if` of an else-if chain: an else-if adds no nesting of its own. */
  const visitIf = (node: TS.IfStatement, elseIf: boolean, n: number, d: number): void => {
    acc.cyclomatic++;
    acc.cognitive += elseIf ? 1 : 1 + n;
    enter(d + 1);
    within(node.expression, acc, n, d);
    within(node.thenStatement, acc, n + 1, d + 1);
    const e = node.elseStatement;
    if (e === undefined) return;
    if (t.isIfStatement(e)) visitIf(e, true, n, d);
    else {
      acc.cognitive++;
      within(e, acc, n + 1, d + 1);
    }
  };

  t.forEachChild(sf, child);

  const lineCount = sf.getLineStarts().length;
  const code = codeLines(source.text, literals, lineCount);
  const prefix = new Uint32Array(lineCount + 2);
  for (let i = 0; i <= lineCount; i++) prefix[i + 1] = (prefix[i] as number) + (code[i] as number);
  const locBetween = (fromLine: number, toLine: number): number => (prefix[toLine] as number) - (prefix[fromLine - 1] as number);

  const functions: FunctionMetrics[] = units.map(({ fn, acc }) => {
    const line = lineOf(sf, fn.getStart(sf));
    const endLine = lineOf(sf, Math.max(fn.getStart(sf), fn.end - 1));
    const params = fn.parameters.filter((q) => !(t.isIdentifier(q.name) && q.name.text === 'this')).length;
    return { name: unitName(sf, fn), line, endLine, cyclomatic: acc.cyclomatic, cognitive: acc.cognitive, loc: locBetween(line, endLine), maxNesting: acc.maxNesting, params };
  });
  functions.sort((a, b) => a.line - b.line);

  let cyclomatic = top.cyclomatic;
  let cognitive = top.cognitive;
  let maxCyclomatic = 0;
  let maxNesting = top.maxNesting;
  for (const f of functions) {
    cyclomatic += f.cyclomatic;
    cognitive += f.cognitive;
    maxCyclomatic = Math.max(maxCyclomatic, f.cyclomatic);
    maxNesting = Math.max(maxNesting, f.maxNesting);
  }
  const metrics: FileMetrics = {
    path: source.path,
    language,
    loc: prefix[lineCount + 1] as number,
    functions,
    cyclomatic,
    maxCyclomatic,
    cognitive,
    maxNesting,
    imports: [...specifiers],
    parseErrors: p.parseErrors,
  };
  if (source.blob !== undefined) metrics.blob = source.blob;
  return metrics;
}
