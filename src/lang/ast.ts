/**
 * AST helpers every stage that reads code shares: functions, wrappers around expressions, walking, locations,
 * and the module bindings of a file (which local name came from which package). The analyze and refactor
 * stages re-export these through their own `ast.ts`, next to their stage-specific helpers.
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

/** The nearest function-like ancestor (not the node itself). */
export function enclosingFunction(node: TS.Node): FunctionLike | undefined {
  for (let p = node.parent; p; p = p.parent) if (isFunctionLike(p)) return p;
  return undefined;
}

export function isAsync(fn: FunctionLike): boolean {
  const t = typescript();
  return (t.getCombinedModifierFlags(fn) & t.ModifierFlags.Async) !== 0;
}

function isOuterWrapper(t: typeof TS, n: TS.Node): n is TS.ParenthesizedExpression | TS.AsExpression | TS.SatisfiesExpression | TS.NonNullExpression | TS.TypeAssertion {
  return t.isParenthesizedExpression(n) || t.isAsExpression(n) || t.isSatisfiesExpression(n) || t.isNonNullExpression(n) || t.isTypeAssertionExpression(n);
}

/** Strips parentheses, type assertions and non-null assertions. */
export function skipOuter(e: TS.Expression): TS.Expression {
  const t = typescript();
  while (isOuterWrapper(t, e)) e = e.expression;
  return e;
}

/** The parent, skipping parentheses and type assertions around the node. */
export function outerParent(node: TS.Node): { node: TS.Node; parent: TS.Node } {
  const t = typescript();
  let cur = node;
  let p = node.parent;
  while (isOuterWrapper(t, p)) {
    cur = p;
    p = p.parent;
  }
  return { node: cur, parent: p };
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

/** The name of the method a call invokes (`a.b.c()` → c, `f()` → f). */
export function calleeName(c: TS.CallExpression | TS.NewExpression): string | undefined {
  const t = typescript();
  const e = skipOuter(c.expression);
  if (t.isIdentifier(e)) return e.text;
  if (t.isPropertyAccessExpression(e)) return e.name.text;
  return undefined;
}

// ---------------------------------------------------------------------------------------------------------
// Locations and names

/** 1-based line and column of a node's first token. */
export function position(sf: TS.SourceFile, node: TS.Node): { line: number; col: number } {
  const lc = sf.getLineAndCharacterOfPosition(node.getStart(sf));
  return { line: lc.line + 1, col: lc.character + 1 };
}

/** 1-based line of an offset. */
export function lineOf(sf: TS.SourceFile, pos: number): number {
  return sf.getLineAndCharacterOfPosition(pos).line + 1;
}

/** The text of a property name: `x`, `#x`, `'x'` → x, `[Symbol.iterator]`. */
export function propertyNameText(sf: TS.SourceFile, name: TS.PropertyName): string {
  const t = typescript();
  if (t.isIdentifier(name) || t.isPrivateIdentifier(name) || t.isStringLiteral(name) || t.isNumericLiteral(name) || t.isNoSubstitutionTemplateLiteral(name)) {
    return name.text;
  }
  return name.getText(sf);
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

/** Adds the bindings one declaration introduces (imports, `import x = require()`, `const x = require()`). */
export function addBindings(node: TS.Node, out: Map<string, Binding>): void {
  const t = typescript();
  if (t.isImportDeclaration(node) && t.isStringLiteral(node.moduleSpecifier)) {
    const clause = node.importClause;
    if (!clause || clause.isTypeOnly) return;
    const module = normalizeModule(node.moduleSpecifier.text);
    if (clause.name) out.set(clause.name.text, { module, name: 'default', decl: node });
    const nb = clause.namedBindings;
    if (nb && t.isNamespaceImport(nb)) out.set(nb.name.text, { module, name: '*', decl: node });
    if (nb && t.isNamedImports(nb)) {
      for (const el of nb.elements) if (!el.isTypeOnly) out.set(el.name.text, { module, name: (el.propertyName ?? el.name).text, decl: node });
    }
    return;
  }
  if (t.isImportEqualsDeclaration(node) && t.isExternalModuleReference(node.moduleReference) && t.isStringLiteral(node.moduleReference.expression)) {
    out.set(node.name.text, { module: normalizeModule(node.moduleReference.expression.text), name: '*', decl: node });
    return;
  }
  if (t.isVariableDeclaration(node) && node.initializer) {
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
}

/** The module bindings of a file: imports, `import x = require()`, `const x = require()` (any depth). */
export function moduleBindings(sf: TS.SourceFile): Map<string, Binding> {
  const out = new Map<string, Binding>();
  walk(sf, (node) => addBindings(node, out));
  return out;
}

/** A callee traced to a module: `http.request` → {module: 'http', members: ['request']}. */
export interface ModuleRef {
  module: string;
  members: string[];
  /** the binding the callee's root name came from (absent for an inline `require('m').x`) */
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
  if (!t.isIdentifier(e)) {
    const m = requiredModule(e);
    return m === undefined ? undefined : { module: m, members };
  }
  const b = bindings.get(e.text);
  if (!b) return undefined;
  if (b.name !== '*' && b.name !== 'default') members.unshift(b.name);
  return { module: b.module, members, binding: b };
}
