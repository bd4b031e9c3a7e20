/**
 * add-retry: wrap an idempotent outbound HTTP call in `withRetry(() => call, { retries, baseMs, maxMs })`, a
 * local helper that retries when the call rejects (except an AbortError: the caller gave up; and a TimeoutError:
 * the attempt's own deadline fired, the dependency is slow rather than failing, and each retry would add a whole
 * deadline to the caller's wait — gRPC does not retry DEADLINE_EXCEEDED either) or answers 408,
 * 429, 500, 502, 503 or 504, waiting a random time in [0, min(maxMs, baseMs·2ⁿ)] before retry n ("full
 * jitter", so a crowd of clients does not retry in step). The body of a response it drops is cancelled
 * (fetch) or dumped (undici), so its connection is freed. The call expression is evaluated again for each
 * attempt, so a fresh `AbortSignal.timeout(…)` written in it bounds each attempt.
 *
 * Idempotent only: the method must be provably one of `retryMethods` (GET, HEAD, OPTIONS, PUT, DELETE by
 * default — RFC 9110 §9.2.2): fetch/undici `request` with no `method` or a literal one, `axios.get|head|
 * options|put|delete`, `axios(config)` with a literal method; a POST or PATCH only when its literal headers
 * carry an `Idempotency-Key`. Refuses: other methods, a method or options it cannot see, http/https (callback
 * API), arguments with side effects (they would run once per attempt), a fetch/undici body that may be a
 * one-shot stream (anything but a string, template or JSON.stringify(…)), and a call already inside withRetry.
 */
import { isDeclared, isPure, moduleRef, skipOuter } from '../ast.js';
import { ensureHelper, findHelpers } from '../helpers.js';
import { constObjectLiteral } from '../objects.js';
import { defineRecipe, type Plan, type RecipeContext, refuse } from '../recipe.js';
import { typescript, type TS } from '../ts.js';

const ID = 'add-retry';
const FETCH_MODULES = new Set(['undici', 'node-fetch', 'cross-fetch', 'isomorphic-fetch']);
const AXIOS_METHODS: Record<string, string> = { get: 'GET', head: 'HEAD', options: 'OPTIONS', delete: 'DELETE', put: 'PUT', post: 'POST', patch: 'PATCH', postForm: 'POST', putForm: 'PUT', patchForm: 'PATCH' };

const TS_HELPER = `async function withRetry<T>(call: () => Promise<T>, opts: { retries: number; baseMs: number; maxMs: number }): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      const result = await call();
      const r = result as { status?: unknown; statusCode?: unknown; body?: { cancel?: () => unknown; dump?: () => unknown } | null } | null;
      const status = typeof r?.status === 'number' ? r.status : r?.statusCode;
      if (attempt >= opts.retries || !(status === 408 || status === 429 || status === 500 || status === 502 || status === 503 || status === 504)) return result;
      try {
        await (typeof r?.body?.dump === 'function' ? r.body.dump() : r?.body?.cancel?.());
      } catch {
        // the dropped body may already be closed; the retry goes on
      }
    } catch (err) {
      const name = (err as { name?: unknown } | null)?.name;
      if (attempt >= opts.retries || name === 'AbortError' || name === 'TimeoutError') throw err;
    }
    const capMs = Math.min(opts.maxMs, opts.baseMs * 2 ** attempt);
    await new Promise((resolve) => setTimeout(resolve, Math.random() * capMs));
  }
}`;

const JS_HELPER = `async function withRetry(call, opts) {
  for (let attempt = 0; ; attempt++) {
    try {
      const result = await call();
      const status = typeof result?.status === 'number' ? result.status : result?.statusCode;
      if (attempt >= opts.retries || !(status === 408 || status === 429 || status === 500 || status === 502 || status === 503 || status === 504)) return result;
      try {
        await (typeof result?.body?.dump === 'function' ? result.body.dump() : result?.body?.cancel?.());
      } catch {
        // the dropped body may already be closed; the retry goes on
      }
    } catch (err) {
      if (attempt >= opts.retries || err?.name === 'AbortError' || err?.name === 'TimeoutError') throw err;
    }
    const capMs = Math.min(opts.maxMs, opts.baseMs * 2 ** attempt);
    await new Promise((resolve) => setTimeout(resolve, Math.random() * capMs));
  }
}`;

