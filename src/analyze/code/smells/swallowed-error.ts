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
import { fallsThroughToFallback, hasComment, isLogCall, onlyLogs } from '../../../lang/patterns.js';
import { isFunctionLike, skipOuter } from '../ast.js';
import { typescript, type TS } from '../ts.js';
import { type FileFacts, smellAt } from './facts.js';
import type { SmellDetector } from './types.js';

const KIND = 'swallowed-error';
const RECIPE = 'handle-error';

/** Inside a catch block that rethrows (cleanup errors ignored while the original error propagates). */
function insideRethrowingCatch(c: TS.CatchClause): boolean {
  const t = typescript();
  for (let p: TS.Node | undefined = c.parent; p && !isFunctionLike(p); p = p.parent) {
    if (t.isCatchClause(p) && p.block.statements.some((s) => t.isThrowStatement(s))) return true;
  }
  return false;
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
