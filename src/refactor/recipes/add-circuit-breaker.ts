/**
 * add-circuit-breaker: put a call to a flaky dependency behind a circuit breaker, so that once it has failed
 * `breakerFailureThreshold` times in a row, callers fail fast (a rejected promise, error code `EOPENCIRCUIT`)
 * for `breakerResetMs` instead of waiting on it; then one trial call goes through: success closes the
 * circuit, failure opens it again. A rejection counts as a failure, and so does a response with a status
 * ≥ 500 (`status` or `statusCode`), which is still returned to the caller.
 *
 * The call becomes `<name>Breaker.run(() => call)`; the file gets the `CircuitBreaker` class once and one
 * module-level breaker per call site, right after the class (share one by hand when several sites call the
 * same dependency). The call must return a promise: it is awaited, chained with `.then`, or a call the recipe
 * knows (fetch, undici `request`, axios). Refuses: arguments with side effects (an open circuit skips them),
 * a call it cannot see returns a promise, and a call already behind a breaker.
 */
import { isDeclared, isPure, moduleRef, outerParent, skipOuter, uniqueName } from '../ast.js';
import { ensureHelper, findHelpers, insertAfterStatement } from '../helpers.js';
import { defineRecipe, type Plan, type RecipeContext, refuse } from '../recipe.js';
import { styled } from '../style.js';
import { typescript, type TS } from '../ts.js';

const ID = 'add-circuit-breaker';

const TS_HELPER = `class CircuitBreaker {
  readonly failureThreshold: number;
  readonly resetMs: number;
  private failures = 0;
  private openedAt = -1;
  private trialRunning = false;
  constructor(failureThreshold: number, resetMs: number) {
    this.failureThreshold = failureThreshold;
    this.resetMs = resetMs;
  }
  async run<T>(call: () => Promise<T>): Promise<T> {
    let trial = false;
    if (this.openedAt >= 0) {
      if (this.trialRunning || Date.now() - this.openedAt < this.resetMs) {
        throw Object.assign(new Error('circuit open: the dependency failed repeatedly; failing fast'), { code: 'EOPENCIRCUIT' });
      }
      trial = this.trialRunning = true;
    }
    try {
      const result = await call();
      const r = result as { status?: unknown; statusCode?: unknown } | null;
      const status = typeof r?.status === 'number' ? r.status : r?.statusCode;
      if (typeof status === 'number' && status >= 500) this.failed(trial);
      else {
        this.failures = 0;
        this.openedAt = -1;
      }
      return result;
    } catch (err) {
      this.failed(trial);
      throw err;
    } finally {
      if (trial) this.trialRunning = false;
    }
  }
  private failed(trial: boolean): void {
    this.failures++;
    if (trial || this.failures >= this.failureThreshold) this.openedAt = Date.now();
  }
}`;

const JS_HELPER = `class CircuitBreaker {
  constructor(failureThreshold, resetMs) {
    this.failureThreshold = failureThreshold;
    this.resetMs = resetMs;
    this.failures = 0;
    this.openedAt = -1;
    this.trialRunning = false;
  }
  async run(call) {
    let trial = false;
    if (this.openedAt >= 0) {
      if (this.trialRunning || Date.now() - this.openedAt < this.resetMs) {
        throw Object.assign(new Error('circuit open: the dependency failed repeatedly; failing fast'), { code: 'EOPENCIRCUIT' });
      }
      trial = this.trialRunning = true;
    }
    try {
      const result = await call();
      const status = typeof result?.status === 'number' ? result.status : result?.statusCode;
      if (typeof status === 'number' && status >= 500) this.failed(trial);
      else {
        this.failures = 0;
        this.openedAt = -1;
      }
      return result;
    } catch (err) {
      this.failed(trial);
      throw err;
    } finally {
      if (trial) this.trialRunning = false;
    }
  }
  failed(trial) {
    this.failures++;
    if (trial || this.failures >= this.failureThreshold) this.openedAt = Date.now();
  }
}`;

const FETCH_MODULES = new Set(['undici', 'node-fetch', 'cross-fetch', 'isomorphic-fetch']);

/** Why we know the call returns a promise, or undefined. */
function returnsPromise(ctx: RecipeContext, call: TS.CallExpression): string | undefined {
  const t = typescript();
  const { parent } = outerParent(call);
  if (t.isAwaitExpression(parent)) return 'awaited';
  if (t.isPropertyAccessExpression(parent) && ['then', 'catch', 'finally'].includes(parent.name.text)) return 'chained';
  const callee = skipOuter(call.expression);
  const bindings = ctx.bindings();
  if (t.isIdentifier(callee) && callee.text === 'fetch' && !bindings.has('fetch') && !isDeclared(ctx.sf, 'fetch')) return 'fetch';
  const ref = moduleRef(callee, bindings);
  if (ref && ((FETCH_MODULES.has(ref.module) && ref.members.join('.') === 'fetch') || (ref.module === 'undici' && ref.members.join('.') === 'request') || ref.module === 'axios')) return ref.module;
  return undefined;
}