/** The options object literal of an argument (inline, or a const of the same file), 'none' when absent, undefined when unknown. */
function optionsOf(ctx: RecipeContext, arg: TS.Expression | undefined): TS.ObjectLiteralExpression | 'none' | undefined {
  const t = typescript();
  if (arg === undefined) return 'none';
  const e = skipOuter(arg);
  if (t.isObjectLiteralExpression(e)) return e;
  if (t.isIdentifier(e)) return constObjectLiteral(ctx, e);
  return undefined;
}

function property(obj: TS.ObjectLiteralExpression, key: string): TS.Expression | 'shorthand' | undefined {
  const t = typescript();
  for (const p of obj.properties) {
    if (t.isPropertyAssignment(p) && (t.isIdentifier(p.name) || t.isStringLiteral(p.name)) && p.name.text.toLowerCase() === key.toLowerCase()) return p.initializer;
    if (t.isShorthandPropertyAssignment(p) && p.name.text.toLowerCase() === key.toLowerCase()) return 'shorthand';
  }
  return undefined;
}

/** The HTTP method of the options (GET when absent), or a reason it cannot be known. */
function methodOf(ctx: RecipeContext, opts: TS.ObjectLiteralExpression | 'none', dflt = 'GET'): string | { unknown: string } {
  const t = typescript();
  if (opts === 'none') return dflt;
  if (opts.properties.some((p) => t.isSpreadAssignment(p))) return { unknown: 'the options have a spread: the method cannot be known' };
  const m = property(opts, 'method');
  if (m === undefined) return dflt;
  if (m !== 'shorthand' && t.isStringLiteralLike(m)) return m.text.toUpperCase();
  return { unknown: `the method is ${m === 'shorthand' ? 'a variable' : m.getText(ctx.sf)}, not a literal` };
}

function hasIdempotencyKey(opts: TS.ObjectLiteralExpression | 'none'): boolean {
  const t = typescript();
  if (opts === 'none') return false;
  const h = property(opts, 'headers');
  if (h === undefined || h === 'shorthand') return false;
  const e = skipOuter(h);
  return t.isObjectLiteralExpression(e) && property(e, 'idempotency-key') !== undefined;
}

