/**
 * handle-error: a catch that makes an error disappear (an empty block, or one that only logs) rethrows it
 * after what it already does, so the caller learns the operation failed: `catch (e) { log(e) }` →
 * `catch (e) { log(e); throw e; }`; `catch { log() }` gets a binding. A `.catch(cb)` whose callback is empty or only
 * logs rethrows from the callback too, when the chain is awaited or returned (so the rejection reaches a
 * caller).
 *
 * Refuses: a catch that falls through to a fallback on purpose (`try { …; return x } catch {} <fallback>`),
 * an empty catch that holds a comment (a documented decision), any other empty catch (`catch {}` is a deliberate
 * ignore, and `catch (e) { throw e; }` would be a catch that does nothing — eslint's no-useless-catch — so the fix
 * is to remove the try/catch or to log, a choice for a person), an empty `.catch(() => {})` (a deliberate ignore), a catch inside an event listener, timer or
 * error-first callback (a rethrow there ends the process), a catch whose binding is a destructuring pattern,
 * and a `.catch(cb)` chain that is neither awaited nor returned (the rethrow would become an unhandled
 * rejection).
 */
import { enclosingFunction, isFunctionLike, outerParent, skipOuter, throwEscapes, uniqueName } from '../ast.js';
import { fallsThroughToFallback, hasComment, isLogCall, onlyLogs } from '../../lang/patterns.js';
import { defineRecipe, type Plan, type RecipeContext, refuse, type TextEdit } from '../recipe.js';
import { indentAt, semi } from '../style.js';
import { typescript, type TS } from '../ts.js';

/** Names used inside a node (a new binding must not capture one of them). */
function namesIn(node: TS.Node): Set<string> {
  const t = typescript();
  const out = new Set<string>();
  const visit = (n: TS.Node): void => {
    if (t.isIdentifier(n)) out.add(n.text);
    t.forEachChild(n, visit);
  };
  visit(node);
  return out;
}

/** Edits that append `throw <name>;` as the last statement of a block, in its layout. */
function appendThrow(ctx: RecipeContext, block: TS.Block, name: string): TextEdit[] {
  const { text, sf, style } = ctx;
  const stmt = `throw ${name}${semi(style)}`;
  const open = block.getStart(sf);
  const close = block.end - 1;
  const last = block.statements[block.statements.length - 1];
  const sameLine = sf.getLineAndCharacterOfPosition(open).line === sf.getLineAndCharacterOfPosition(close).line;
  if (last === undefined) {
    if (sameLine) {
      const indent = indentAt(text, open);
      return [{ start: open + 1, end: close, newText: `${style.eol}${indent}${style.indent}${stmt}${style.eol}${indent}` }];
    }
    return [{ start: close, end: close, newText: `${style.indent}${stmt}${style.eol}${indentAt(text, close)}` }];
  }
  if (sameLine) return [{ start: last.end, end: last.end, newText: `${text[last.end - 1] === ';' ? '' : ';'} ${stmt}` }];
  const indent = indentAt(text, last.getStart(sf));
  // after the last statement's line (a trailing comment stays where it is)
  const lineEnd = (() => {
    let end = text.indexOf('\n', last.end);
    if (end < 0 || end > close) return last.end;
    if (text[end - 1] === '\r') end--;
    return text.slice(last.end, end).trim().startsWith('}') ? last.end : end;
  })();
  return [{ start: lineEnd, end: lineEnd, newText: `${style.eol}${indent}${stmt}` }];
}

