/** What the loop recipes share: finding the loop around a node and proving an array is not changed inside it. */
import { isFunctionLike, skipOuter } from './ast.js';
import type { RecipeContext } from './recipe.js';
import { typescript, type TS } from './ts.js';

const ITERATING = new Set(['map', 'forEach', 'filter', 'some', 'every', 'find', 'findIndex', 'findLast', 'findLastIndex', 'flatMap', 'reduce', 'reduceRight', 'sort']);
const MUTATORS = new Set(['push', 'pop', 'shift', 'unshift', 'splice', 'sort', 'reverse', 'fill', 'copyWithin', 'length']);

export type Loop = { kind: 'statement'; node: TS.IterationStatement } | { kind: 'callback'; node: TS.CallExpression; fn: TS.ArrowFunction | TS.FunctionExpression };

/** The innermost loop around a node: a for/while/do statement, or the callback of an array iteration method. */
export function loopAround(node: TS.Node): Loop | undefined {
  const t = typescript();
  for (let p: TS.Node | undefined = node.parent; p; p = p.parent) {
    if (t.isForStatement(p) || t.isForOfStatement(p) || t.isForInStatement(p) || t.isWhileStatement(p) || t.isDoStatement(p)) {
      // the initializer of a for runs once: not inside the loop
      if ((t.isForOfStatement(p) || t.isForInStatement(p)) && isInside(node, p.expression)) continue;
      if (t.isForStatement(p) && p.initializer && isInside(node, p.initializer)) continue;
      return { kind: 'statement', node: p };
    }
    if ((t.isArrowFunction(p) || t.isFunctionExpression(p)) && t.isCallExpression(p.parent) && p.parent.arguments[0] === p) {
      const callee = skipOuter(p.parent.expression);
      if (t.isPropertyAccessExpression(callee) && ITERATING.has(callee.name.text)) return { kind: 'callback', node: p.parent, fn: p };
    }
    if (isFunctionLike(p)) return undefined;
  }
  return undefined;
}

function isInside(node: TS.Node, ancestor: TS.Node): boolean {
  for (let p: TS.Node | undefined = node; p; p = p.parent) if (p === ancestor) return true;
  return false;
}

/** The region a loop repeats: the statement, or the iteration call (with its callback). */
export function loopRegion(loop: Loop): TS.Node {
  return loop.node;
}

/**
 * Why `name` may change inside `region`, or undefined when it cannot: an assignment to it, a mutating method
 * (push, splice, sort…), an element or length write, being passed to a call or captured into another
 * variable (an alias could change it), or an await/yield (other code runs in between).
 */
export function mayChange(region: TS.Node, name: string): string | undefined {
  const t = typescript();
  let why: string | undefined;
  const visit = (n: TS.Node): void => {
    if (why) return;
    if (t.isAwaitExpression(n) || t.isYieldExpression(n)) {
      why = 'the loop awaits: other code may change it in between';
      return;
    }
    if (t.isIdentifier(n) && n.text === name) {
      const p = n.parent;
      if (t.isPropertyAccessExpression(p) && p.name === n) return;
      if (t.isBinaryExpression(p) && p.left === n && p.operatorToken.kind >= t.SyntaxKind.FirstAssignment && p.operatorToken.kind <= t.SyntaxKind.LastAssignment) why = `${name} is assigned in the loop`;
      else if (t.isPropertyAccessExpression(p) && p.expression === n) {
        const gp = p.parent;
        if (MUTATORS.has(p.name.text) && ((t.isCallExpression(gp) && gp.expression === p) || (t.isBinaryExpression(gp) && gp.left === p))) why = `${name}.${p.name.text} changes it in the loop`;
      } else if (t.isElementAccessExpression(p) && p.expression === n) {
        const gp = p.parent;
        if ((t.isBinaryExpression(gp) && gp.left === p && gp.operatorToken.kind >= t.SyntaxKind.FirstAssignment && gp.operatorToken.kind <= t.SyntaxKind.LastAssignment) || t.isDeleteExpression(gp) || t.isPrefixUnaryExpression(gp) || t.isPostfixUnaryExpression(gp)) why = `an element of ${name} is written in the loop`;
      } else if ((t.isCallExpression(p) || t.isNewExpression(p)) && p.arguments?.includes(n)) why = `${name} is passed to a call in the loop, which may change it`;
      else if (t.isVariableDeclaration(p) || t.isShorthandPropertyAssignment(p) || t.isPropertyAssignment(p) || t.isArrayLiteralExpression(p) || t.isSpreadElement(p) || t.isReturnStatement(p)) {
        if (!(t.isVariableDeclaration(p) && p.name === n)) why = `${name} is aliased in the loop`;
      } else if (t.isBinaryExpression(p) && p.right === n && p.operatorToken.kind === t.SyntaxKind.EqualsToken) why = `${name} is aliased in the loop`;
      else if (t.isPostfixUnaryExpression(p) || t.isPrefixUnaryExpression(p)) {
        if (p.operator === t.SyntaxKind.PlusPlusToken || p.operator === t.SyntaxKind.MinusMinusToken) why = `${name} is assigned in the loop`;
      }
      return;
    }
    t.forEachChild(n, visit);
  };
  visit(region);
  return why;
}

