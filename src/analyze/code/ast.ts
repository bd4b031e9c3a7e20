/**
 * Shared AST helpers for metrics and smells: which functions are measured on their own ("units") and how
 * they are named, locations, and the module bindings of a file (which local name came from which package).
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

/** 1-based line and column of a node's first token. */
export function position(sf: TS.SourceFile, node: TS.Node): { line: number; col: number } {
  const lc = sf.getLineAndCharacterOfPosition(node.getStart(sf));
  return { line: lc.line + 1, col: lc.character + 1 };
}

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

function className(cls: TS.ClassLikeDeclaration): string {
  const t = typescript();
  if (cls.name) return cls.name.text;
  const p = cls.parent;
  if (p && t.isVariableDeclaration(p) && t.isIdentifier(p.name)) return p.name.text;
  if (p && t.isExportAssignment(p)) return 'default';
  if (t.isClassDeclaration(cls)) return 'default';
  return '<class>';
}

function objectName(obj: TS.ObjectLiteralExpression): string | undefined {
  const t = typescript();
  const p = obj.parent;
  if (p && t.isVariableDeclaration(p) && t.isIdentifier(p.name)) return p.name.text;
  return undefined;
}

/** `a.prototype.b` → `a.b`, `module.exports.b` / `exports.b` → `b`. */
function assignedName(sf: TS.SourceFile, left: TS.Expression): string {
  return left
    .getText(sf)
    .replace(/\s+/g, '')
    .replace(/\.prototype\./g, '.')
    .replace(/^(module\.exports|exports)\./, '');
}

function memberName(member: TS.Node, name: string): string {
  const t = typescript();
  const owner = member.parent;
  if (owner && t.isClassLike(owner)) return `${className(owner)}.${name}`;
  if (owner && t.isObjectLiteralExpression(owner)) {
    const obj = objectName(owner);
    return obj === undefined ? name : `${obj}.${name}`;
  }
  return name;
}

/**
 * The name a function gets from its own declaration or from what it is assigned to, or undefined for an
 * anonymous callback. Functions with a name are measured on their own; anonymous ones are folded into the
 * function around them (as SonarSource's cognitive complexity does with lambdas), unless they are at the top
 * level, where they are measured on their own as `<anonymous>@line`.
 */
export function ownName(sf: TS.SourceFile, fn: FunctionLike): string | undefined {
  const t = typescript();
  if (t.isFunctionDeclaration(fn)) return fn.name?.text ?? 'default';
  if (t.isConstructorDeclaration(fn)) return memberName(fn, 'constructor');
  if (t.isMethodDeclaration(fn) || t.isGetAccessorDeclaration(fn) || t.isSetAccessorDeclaration(fn)) {
    return memberName(fn, propertyNameText(sf, fn.name));
  }
  let p: TS.Node = fn.parent;
  while (t.isParenthesizedExpression(p) || t.isAsExpression(p) || t.isSatisfiesExpression(p) || t.isTypeAssertionExpression(p)) p = p.parent;
  if (t.isVariableDeclaration(p) && p.initializer !== undefined && t.isIdentifier(p.name)) return p.name.text;
  if (t.isPropertyAssignment(p)) return memberName(p, propertyNameText(sf, p.name));
  if (t.isPropertyDeclaration(p)) return memberName(p, propertyNameText(sf, p.name));
  if (t.isBinaryExpression(p) && p.operatorToken.kind === t.SyntaxKind.EqualsToken && skipOuter(p.right) === fn && (t.isIdentifier(p.left) || t.isPropertyAccessExpression(p.left) || t.isElementAccessExpression(p.left))) {
    return assignedName(sf, p.left);
  }
  if (t.isExportAssignment(p)) return 'default';
  if (t.isFunctionExpression(fn) && fn.name) return fn.name.text;
  return undefined;
}

/** The nearest function-like ancestor (not the node itself). */
export function parentFunction(node: TS.Node): FunctionLike | undefined {
  for (let p = node.parent; p; p = p.parent) if (isFunctionLike(p)) return p;
  return undefined;
}

