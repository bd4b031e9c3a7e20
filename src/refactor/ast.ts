/**
 * AST helpers the recipes share: finding the node a location points at, names in use, expressions without
 * side effects, where a throw escapes to. The helpers every stage shares (functions and their async-ness,
 * walking, module bindings) come from the language layer (src/lang/ast.ts) and are re-exported here.
 */
import { type FunctionLike, outerParent, skipOuter, walk } from '../lang/ast.js';
import { LISTENER_METHODS } from '../lang/patterns.js';
import { typescript, type TS } from './ts.js';

export {
  type Binding,
  calleeName,
  enclosingFunction,
  type FunctionLike,
  isAsync,
  isFunctionLike,
  moduleBindings,
  moduleRef,
  type ModuleRef,
  outerParent,
  requiredModule,
  skipOuter,
  walk,
  within,
} from '../lang/ast.js';

/** Nodes matching `pred` whose first token starts at `offset` (outermost first). */
export function nodesStartingAt<T extends TS.Node>(sf: TS.SourceFile, offset: number, pred: (n: TS.Node) => n is T): T[] {
  const t = typescript();
  const out: T[] = [];
  const go = (n: TS.Node): void => {
    if (n.pos > offset || n.end < offset) return;
    if (n !== sf && n.getStart(sf) === offset && pred(n)) out.push(n);
    t.forEachChild(n, go);
  };
  go(sf);
  return out;
}