function planCatchClause(ctx: RecipeContext, c: TS.CatchClause): Plan {
  const t = typescript();
  const stmts = c.block.statements;
  if (stmts.length === 0 && hasComment(ctx.sf, c.block)) return refuse('the empty catch holds a comment: ignoring the error is a documented decision');
  if (stmts.length > 0 && !onlyLogs(stmts, ctx.sf)) return refuse('the catch block does more than log: it handles the error');
  if (stmts.length === 0 && c.variableDeclaration === undefined) return refuse('an empty catch without a binding ignores the error on purpose; a rethrow would only remove the try/catch: decide by hand');
  // `catch (e) { throw e; }` does nothing the try did not (eslint no-useless-catch): it would only remove the try/catch
  if (stmts.length === 0) return refuse('an empty catch would only rethrow, a catch that does nothing (eslint no-useless-catch): decide by hand whether the error should propagate (remove the try/catch) or be logged');
  if (fallsThroughToFallback(c)) return refuse('the catch falls through to a fallback after the try on purpose');
  const fn = enclosingFunction(c);
  const escapes = fn && throwEscapes(fn, ctx.sf);
  if (escapes !== undefined) return refuse(`a rethrow here would end the process (${escapes}); handle the error where it is`);
  const edits: TextEdit[] = [];
  let name: string;
  const v = c.variableDeclaration;
  if (v === undefined) {
    name = uniqueName('err', namesIn(c.block));
    const brace = c.block.getStart(ctx.sf);
    edits.push({ start: brace, end: brace, newText: `(${name}) ` });
  } else if (t.isIdentifier(v.name)) name = v.name.text;
  else return refuse('the catch binding is a destructuring pattern: the original error is not at hand to rethrow');
  edits.push(...appendThrow(ctx, c.block, name));
  return { edits };
}

function planCatchCallback(ctx: RecipeContext, call: TS.CallExpression, cb: TS.ArrowFunction | TS.FunctionExpression): Plan {
  const t = typescript();
  const body = cb.body;
  const swallowed = t.isBlock(body) ? body.statements.length === 0 ? !hasComment(ctx.sf, body) : onlyLogs(body.statements, ctx.sf) : isLogCall(body, ctx.sf);
  if (!swallowed) return refuse('the .catch callback does more than log: it handles the rejection');
  if (t.isBlock(body) && body.statements.length === 0 && cb.parameters.length === 0) return refuse('an empty .catch(() => {}) ignores the rejection on purpose; a rethrow would only remove it: decide by hand');
  const { parent } = outerParent(call);
  const reaches = t.isAwaitExpression(parent) || t.isReturnStatement(parent) || (t.isArrowFunction(parent) && parent.body === outerParent(call).node);
  if (!reaches) return refuse('the chain is neither awaited nor returned: a rethrow would become an unhandled rejection');
  const edits: TextEdit[] = [];
  const p0 = cb.parameters[0];
  let name: string;
  if (p0 === undefined) {
    name = uniqueName('err', namesIn(body));
    if (t.isArrowFunction(cb) && cb.parameters.pos === cb.parameters.end && ctx.text[cb.getStart(ctx.sf)] !== '(') return refuse('unusual arrow syntax');
    const openParen = ctx.text.indexOf('(', cb.getStart(ctx.sf));
    edits.push({ start: openParen + 1, end: openParen + 1, newText: name });
  } else if (t.isIdentifier(p0.name)) name = p0.name.text;
  else return refuse('the callback parameter is a destructuring pattern: the original error is not at hand to rethrow');
  if (t.isBlock(body)) edits.push(...appendThrow(ctx, body, name));
  else edits.push({ start: body.getStart(ctx.sf), end: body.end, newText: `{ ${body.getText(ctx.sf)}${semi(ctx.style)} throw ${name}${semi(ctx.style)} }` });
  return { edits };
}

function plan(ctx: RecipeContext): Plan {
  const t = typescript();
  const clause = ctx.at((n): n is TS.CatchClause => t.isCatchClause(n))[0];
  if (clause !== undefined) return planCatchClause(ctx, clause);
  const fns = ctx.at((n): n is TS.ArrowFunction | TS.FunctionExpression => t.isArrowFunction(n) || t.isFunctionExpression(n));
  for (const fn of fns) {
    const { parent } = outerParent(fn);
    if (!t.isCallExpression(parent) || parent.arguments.length !== 1 || !isFunctionLike(fn)) continue;
    const callee = skipOuter(parent.expression);
    if (t.isPropertyAccessExpression(callee) && callee.name.text === 'catch') return planCatchCallback(ctx, parent, fn);
  }
  return refuse('no catch clause or .catch(callback) starts here');
}

export const handleError = defineRecipe({
  id: 'handle-error',
  title: 'Rethrow an error a catch swallows',
  category: 'resilience',
  addresses: { smells: ['swallowed-error'], failureTypes: ['unhandled-error', 'data-corruption', 'logic'] },
  options: [],
  plan,
});
