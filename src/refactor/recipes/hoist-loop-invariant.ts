/**
 * hoist-loop-invariant: `for (let i = 0; i < arr.length; i++)` reads `arr.length` on every iteration; when
 * the length cannot change inside the loop it is read once: `for (let i = 0, n = arr.length; i < n; i++)`.
 * Also `i <= arr.length`, `arr.length > i` and `arr.length >= i`.
 *
 * Proof that the length cannot change: the receiver is a string declared with `const`, or an array that is a
 * local `const` of the same function (declared with an array literal or an array-returning call) which never
 * leaves that function — never passed to a call, returned, aliased, or used by a nested function — and the
 * loop neither writes it (assignment, push/splice/…, `length =`) nor awaits. Refuses anything else (a
 * parameter or a module-level array may be changed through another reference by a call in the loop).
 */
import { enclosingFunction, isFunctionLike, skipOuter, uniqueName, walk, within } from '../ast.js';
import { declarationOf, isArrayDeclaration, mayChange } from '../loops.js';
import { defineRecipe, type Plan, type RecipeContext, refuse } from '../recipe.js';
import { typescript, type TS } from '../ts.js';

/** `X.length` in the condition against the loop variable: the receiver identifier and the property access. */
function lengthRead(t: typeof TS, cond: TS.Expression, loopVars: Set<string>): TS.PropertyAccessExpression | undefined {
  const c = skipOuter(cond);
  if (!t.isBinaryExpression(c)) return undefined;
  const k = c.operatorToken.kind;
  const isLen = (e: TS.Expression): e is TS.PropertyAccessExpression => t.isPropertyAccessExpression(e) && e.name.text === 'length' && t.isIdentifier(e.expression);
  const isVar = (e: TS.Expression): boolean => t.isIdentifier(e) && loopVars.has(e.text);
  if ((k === t.SyntaxKind.LessThanToken || k === t.SyntaxKind.LessThanEqualsToken) && isVar(skipOuter(c.left)) && isLen(skipOuter(c.right))) return skipOuter(c.right) as TS.PropertyAccessExpression;
  if ((k === t.SyntaxKind.GreaterThanToken || k === t.SyntaxKind.GreaterThanEqualsToken) && isLen(skipOuter(c.left)) && isVar(skipOuter(c.right))) return skipOuter(c.left) as TS.PropertyAccessExpression;
  return undefined;
}

/** Does the array stay inside its function: no call gets it, no return, no alias, no nested function sees it? */
function staysLocal(fn: TS.Node, name: string, decl: TS.Node): string | undefined {
  const t = typescript();
  let why: string | undefined;
  walk(fn, (n) => {
    if (why || !t.isIdentifier(n) || n.text !== name || within(n, decl)) return;
    const p = n.parent;
    if (t.isPropertyAccessExpression(p) && p.name === n) return;
    const inner = enclosingFunction(n);
    if (inner !== fn && inner !== undefined && within(inner, fn)) {
      why = `${name} is used by a nested function, which a call in the loop could run`;
      return;
    }
    const reason = mayChange(p, name);
    if (reason !== undefined && !/assigned|changes it|written|awaits/.test(reason)) why = reason.replace(' in the loop', ' in its function');
  });
  return why;
}

function plan(ctx: RecipeContext): Plan {
  const t = typescript();
  const loop = ctx.at((n): n is TS.ForStatement => t.isForStatement(n))[0];
  if (loop === undefined) return refuse('no for (…; …; …) loop starts here');
  const init = loop.initializer;
  if (init === undefined || !t.isVariableDeclarationList(init) || !(init.flags & t.NodeFlags.Let)) return refuse('the loop does not declare its counter with let');
  if (loop.condition === undefined) return refuse('the loop has no condition');
  const vars = new Set(init.declarations.flatMap((d) => (t.isIdentifier(d.name) ? [d.name.text] : [])));
  const len = lengthRead(t, loop.condition, vars);
  if (len === undefined) return refuse('the condition does not compare the loop counter with X.length');
  const recv = len.expression as TS.Identifier;
  const name = recv.text;
  const decl = declarationOf(ctx, loop, name);
  if (decl === undefined || !t.isVariableDeclaration(decl)) return refuse(`${name} is not a local variable (a parameter or an outer array may change through another reference)`);
  const isConst = t.isVariableDeclarationList(decl.parent) && (decl.parent.flags & t.NodeFlags.Const) !== 0;
  const init0 = decl.initializer && skipOuter(decl.initializer);
  const isString = isConst && init0 !== undefined && (t.isStringLiteralLike(init0) || t.isTemplateExpression(init0));
  if (!isString) {
    if (!isConst) return refuse(`${name} is not declared with const`);
    if (!isArrayDeclaration(ctx, decl)) return refuse(`cannot tell that ${name} is an array or a string`);
    const fn = enclosingFunction(loop);
    if (fn === undefined || enclosingFunction(decl) !== fn || !isFunctionLike(fn)) return refuse(`${name} is not a local of the function that holds the loop`);
    const local = staysLocal(fn, name, decl);
    if (local !== undefined) return refuse(local);
    const changes = mayChange(loop, name);
    if (changes !== undefined) return refuse(changes);
  }
  const taken = new Set(ctx.names());
  const n = ['n', 'len', `${name}Length`].find((c) => !taken.has(c)) ?? uniqueName(`${name}Length`, taken);
  const lastDecl = init.declarations[init.declarations.length - 1] as TS.VariableDeclaration;
  return {
    edits: [
      { start: lastDecl.end, end: lastDecl.end, newText: `, ${n} = ${len.getText(ctx.sf)}` },
      { start: len.getStart(ctx.sf), end: len.end, newText: n },
    ],
  };
}

export const hoistLoopInvariant = defineRecipe({
  id: 'hoist-loop-invariant',
  title: 'Read an array length once instead of on every iteration',
  category: 'structural',
  addresses: { smells: [], failureTypes: ['timeout'] },
  options: [],
  plan,
});