/** A body that can be sent twice: a string, a template, JSON.stringify(…), URLSearchParams. */
function replayableBody(ctx: RecipeContext, opts: TS.ObjectLiteralExpression | 'none'): string | undefined {
  const t = typescript();
  if (opts === 'none') return undefined;
  const b = property(opts, 'body');
  if (b === undefined) return undefined;
  if (b === 'shorthand') return 'the body is a variable that may be a one-shot stream';
  const e = skipOuter(b);
  if (t.isStringLiteralLike(e) || t.isTemplateExpression(e)) return undefined;
  const text = e.getText(ctx.sf).replace(/\s+/g, '');
  if (/^JSON\.stringify\(/.test(text) || /^newURLSearchParams\(/.test(text) || /^String\(/.test(text)) return undefined;
  return `the body (${e.getText(ctx.sf)}) may be a one-shot stream`;
}

interface Target {
  call: TS.CallExpression;
  what: string;
  method: string | { unknown: string };
  opts: TS.ObjectLiteralExpression | 'none' | undefined;
  checkBody: boolean;
}

function target(ctx: RecipeContext): Target | string {
  const t = typescript();
  const bindings = ctx.bindings();
  for (const call of ctx.at((n): n is TS.CallExpression => t.isCallExpression(n)).reverse()) {
    const callee = skipOuter(call.expression);
    const args = call.arguments;
    const ref = moduleRef(callee, bindings);
    const member = ref?.members.join('.');
    const globalFetch = t.isIdentifier(callee) && callee.text === 'fetch' && !bindings.has('fetch') && !isDeclared(ctx.sf, 'fetch');
    if (globalFetch || (ref && FETCH_MODULES.has(ref.module) && member === 'fetch')) {
      const a0 = args[0];
      if (a0 !== undefined && t.isNewExpression(skipOuter(a0))) return 'fetch() gets a Request object: its method and body cannot be seen here';
      const opts = optionsOf(ctx, args[1]);
      return { call, what: 'fetch()', method: opts === undefined ? { unknown: 'the options are built elsewhere' } : methodOf(ctx, opts), opts, checkBody: true };
    }
    if (ref === undefined) continue;
    if (ref.module === 'undici' && member === 'request') {
      const opts = optionsOf(ctx, args[1]);
      return { call, what: 'undici request()', method: opts === undefined ? { unknown: 'the options are built elsewhere' } : methodOf(ctx, opts), opts, checkBody: true };
    }
    if ((ref.module === 'http' || ref.module === 'https') && (member === 'request' || member === 'get')) return `${ref.module}.${member}() has a callback API: wrap it in a promise (or use fetch) first`;
    if (ref.module === 'axios') {
      const m0 = ref.members[0];
      if (ref.members.length === 1 && m0 !== undefined && m0 in AXIOS_METHODS) {
        const configAt = ['post', 'put', 'patch', 'postForm', 'putForm', 'patchForm'].includes(m0) ? 2 : 1;
        return { call, what: `axios.${m0}()`, method: AXIOS_METHODS[m0] as string, opts: optionsOf(ctx, args[configAt]), checkBody: false };
      }
      if (ref.members.length === 0 || m0 === 'request') {
        const a0 = args[0];
        const cfg = a0 !== undefined && (t.isStringLiteralLike(skipOuter(a0)) || t.isTemplateExpression(skipOuter(a0))) ? args[1] : a0;
        const opts = optionsOf(ctx, cfg);
        return { call, what: 'axios()', method: opts === undefined ? { unknown: 'the config is built elsewhere' } : methodOf(ctx, opts), opts, checkBody: false };
      }
    }
  }
  return 'no outbound HTTP call add-retry knows starts here (fetch, undici request, axios)';
}

function plan(ctx: RecipeContext): Plan {
  const t = typescript();
  const found = target(ctx);
  if (typeof found === 'string') return refuse(found);
  const { call, what, method, opts } = found;
  // already inside withRetry(() => …)
  const helpers = findHelpers(ctx, ID);
  for (let p: TS.Node | undefined = call.parent; p; p = p.parent) {
    if (t.isCallExpression(p) && t.isIdentifier(p.expression) && helpers.has(p.expression.text)) return refuse(`${what} is already retried (${p.expression.text})`);
  }
  if (typeof method !== 'string') return refuse(`cannot tell that ${what} is idempotent: ${method.unknown}`);
  const allowed = ctx.options.retryMethods.includes(method);
  if (!allowed && !(opts !== undefined && hasIdempotencyKey(opts))) return refuse(`${what} is a ${method}, which is not idempotent: retrying could repeat its effect (send an Idempotency-Key header to allow it)`);
  if (found.checkBody && opts !== undefined) {
    const bad = replayableBody(ctx, opts);
    if (bad !== undefined) return refuse(`${what} cannot be sent twice: ${bad}`);
  }
  const impure = call.arguments.find((a) => !isPure(a, ctx.sf));
  if (impure !== undefined) return refuse(`the argument ${impure.getText(ctx.sf)} may have side effects, which would repeat on every attempt`);
  if (!isPure(skipOuter(call.expression), ctx.sf)) return refuse('the callee expression may have side effects');
  const helper = ensureHelper(ctx, ID, ['withRetry'], (names, typed) => (typed ? TS_HELPER : JS_HELPER).replace(/\bwithRetry\b/g, names.withRetry as string), 'retries a failed idempotent call with exponential backoff and full jitter.');
  const { retries, retryBaseMs, retryMaxMs } = ctx.options;
  const start = call.getStart(ctx.sf);
  return {
    edits: [
      ...helper.edits,
      { start, end: start, newText: `${helper.names.withRetry}(() => ` },
      { start: call.end, end: call.end, newText: `, { retries: ${retries}, baseMs: ${retryBaseMs}, maxMs: ${retryMaxMs} })` },
    ],
  };
}

export const addRetry = defineRecipe({
  id: ID,
  title: 'Retry an idempotent outbound call with exponential backoff and jitter',
  category: 'resilience',
  addresses: { smells: [], failureTypes: ['timeout', 'unhandled-error'] },
  options: ['retries', 'retryBaseMs', 'retryMaxMs', 'retryMethods'],
  plan,
});