/** Nodes matching `pred` whose first token is on a 0-based line (document order, outer before inner). */
export function nodesOnLine<T extends TS.Node>(sf: TS.SourceFile, line0: number, pred: (n: TS.Node) => n is T): T[] {
  const t = typescript();
  const from = sf.getPositionOfLineAndCharacter(line0, 0);
  const lines = sf.getLineStarts();
  const to = line0 + 1 < lines.length ? (lines[line0 + 1] as number) : sf.text.length + 1;
  const out: T[] = [];
  const go = (n: TS.Node): void => {
    if (n.end < from || n.pos >= to) return;
    if (n !== sf) {
      const s = n.getStart(sf);
      if (s >= from && s < to && pred(n)) out.push(n);
    }
    t.forEachChild(n, go);
  };
  go(sf);
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// Names

/** Every identifier text in the file (declared or used): a new name must avoid all of them. */
export function namesInFile(sf: TS.SourceFile): Set<string> {
  const t = typescript();
  const out = new Set<string>();
  walk(sf, (n) => {
    if (t.isIdentifier(n) || t.isPrivateIdentifier(n)) out.add(n.text);
  });
  return out;
}

/** `base`, or `base2`, `base3`… whichever the file does not use yet. */
export function uniqueName(base: string, taken: ReadonlySet<string>): string {
  if (!taken.has(base)) return base;
  for (let i = 2; ; i++) if (!taken.has(`${base}${i}`)) return `${base}${i}`;
}

/** Is the name declared (var/let/const/function/class/param/import) anywhere in the file? */
export function isDeclared(sf: TS.SourceFile, name: string): boolean {
  const t = typescript();
  let found = false;
  walk(sf, (n) => {
    if (found) return;
    const named = n as TS.Node & { name?: TS.Node };
    if (
      (t.isVariableDeclaration(n) || t.isFunctionDeclaration(n) || t.isClassDeclaration(n) || t.isParameter(n) || t.isBindingElement(n) || t.isImportSpecifier(n) || t.isImportClause(n) || t.isNamespaceImport(n) || t.isImportEqualsDeclaration(n)) &&
      named.name !== undefined &&
      t.isIdentifier(named.name) &&
      named.name.text === name
    )
      found = true;
  });
  return found;
}

// ---------------------------------------------------------------------------------------------------------
// Side effects

const PURE_GLOBAL_CALLS = /^(String|Number|Boolean|encodeURIComponent|encodeURI|JSON\.stringify|AbortSignal\.timeout|Math\.\w+|Object\.freeze)$/;

/**
 * An expression whose evaluation has no side effect a second evaluation (or none) could reveal: literals,
 * names, `this`, property reads, templates and operators over those, object/array literals of those, and a
 * few pure built-ins (`JSON.stringify`, `encodeURIComponent`, `String`, `AbortSignal.timeout`, `new URL`,
 * `Math.*`). Getters with side effects are not seen.
 */
export function isPure(e: TS.Expression, sf: TS.SourceFile): boolean {
  const t = typescript();
  e = skipOuter(e);
  if (t.isIdentifier(e) || t.isLiteralExpression(e) || t.isNoSubstitutionTemplateLiteral(e)) return true;
  const k = e.kind;
  if (k === t.SyntaxKind.ThisKeyword || k === t.SyntaxKind.TrueKeyword || k === t.SyntaxKind.FalseKeyword || k === t.SyntaxKind.NullKeyword) return true;
  if (t.isPropertyAccessExpression(e)) return isPure(e.expression, sf);
  if (t.isElementAccessExpression(e)) return isPure(e.expression, sf) && isPure(e.argumentExpression, sf);
  if (t.isTemplateExpression(e)) return e.templateSpans.every((s) => isPure(s.expression, sf));
  if (t.isPrefixUnaryExpression(e)) return e.operator !== t.SyntaxKind.PlusPlusToken && e.operator !== t.SyntaxKind.MinusMinusToken && isPure(e.operand, sf);
  if (t.isTypeOfExpression(e)) return isPure(e.expression, sf);
  if (t.isBinaryExpression(e)) {
    const op = e.operatorToken.kind;
    if (op >= t.SyntaxKind.FirstAssignment && op <= t.SyntaxKind.LastAssignment) return false;
    return isPure(e.left, sf) && isPure(e.right, sf);
  }
  if (t.isConditionalExpression(e)) return isPure(e.condition, sf) && isPure(e.whenTrue, sf) && isPure(e.whenFalse, sf);
  if (t.isObjectLiteralExpression(e)) {
    return e.properties.every((p) => {
      if (t.isPropertyAssignment(p)) return (!t.isComputedPropertyName(p.name) || isPure(p.name.expression, sf)) && isPure(p.initializer, sf);
      if (t.isShorthandPropertyAssignment(p)) return true;
      if (t.isSpreadAssignment(p)) return isPure(p.expression, sf);
      return t.isMethodDeclaration(p);
    });
  }
  if (t.isArrayLiteralExpression(e)) return e.elements.every((x) => (t.isSpreadElement(x) ? isPure(x.expression, sf) : t.isOmittedExpression(x) || isPure(x, sf)));
  if (t.isArrowFunction(e) || t.isFunctionExpression(e)) return true;
  if (t.isCallExpression(e)) return PURE_GLOBAL_CALLS.test(e.expression.getText(sf).replace(/\s+/g, '')) && e.arguments.every((a) => isPure(a, sf));
  if (t.isNewExpression(e)) return t.isIdentifier(e.expression) && (e.expression.text === 'URL' || e.expression.text === 'URLSearchParams') && (e.arguments ?? []).every((a) => isPure(a, sf));
  return false;
}

/** The names a binding pattern declares. */
export function boundNames(name: TS.BindingName): string[] {
  const t = typescript();
  if (t.isIdentifier(name)) return [name.text];
  const out: string[] = [];
  for (const el of name.elements) if (!t.isOmittedExpression(el)) out.push(...boundNames(el.name));
  return out;
}

const TIMERS = /^(setTimeout|setInterval|setImmediate|queueMicrotask|process\.nextTick)$/;

/**
 * Why a throw inside this function would escape to the event loop (and crash the process) rather than reach
 * a caller: it is an event listener, a timer callback, or an error-first callback. Undefined otherwise.
 */
export function throwEscapes(fn: FunctionLike, sf: TS.SourceFile): string | undefined {
  const t = typescript();
  const { node, parent } = outerParent(fn);
  if (!t.isCallExpression(parent) || !parent.arguments.includes(node as TS.Expression)) return undefined;
  const callee = skipOuter(parent.expression);
  if (t.isPropertyAccessExpression(callee) && LISTENER_METHODS.has(callee.name.text)) return `it is an event listener (.${callee.name.text}(…))`;
  if (TIMERS.test(callee.getText(sf).replace(/\s+/g, ''))) return `it is a ${callee.getText(sf)} callback`;
  const p0 = fn.parameters[0];
  if (p0 !== undefined && t.isIdentifier(p0.name) && /^(err|error|e|er)$/.test(p0.name.text)) return 'it is an error-first callback';
  return undefined;
}

/** The statement a node belongs to (the node itself when it is one). */
export function enclosingStatement(node: TS.Node): TS.Statement | undefined {
  const t = typescript();
  for (let p: TS.Node | undefined = node; p; p = p.parent) if (t.isStatement(p) || t.isVariableStatement(p)) return p as TS.Statement;
  return undefined;
}