/** The declaration of `name` visible at `at` (the nearest enclosing scope that declares it), if any. */
export function declarationOf(ctx: RecipeContext, at: TS.Node, name: string): TS.VariableDeclaration | TS.ParameterDeclaration | undefined {
  const t = typescript();
  for (let scope: TS.Node | undefined = at.parent; scope; scope = scope.parent) {
    let found: TS.VariableDeclaration | TS.ParameterDeclaration | undefined;
    if (isFunctionLike(scope)) for (const p of scope.parameters) if (t.isIdentifier(p.name) && p.name.text === name) found = p;
    const stmts = t.isBlock(scope) || t.isSourceFile(scope) || t.isModuleBlock(scope) ? scope.statements : undefined;
    if (stmts) {
      for (const s of stmts) {
        if (t.isVariableStatement(s)) for (const d of s.declarationList.declarations) if (t.isIdentifier(d.name) && d.name.text === name) found = d;
      }
    }
    if ((t.isForStatement(scope) && scope.initializer && t.isVariableDeclarationList(scope.initializer)) || ((t.isForOfStatement(scope) || t.isForInStatement(scope)) && t.isVariableDeclarationList(scope.initializer))) {
      const list = (scope as TS.ForStatement).initializer as TS.VariableDeclarationList;
      for (const d of list.declarations) if (t.isIdentifier(d.name) && d.name.text === name) found = d;
    }
    if (found) return found;
    if (scope === ctx.sf) break;
  }
  return undefined;
}

const ARRAY_RETURNING = /\.(map|filter|slice|concat|flat|flatMap|split|toSorted|toReversed|toSpliced|with)\(|^Array\.(from|of)\(|^Object\.(keys|values|entries)\(|^new Array\(/;

/** Can the declaration be shown to hold an array (by its initializer or its type annotation)? */
export function isArrayDeclaration(ctx: RecipeContext, decl: TS.VariableDeclaration | TS.ParameterDeclaration): boolean {
  const t = typescript();
  const type = decl.type;
  if (type !== undefined) {
    if (t.isArrayTypeNode(type)) return true;
    if (t.isTypeOperatorNode(type) && type.operator === t.SyntaxKind.ReadonlyKeyword && t.isArrayTypeNode(type.type)) return true;
    if (t.isTypeReferenceNode(type) && t.isIdentifier(type.typeName) && (type.typeName.text === 'Array' || type.typeName.text === 'ReadonlyArray')) return true;
    return false;
  }
  if (t.isParameter(decl) || decl.initializer === undefined) return false;
  const init = skipOuter(decl.initializer);
  if (t.isArrayLiteralExpression(init)) return true;
  return ARRAY_RETURNING.test(init.getText(ctx.sf).replace(/\s+/g, ''));
}
