/**
 * set-lookup: `arr.includes(x)` inside a loop (a for/while/do statement, or the callback of map, filter,
 * some, every, find, forEach, reduce…) scans the array on every iteration. The recipe builds
 * `const arrSet = new Set(arr);` once, just before the statement that holds the loop, and asks `arrSet.has(x)`.
 * `includes` and `Set.prototype.has` both compare with SameValueZero, so the answers are the same.
 *
 * Refuses: a receiver not shown to be an array (a string's `includes` finds substrings): it must be declared
 * with an array literal, an array-returning call (`map`, `filter`, `slice`, `split`, `Array.from`,
 * `Object.keys`…) or an array type; an array that may change inside the loop (assigned, a mutating method, an
 * element write, passed to a call, aliased, or the loop awaits); `includes(x, fromIndex)`; and an array
 * declared inside the loop.
 */
import { enclosingStatement, uniqueName, within } from '../ast.js';
import type { TextEdit } from '../edits.js';
import { declarationOf, isArrayDeclaration, loopAround, mayChange } from '../loops.js';
import { defineRecipe, type Plan, type RecipeContext, refuse } from '../recipe.js';
import { indentAt, semi } from '../style.js';
import { typescript, type TS } from '../ts.js';

function includesCall(t: typeof TS, n: TS.Node): n is TS.CallExpression {
  return t.isCallExpression(n) && t.isPropertyAccessExpression(n.expression) && n.expression.name.text === 'includes' && t.isIdentifier(n.expression.expression);
}

function plan(ctx: RecipeContext): Plan {
  const t = typescript();
  const call = ctx.at((n): n is TS.CallExpression => includesCall(t, n))[0];
  if (call === undefined) return refuse('no arr.includes(…) call starts here');
  const recv = (call.expression as TS.PropertyAccessExpression).expression as TS.Identifier;
  const name = recv.text;
  if (call.arguments.length !== 1) return refuse('includes is called with a fromIndex (or no argument)');
  const loop = loopAround(call);
  if (loop === undefined) return refuse('the call is not inside a loop or an array iteration callback');
  const decl = declarationOf(ctx, call, name);
  if (decl === undefined) return refuse(`cannot find the declaration of ${name}`);
  if (within(decl, loop.node)) return refuse(`${name} is declared inside the loop`);
  if (!isArrayDeclaration(ctx, decl)) return refuse(`cannot tell that ${name} is an array (a string's includes finds substrings)`);
  const changes = mayChange(loop.node, name);
  if (changes !== undefined) return refuse(changes);
  const stmt = enclosingStatement(loop.node);
  if (stmt === undefined) return refuse('the loop is not part of a statement');
  if (within(decl, stmt)) return refuse(`${name} is declared in the same statement as the loop`);
  const container = stmt.parent;
  if (!t.isBlock(container) && !t.isSourceFile(container) && !t.isModuleBlock(container) && !t.isCaseClause(container) && !t.isDefaultClause(container)) return refuse('the statement holding the loop is not in a block');
  // a statement that also changes the array before the loop runs (e.g. in the loop's own initializer)
  const before = mayChange(stmt, name);
  if (before !== undefined) return refuse(before);
  const setName = uniqueName(`${name}Set`, ctx.names());
  const start = stmt.getStart(ctx.sf);
  const indent = indentAt(ctx.text, start);
  const edits: TextEdit[] = [{ start, end: start, newText: `const ${setName} = new Set(${name})${semi(ctx.style)}${ctx.style.eol}${indent}` }];
  // every includes of this array in the loop
  const visit = (n: TS.Node): void => {
    if (includesCall(t, n) && ((n.expression as TS.PropertyAccessExpression).expression as TS.Identifier).text === name && n.arguments.length === 1) {
      const pa = n.expression as TS.PropertyAccessExpression;
      edits.push({ start: pa.getStart(ctx.sf), end: pa.end, newText: `${setName}.has` });
    }
    t.forEachChild(n, visit);
  };
  visit(loop.node);
  return { edits };
}

export const setLookup = defineRecipe({
  id: 'set-lookup',
  title: 'Look up in a Set instead of scanning an array in a loop',
  category: 'structural',
  addresses: { smells: [], failureTypes: ['timeout', 'blocking-io'] },
  options: [],
  plan,
});