/** Is this function measured on its own (it has a name, or no function around it)? */
export function isUnit(sf: TS.SourceFile, fn: FunctionLike): boolean {
  return ownName(sf, fn) !== undefined || parentFunction(fn) === undefined;
}

/** The measured function that contains a node (the node itself when it is one), or undefined at the top level. */
export function enclosingUnit(sf: TS.SourceFile, node: TS.Node): FunctionLike | undefined {
  for (let p: TS.Node | undefined = node; p; p = p.parent) if (isFunctionLike(p) && isUnit(sf, p)) return p;
  return undefined;
}

export function unitName(sf: TS.SourceFile, fn: FunctionLike): string {
  return ownName(sf, fn) ?? `<anonymous>@${lineOf(sf, fn.getStart(sf))}`;
}

/** The name of the measured function around a node, or undefined at the top level. */
export function enclosingName(sf: TS.SourceFile, node: TS.Node): string | undefined {
  const u = enclosingUnit(sf, node);
  return u === undefined ? undefined : unitName(sf, u);
}

/** Strips parentheses and type assertions. */
export function skipOuter(e: TS.Expression): TS.Expression {
  const t = typescript();
  for (;;) {
    if (t.isParenthesizedExpression(e) || t.isAsExpression(e) || t.isSatisfiesExpression(e) || t.isNonNullExpression(e) || t.isTypeAssertionExpression(e)) e = e.expression;
    else return e;
  }
}

// ---------------------------------------------------------------------------------------------------------
// Module bindings

/** Where a local name came from: `module` (without `node:`), and the export (`*` for the whole module, `default`, or a named export). */
export interface Binding {
  module: string;
  name: string;
}

function normalizeModule(spec: string): string {
  return spec.startsWith('node:') ? spec.slice(5) : spec;
}

/** `require('m')` → 'm' */
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
    if (clause.name) out.set(clause.name.text, { module, name: 'default' });
    const nb = clause.namedBindings;
    if (nb && t.isNamespaceImport(nb)) out.set(nb.name.text, { module, name: '*' });
    if (nb && t.isNamedImports(nb)) {
      for (const el of nb.elements) if (!el.isTypeOnly) out.set(el.name.text, { module, name: (el.propertyName ?? el.name).text });
    }
    return;
  }
  if (t.isImportEqualsDeclaration(node) && t.isExternalModuleReference(node.moduleReference) && t.isStringLiteral(node.moduleReference.expression)) {
    out.set(node.name.text, { module: normalizeModule(node.moduleReference.expression.text), name: '*' });
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
    if (t.isIdentifier(node.name)) out.set(node.name.text, { module, name: member ?? '*' });
    else if (t.isObjectBindingPattern(node.name) && member === undefined) {
      for (const el of node.name.elements) {
        if (!t.isIdentifier(el.name) || el.dotDotDotToken) continue;
        const prop = el.propertyName ? (t.isIdentifier(el.propertyName) || t.isStringLiteral(el.propertyName) ? el.propertyName.text : undefined) : el.name.text;
        if (prop !== undefined) out.set(el.name.text, { module, name: prop });
      }
    }
  }
}

/** A callee traced to a module: `http.request` → {module: 'http', members: ['request']}. */
export interface ModuleRef {
  module: string;
  members: string[];
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
    if (m !== undefined) b = { module: m, name: '*' };
  }
  if (!b) return undefined;
  if (b.name !== '*' && b.name !== 'default') members.unshift(b.name);
  return { module: b.module, members };
}

/** Property names of an object literal; undefined when it has a spread (its keys are unknown). */
export function literalKeys(sf: TS.SourceFile, obj: TS.ObjectLiteralExpression): Set<string> | undefined {
  const t = typescript();
  const keys = new Set<string>();
  for (const p of obj.properties) {
    if (t.isSpreadAssignment(p)) return undefined;
    if (p.name === undefined) continue;
    if (t.isComputedPropertyName(p.name)) return undefined;
    keys.add(propertyNameText(sf, p.name));
  }
  return keys;
}
