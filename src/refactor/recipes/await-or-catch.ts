/**
 * await-or-catch: a promise used as a statement — neither awaited, returned nor caught — rejects into an
 * unhandledRejection, which ends the process (Node ≥ 15). Inside an async function (or at the top level of
 * an ES module, .mjs/.mts) the recipe awaits it: the caller now waits for it and its failure reaches the
 * caller. Elsewhere (a synchronous function, a constructor, CommonJS top level) it appends
 * `.catch(reportRejection)`, a local helper that reports the failure on stderr: the background task still
 * runs on its own, and its failure no longer ends the process.
 *
 * Refuses: a statement that already handles rejection (`.catch(…)`, `.then(ok, fail)`), `void p`, anything
 * that is not a call used as a statement.
 */
import { enclosingFunction, isAsync, outerParent, skipOuter } from '../ast.js';
import { ensureHelper } from '../helpers.js';
import { defineRecipe, type Plan, type RecipeContext, refuse } from '../recipe.js';
import { typescript, type TS } from '../ts.js';

const ID = 'await-or-catch';

function handlesRejection(call: TS.CallExpression): boolean {
  const t = typescript();
  const callee = skipOuter(call.expression);
  if (!t.isPropertyAccessExpression(callee)) return false;
  return callee.name.text === 'catch' || (callee.name.text === 'then' && call.arguments.length >= 2);
}

function plan(ctx: RecipeContext): Plan {
  const t = typescript();
  let stmt = ctx.at((n): n is TS.ExpressionStatement => t.isExpressionStatement(n))[0];
  if (stmt === undefined) {
    const calls = ctx.at((n): n is TS.CallExpression => t.isCallExpression(n));
    for (const c of calls) {
      const { parent } = outerParent(c);
      if (t.isExpressionStatement(parent)) {
        stmt = parent;
        break;
      }
    }
    if (stmt === undefined) {
      const p = calls[0] && outerParent(calls[0]).parent;
      if (p !== undefined && t.isAwaitExpression(p)) return refuse('the promise is already awaited');
      if (p !== undefined && t.isVoidExpression(p)) return refuse('the promise is explicitly ignored with void');
      if (p !== undefined) return refuse('the call is not used as a statement (its promise is returned, stored or passed on)');
      return refuse('no call statement starts here');
    }
  }
  const expr = skipOuter(stmt.expression);
  if (t.isAwaitExpression(expr)) return refuse('the promise is already awaited');
  if (t.isVoidExpression(expr)) return refuse('the promise is explicitly ignored with void');
  if (!t.isCallExpression(expr)) return refuse('the statement is not a call');
  if (handlesRejection(expr)) return refuse('the statement already handles rejection (.catch or .then with a rejection handler)');
  const fn = enclosingFunction(stmt);
  const esmTop = fn === undefined && /\.m[jt]s$/.test(ctx.path);
  if ((fn !== undefined && isAsync(fn)) || esmTop) {
    const start = stmt.expression.getStart(ctx.sf);
    return { edits: [{ start, end: start, newText: 'await ' }] };
  }
  const helper = ensureHelper(
    ctx,
    ID,
    ['reportRejection'],
    (names, typed) => `function ${names.reportRejection}(err${typed ? ': unknown' : ''})${typed ? ': void' : ''} {
  console.error('a background task failed:', err);
}`,
    'reports the failure of a promise nobody awaits instead of letting it end the process.',
  );
  const end = stmt.expression.end;
  return { edits: [...helper.edits, { start: end, end, newText: `.catch(${helper.names.reportRejection})` }] };
}

export const awaitOrCatch = defineRecipe({
  id: ID,
  title: 'Await a floating promise, or catch its rejection',
  category: 'resilience',
  addresses: { smells: ['floating-promise'], failureTypes: ['unhandled-error', 'crash'] },
  options: [],
  plan,
});
