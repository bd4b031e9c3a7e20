/**
 * AST helpers for metrics and smells: which functions are measured on their own ("units") and how they are
 * named, and object-literal keys. The helpers every stage shares (functions, locations, module bindings) come
 * from the language layer (src/lang/ast.ts) and are re-exported here.
 */
import { enclosingFunction, type FunctionLike, isFunctionLike, lineOf, propertyNameText, skipOuter } from '../../lang/ast.js';
import { typescript, type TS } from './ts.js';

export {
  addBindings,
  type Binding,
  calleeName,
  enclosingFunction,
  type FunctionLike,
  isFunctionLike,
  lineOf,
  moduleBindings,
  moduleRef,
  type ModuleRef,
  position,
  propertyNameText,
  requiredModule,
  skipOuter,
  walk,
  within,
} from '../../lang/ast.js';

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
export const parentFunction: (node: TS.Node) => FunctionLike | undefined = enclosingFunction;

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
