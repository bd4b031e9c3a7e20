/**
 * AST helpers the recipes share: finding the node a location points at, functions and their async-ness,
 * module bindings (which local name came from which package), names in use, expressions without side effects.
 */
import { typescript, type TS } from './ts.js';

export type FunctionLike =
  | TS.FunctionDeclaration
  | TS.MethodDeclaration
  | TS.ConstructorDeclaration
  | TS.GetAccessorDeclaration
  | TS.SetAccessorDeclaration
  | TS.ArrowFunction
  | TS.FunctionExpression;

export function isFunctionLike(n: TS.Node): n is FunctionLike {
  const t = typescript();
  return (
    t.isFunctionDeclaration(n) ||
    t.isMethodDeclaration(n) ||
    t.isConstructorDeclaration(n) ||
    t.isGetAccessorDeclaration(n) ||
    t.isSetAccessorDeclaration(n) ||
    t.isArrowFunction(n) ||
    t.isFunctionExpression(n)
  );
}

/** Strips parentheses, type assertions and non-null assertions. */
export function skipOuter(e: TS.Expression): TS.Expression {
  const t = typescript();
  for (;;) {
    if (t.isParenthesizedExpression(e) || t.isAsExpression(e) || t.isSatisfiesExpression(e) || t.isNonNullExpression(e) || t.isTypeAssertionExpression(e)) e = e.expression;
    else return e;
  }
}

/** The parent, skipping parentheses and type assertions around the node. */
export function outerParent(node: TS.Node): { node: TS.Node; parent: TS.Node } {
  const t = typescript();
  let cur = node;
  let p = node.parent;
  while (t.isParenthesizedExpression(p) || t.isAsExpression(p) || t.isSatisfiesExpression(p) || t.isNonNullExpression(p) || t.isTypeAssertionExpression(p)) {
    cur = p;
    p = p.parent;
  }
  return { node: cur, parent: p };
}

/** The nearest function-like ancestor (not the node itself). */
export function enclosingFunction(node: TS.Node): FunctionLike | undefined {
  for (let p = node.parent; p; p = p.parent) if (isFunctionLike(p)) return p;
  return undefined;
}

export function isAsync(fn: FunctionLike): boolean {
  const t = typescript();
  return (t.getCombinedModifierFlags(fn) & t.ModifierFlags.Async) !== 0;
}

/** Is `node` inside `ancestor` (or the same node)? */
export function within(node: TS.Node, ancestor: TS.Node): boolean {
  for (let p: TS.Node | undefined = node; p; p = p.parent) if (p === ancestor) return true;
  return false;
}

/** Every node of the tree in document order (parents before children). */
export function walk(root: TS.Node, visit: (n: TS.Node) => void): void {
  const t = typescript();
  const go = (n: TS.Node): void => {
    visit(n);
    t.forEachChild(n, go);
  };
  go(root);
}

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
// Module bindings

/** Where a local name came from: `module` (without `node:`) and the export (`*`, `default`, or a named export). */
export interface Binding {
  module: string;
  name: string;
  /** the declaration that introduced it */
  decl: TS.Node;
}

function normalizeModule(spec: string): string {
  return spec.startsWith('node:') ? spec.slice(5) : spec;
}

/** `require('m')` / `await import('m')` → 'm' */
export function requiredModule(e: TS.Expression): string | undefined {
  const t = typescript();
  e = skipOuter(e);
  if (t.isAwaitExpression(e)) e = skipOuter(e.expression);
  if (!t.isCallExpression(e) || e.arguments.length !== 1) return undefined;
  const arg = e.arguments[0] as TS.Expression;
  if (!t.isStringLiteralLike(arg)) return undefined;
  if (t.isIdentifier(e.expression) && e.expression.text === 'require') return normalizeModule(arg.text);
  if (e.expression.kind === t.SyntaxKind.ImportKeyword) return normalizeModule(arg.text);
  return undefined;
}

/** The module bindings of a file: imports, `import x = require()`, `const x = require()` (any depth). */
export function moduleBindings(sf: TS.SourceFile): Map<string, Binding> {
  const t = typescript();
  const out = new Map<string, Binding>();
  walk(sf, (node) => {
    if (t.isImportDeclaration(node) && t.isStringLiteral(node.moduleSpecifier)) {
      const clause = node.importClause;
      if (!clause || clause.isTypeOnly) return;
      const module = normalizeModule(node.moduleSpecifier.text);
      if (clause.name) out.set(clause.name.text, { module, name: 'default', decl: node });
      const nb = clause.namedBindings;
      if (nb && t.isNamespaceImport(nb)) out.set(nb.name.text, { module, name: '*', decl: node });
      if (nb && t.isNamedImports(nb)) for (const el of nb.elements) if (!el.isTypeOnly) out.set(el.name.text, { module, name: (el.propertyName ?? el.name).text, decl: node });
    } else if (t.isImportEqualsDeclaration(node) && t.isExternalModuleReference(node.moduleReference) && t.isStringLiteral(node.moduleReference.expression)) {
      out.set(node.name.text, { module: normalizeModule(node.moduleReference.expression.text), name: '*', decl: node });
    } else if (t.isVariableDeclaration(node) && node.initializer) {
      let init = skipOuter(node.initializer);
      let member: string | undefined;
      if (t.isPropertyAccessExpression(init)) {
        member = init.name.text;
        init = init.expression;
      }
      const module = requiredModule(init);
      if (module === undefined) return;
      if (t.isIdentifier(node.name)) out.set(node.name.text, { module, name: member ?? '*', decl: node });
      else if (t.isObjectBindingPattern(node.name) && member === undefined) {
        for (const el of node.name.elements) {
          if (!t.isIdentifier(el.name) || el.dotDotDotToken) continue;
          const prop = el.propertyName ? (t.isIdentifier(el.propertyName) || t.isStringLiteral(el.propertyName) ? el.propertyName.text : undefined) : el.name.text;
          if (prop !== undefined) out.set(el.name.text, { module, name: prop, decl: node });
        }
      }
    }
  });
  return out;
}

/** A callee traced to a module: `http.request` → {module: 'http', members: ['request']}. */
export interface ModuleRef {
  module: string;
  members: string[];
  binding?: Binding;
}

export function moduleRef(e: TS.Expression, bindings: ReadonlyMap<string, Binding>): ModuleRef | undefined {
  const t = typescript();
  const members: string[] = [];
  e = skipOuter(e);
  while (t.isPropertyAccessExpression(e)) {
    members.unshift(e.name.text);
    e = skipOuter(e.expression);
  }
  let b: Binding | undefined;
  if (t.isIdentifier(e)) b = bindings.get(e.text);
  else {
    const m = requiredModule(e);
    if (m !== undefined) return { module: m, members };
  }
  if (!b) return undefined;
  if (b.name !== '*' && b.name !== 'default') members.unshift(b.name);
  return { module: b.module, members, binding: b };
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

const LISTENER_METHODS = new Set(['on', 'once', 'addListener', 'prependListener', 'prependOnceListener']);
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