/** lowerCamel name of the thing called: fetch → fetch, this.client.getPrice → getPrice, stripe.charges.create → chargesCreate. */
function baseName(call: TS.CallExpression): string {
  const t = typescript();
  const parts: string[] = [];
  let e = skipOuter(call.expression);
  while (t.isPropertyAccessExpression(e) && parts.length < 2) {
    parts.unshift(e.name.text);
    e = skipOuter(e.expression);
  }
  if (t.isIdentifier(e) && parts.length < 2) parts.unshift(e.text);
  const name = parts.length === 0 ? 'dependency' : parts.map((p, i) => (i === 0 ? p.replace(/^[A-Z]/, (c) => c.toLowerCase()) : p.replace(/^[a-z]/, (c) => c.toUpperCase()))).join('');
  return `${name.replace(/[^\w$]/g, '')}Breaker`;
}

function plan(ctx: RecipeContext): Plan {
  const t = typescript();
  const calls = ctx.at((n): n is TS.CallExpression => t.isCallExpression(n)).reverse();
  const classes = findHelpers(ctx, ID);
  const className = [...classes.keys()][0];
  const why = (c: TS.CallExpression): string | undefined => returnsPromise(ctx, c);
  const call = calls.find((c) => why(c) !== undefined && !(t.isPropertyAccessExpression(skipOuter(c.expression)) && ['then', 'catch', 'finally'].includes((skipOuter(c.expression) as TS.PropertyAccessExpression).name.text)));
  if (call === undefined) {
    if (calls.length === 0) return refuse('no call starts here');
    return refuse('cannot tell that the call returns a promise (it is not awaited, chained, nor a fetch/undici/axios call)');
  }
  // already behind a breaker: X.run(() => call) where X = new <CircuitBreaker>(…)
  if (className !== undefined) {
    for (let p: TS.Node | undefined = call.parent; p; p = p.parent) {
      if (!t.isCallExpression(p)) continue;
      const e = skipOuter(p.expression);
      if (t.isPropertyAccessExpression(e) && e.name.text === 'run' && t.isIdentifier(e.expression)) {
        const recv = e.expression.text;
        const isBreaker = ctx.sf.statements.some(
          (s) => t.isVariableStatement(s) && s.declarationList.declarations.some((d) => t.isIdentifier(d.name) && d.name.text === recv && d.initializer !== undefined && t.isNewExpression(d.initializer) && d.initializer.expression.getText(ctx.sf) === className),
        );
        if (isBreaker) return refuse(`the call is already behind the circuit breaker ${recv}`);
      }
    }
  }
  const impure = call.arguments.find((a) => !isPure(a, ctx.sf));
  if (impure !== undefined) return refuse(`the argument ${impure.getText(ctx.sf)} may have side effects, which an open circuit would skip`);
  if (!isPure(skipOuter(call.expression), ctx.sf)) return refuse('the callee expression may have side effects');

  const helper = ensureHelper(ctx, ID, ['CircuitBreaker'], (names, typed) => (typed ? TS_HELPER : JS_HELPER).replace(/\bCircuitBreaker\b/g, names.CircuitBreaker as string), 'fails fast while a dependency keeps failing, then lets one trial call through.');
  const cls = helper.names.CircuitBreaker as string;
  const taken = new Set([...ctx.names(), cls]);
  const breaker = uniqueName(baseName(call), taken);
  const { breakerFailureThreshold, breakerResetMs } = ctx.options;
  const decl = `const ${breaker} = new ${cls}(${breakerFailureThreshold}, ${breakerResetMs});`;
  const edits = [];
  if (helper.existing && helper.statement !== undefined) edits.push(insertAfterStatement(ctx, helper.statement, decl));
  else {
    const insert = helper.edits[0];
    if (insert === undefined) return refuse('could not place the circuit breaker');
    // the class and the breaker in one block: the class first
    const eol = ctx.style.eol;
    const idx = insert.newText.lastIndexOf('}') + 1;
    edits.push({ ...insert, newText: insert.newText.slice(0, idx) + eol + eol + styled(decl, ctx.style) + insert.newText.slice(idx) });
  }
  const start = call.getStart(ctx.sf);
  edits.push({ start, end: start, newText: `${breaker}.run(() => ` }, { start: call.end, end: call.end, newText: ')' });
  return { edits };
}

export const addCircuitBreaker = defineRecipe({
  id: ID,
  title: 'Put a flaky dependency call behind a circuit breaker',
  category: 'resilience',
  addresses: { smells: [], failureTypes: ['timeout', 'unhandled-error', 'crash'] },
  options: ['breakerFailureThreshold', 'breakerResetMs'],
  plan,
});
