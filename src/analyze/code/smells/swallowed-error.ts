/**
 * swallowed-error: a catch that makes an error disappear — the block is empty or only logs — so callers go on
 * as if the operation succeeded, and the failure surfaces later, elsewhere, or never.
 *
 * Sees: `catch` blocks, and `.catch(fn)` callbacks, whose body is empty or consists only of logging calls
 * (`console.*`, `logger.*`, `log.*`, `this.logger.*`, `debug(…)`, …). Anything else counts as handling:
 * a throw, a return, `next(err)`, `reject(err)`, a callback call, an assignment, a fallback value.
 * Not reported: an empty catch block that holds a comment (an explicit, documented decision to ignore); a
 * catch nested in a catch block that rethrows (a cleanup error ignored while the original error propagates);
 * `try { …; return x } catch {} <more statements>` (the catch falls through to a fallback on purpose); and
 * `.catch(() => undefined|null|false|…)` (a deliberate fallback value).
 * Cannot see: whether ignoring was right for this error (e.g. ENOENT on an optional file).
 */
import type { Smell } from '../../../core/analysis.js';
import { isFunctionLike, skipOuter } from '../ast.js';
import { typescript, type TS } from '../ts.js';
import { type FileFacts, smellAt } from './facts.js';
import type { SmellDetector } from './types.js';

const KIND = 'swallowed-error';
const RECIPE = 'handle-error';
const LOGGER = /^(console|logger|log|logging|debug|winston|pino|this\.logger|this\.log|this\.debug|ctx\.log|req\.log|request\.log|fastify\.log|app\.log)$/i;
const LOG_METHODS = /^(log|info|warn|warning|error|debug|trace|fatal|verbose|silly)$/;

function isLogCall(e: TS.Expression, sf: TS.SourceFile): boolean {
  const t = typescript();
  e = skipOuter(e);
  if (!t.isCallExpression(e)) return false;
  const callee = skipOuter(e.expression);
  if (t.isIdentifier(callee)) return /^(debug|log)$/.test(callee.text);
  if (!t.isPropertyAccessExpression(callee)) return false;
  const recv = callee.expression.getText(sf).replace(/\s+/g, '');
  return LOGGER.test(recv) || (LOG_METHODS.test(callee.name.text) && /(^|\.)(logger|log|console)$/i.test(recv));
}

function onlyLogs(statements: readonly TS.Statement[], sf: TS.SourceFile): boolean {
  const t = typescript();
  return statements.every((s) => t.isExpressionStatement(s) && isLogCall(s.expression, sf));
}

/** Inside a catch block that rethrows (cleanup errors ignored while the original error propagates). */
function insideRethrowingCatch(c: TS.CatchClause): boolean {
  const t = typescript();
  for (let p: TS.Node | undefined = c.parent; p && !isFunctionLike(p); p = p.parent) {
    if (t.isCatchClause(p) && p.block.statements.some((s) => t.isThrowStatement(s))) return true;
  }
  return false;
}

/** `try { …; return a } catch {} <fallback>`: the catch falls through to a fallback on purpose. */
function fallsThroughToFallback(c: TS.CatchClause): boolean {
  const t = typescript();
  const tryStmt = c.parent;
  if (!t.isTryStatement(tryStmt) || tryStmt.finallyBlock !== undefined) return false;
  const last = tryStmt.tryBlock.statements[tryStmt.tryBlock.statements.length - 1];
  if (last === undefined || !t.isReturnStatement(last)) return false;
  const block = tryStmt.parent;
  if (!t.isBlock(block)) return false;
  const i = block.statements.indexOf(tryStmt);
  return i >= 0 && i < block.statements.length - 1;
}

function hasComment(sf: TS.SourceFile, block: TS.Block): boolean {
  const inner = sf.text.slice(block.getStart(sf) + 1, block.end - 1);
  return /\/\/|\/\*/.test(inner);
}

export const swallowedError: SmellDetector = {
  kind: KIND,
  recipe: RECIPE,
  detect(f: FileFacts): Smell[] {
    const t = typescript();
    const out: Smell[] = [];
    for (const c of f.catches) {
      const stmts = c.block.statements;
      if (insideRethrowingCatch(c) || fallsThroughToFallback(c)) continue;
      if (stmts.length === 0) {
        if (hasComment(f.sf, c.block)) continue;
        out.push(smellAt(f, KIND, RECIPE, c, 'empty catch block: the error disappears and the caller carries on as if it succeeded; rethrow, return an error, or handle the specific case (and say why in a comment if ignoring is right)'));
      } else if (onlyLogs(stmts, f.sf)) {
        out.push(smellAt(f, KIND, RECIPE, c, 'catch block only logs: the error is swallowed and the caller carries on as if it succeeded; rethrow, return an error or a fallback, or call next(err)/reject(err)'));
      }
    }
    for (const call of f.calls) {
      const callee = skipOuter(call.expression);
      if (!t.isPropertyAccessExpression(callee) || callee.name.text !== 'catch' || call.arguments.length !== 1) continue;
      const fn = skipOuter(call.arguments[0] as TS.Expression);
      if (!isFunctionLike(fn) || fn.body === undefined) continue;
      const body = fn.body;
      let swallowed: 'empty' | 'logs' | undefined;
      if (t.isBlock(body)) {
        if (body.statements.length === 0) swallowed = hasComment(f.sf, body) ? undefined : 'empty';
        else if (onlyLogs(body.statements, f.sf)) swallowed = 'logs';
      } else if (isLogCall(body as TS.Expression, f.sf)) swallowed = 'logs';
      if (swallowed === undefined) continue;
      out.push(
        smellAt(
          f,
          KIND,
          RECIPE,
          call.arguments[0] as TS.Node,
          `.catch() callback ${swallowed === 'empty' ? 'is empty' : 'only logs'}: the rejection is swallowed and the chain resolves as if it succeeded; rethrow, return a fallback on purpose, or propagate the error`,
        ),
      );
    }
    return out;
  },
};
