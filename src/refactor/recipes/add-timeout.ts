/**
 * add-timeout: give an outbound call or client a deadline, so a silent peer cannot hold the caller forever.
 *
 * | call | what is added | the limit it sets |
 * |---|---|---|
 * | global `fetch`, undici/node-fetch/cross-fetch `fetch` | `signal: AbortSignal.timeout(timeoutMs)` | total time from the call until the body is read (rejects with a `TimeoutError`); it can only shorten undici's own 300 s headersTimeout/bodyTimeout, so timeoutMs ≥ 300000 is refused |
 * | undici `request`, `new Pool/Client/Agent` | `headersTimeout`, `bodyTimeout` = timeoutMs | time to the response headers, and the longest pause between body chunks (replaces the 300 s defaults) |
 * | `http`/`https` `request`/`get` | `signal: AbortSignal.timeout(timeoutMs)` | total time of the request; the request is destroyed with an AbortError |
 * | axios calls, `axios.create` | `timeout: timeoutMs` | in Node: the socket's inactivity (`req.setTimeout`), not a total deadline; in browsers: the total time |
 * | pg `new Pool/Client` | `connectionTimeoutMillis`, `query_timeout` | time to connect, and the client-side wait for each query |
 * | mysql/mysql2 `createPool/createConnection` | `connectTimeout` | time to connect |
 * | ioredis `new Redis` | `commandTimeout` | time for each command's reply |
 * | mongoose `connect/createConnection`, mongodb `new MongoClient`/`MongoClient.connect` | `serverSelectionTimeoutMS` | time to find a usable server for an operation |
 *
 * Refuses when the call already has one of the keys that bound it (a `signal`, a `timeout`…), when its
 * options are built elsewhere (a parameter, a spread), when a Request object is passed to fetch, and for
 * http calls whose request is bounded later (`req.setTimeout`, `req.destroy`).
 */
import type { TS } from '../ts.js';
import { enclosingFunction, isDeclared, moduleRef, outerParent, skipOuter } from '../ast.js';
import { setOptions } from '../objects.js';
import { defineRecipe, type Plan, type RecipeContext, refuse } from '../recipe.js';
import { typescript } from '../ts.js';

const FETCH_MODULES = new Set(['undici', 'node-fetch', 'cross-fetch', 'isomorphic-fetch']);
const AXIOS_CONFIG_AT: Record<string, number> = { get: 1, delete: 1, head: 1, options: 1, post: 2, put: 2, patch: 2, postForm: 2, putForm: 2, patchForm: 2, request: 0, create: 0 };
/** undici's default headersTimeout/bodyTimeout, ms */
const UNDICI_DEFAULT_MS = 300_000;

function isStringish(ctx: RecipeContext, e: TS.Expression): boolean {
  const t = typescript();
  e = skipOuter(e);
  if (t.isStringLiteralLike(e) || t.isTemplateExpression(e)) return true;
  if (t.isBinaryExpression(e) && e.operatorToken.kind === t.SyntaxKind.PlusToken) return isStringish(ctx, e.left) || isStringish(ctx, e.right);
  if (t.isNewExpression(e) && t.isIdentifier(e.expression) && e.expression.text === 'URL') return true;
  if (t.isCallExpression(e) && t.isPropertyAccessExpression(e.expression) && e.expression.name.text === 'toString') return true;
  return false;
}

function isFunctionArg(e: TS.Expression | undefined): boolean {
  const t = typescript();
  if (e === undefined) return false;
  e = skipOuter(e);
  return t.isArrowFunction(e) || t.isFunctionExpression(e);
}

/** `req.setTimeout/destroy/abort` on the request later in the same function, or a `.setTimeout(…)` chained on the call. */
function boundedLater(ctx: RecipeContext, call: TS.CallExpression): string | undefined {
  const t = typescript();
  const { node, parent } = outerParent(call);
  if (t.isPropertyAccessExpression(parent) && parent.expression === node && ['setTimeout', 'destroy', 'abort'].includes(parent.name.text)) return `.${parent.name.text}() on the request`;
  if (!t.isVariableDeclaration(parent) || !t.isIdentifier(parent.name)) return undefined;
  const name = parent.name.text;
  const scope: TS.Node = enclosingFunction(call) ?? ctx.sf;
  let found: string | undefined;
  const visit = (n: TS.Node): void => {
    if (found) return;
    if (t.isCallExpression(n)) {
      const e = skipOuter(n.expression);
      if (t.isPropertyAccessExpression(e) && ['setTimeout', 'destroy', 'abort'].includes(e.name.text)) {
        const recv = skipOuter(e.expression);
        if (t.isIdentifier(recv) && recv.text === name) found = `${name}.${e.name.text}()`;
      }
    }
    t.forEachChild(n, visit);
  };
  visit(scope);
  return found;
}

function plan(ctx: RecipeContext): Plan {
  const t = typescript();
  const ms = ctx.options.timeoutMs;
  const calls = ctx.at((n): n is TS.CallExpression | TS.NewExpression => t.isCallExpression(n) || t.isNewExpression(n));
  const bindings = ctx.bindings();
  const reasons: string[] = [];
  // innermost first: `fetch(url).then(…)` starts at the same column as `fetch(url)`
  for (const call of [...calls].reverse()) {
    const callee = skipOuter(call.expression);
    const args = call.arguments ?? [];
    if (t.isCallExpression(call)) {
      const globalFetch = t.isIdentifier(callee) && callee.text === 'fetch' && !bindings.has('fetch') && !isDeclared(ctx.sf, 'fetch');
      const ref = moduleRef(callee, bindings);
      const member = ref?.members.join('.');
      if (globalFetch || (ref && FETCH_MODULES.has(ref.module) && member === 'fetch')) {
        const a0 = args[0];
        if (a0 !== undefined && t.isNewExpression(skipOuter(a0))) return refuse('fetch() gets a Request object, which carries its own signal; add the timeout where the Request is built');
        if ((ref === undefined || ref.module === 'undici') && ms >= UNDICI_DEFAULT_MS) {
          return refuse(`timeoutMs ${ms} would set no limit: AbortSignal.timeout can shorten but not extend undici's own 300 s headersTimeout/bodyTimeout`);
        }
        return setOptions(ctx, call, { index: 1, presentKeys: ['signal', 'timeout'], props: [`signal: AbortSignal.timeout(${ms})`], what: 'fetch()' });
      }
      if (ref === undefined) continue;
      if (ref.module === 'undici' && member === 'request') {
        return setOptions(ctx, call, { index: 1, presentKeys: ['headersTimeout', 'bodyTimeout', 'signal'], props: [`headersTimeout: ${ms}`, `bodyTimeout: ${ms}`], what: 'undici request()' });
      }
      if ((ref.module === 'http' || ref.module === 'https') && (member === 'request' || member === 'get')) {
        const what = `${ref.module}.${member}()`;
        const later = boundedLater(ctx, call);
        if (later !== undefined) return refuse(`${what} is bounded by ${later} in the same function`);
        const [a0, a1] = args;
        let index: number;
        if (a0 === undefined) return refuse(`${what} has no arguments`);
        if (t.isObjectLiteralExpression(skipOuter(a0))) index = 0;
        else if (isStringish(ctx, a0)) {
          if (a1 !== undefined && isFunctionArg(a1)) {
            // (url, callback) → (url, { signal }, callback)
            return { edits: [{ start: a0.end, end: a0.end, newText: `, { signal: AbortSignal.timeout(${ms}) }` }] };
          }
          index = 1;
        } else return refuse(`cannot tell whether the first argument of ${what} is a URL or the options`);
        return setOptions(ctx, call, { index, presentKeys: ['timeout', 'signal'], props: [`signal: AbortSignal.timeout(${ms})`], what });
      }
      if (ref.module === 'axios') {
        if (/\.defaults\.timeout\s*=/.test(ctx.text)) return refuse('the file sets axios defaults.timeout');
        const m0 = ref.members[0];
        const keys = ['timeout', 'signal', 'cancelToken'];
        const props = [`timeout: ${ms}`];
        if (ref.members.length === 0) {
          const a0 = args[0];
          const index = a0 !== undefined && isStringish(ctx, a0) ? 1 : 0;
          return setOptions(ctx, call, { index, presentKeys: keys, props, what: 'axios()' });
        }
        if (ref.members.length === 1 && m0 !== undefined && m0 in AXIOS_CONFIG_AT) {
          return setOptions(ctx, call, { index: AXIOS_CONFIG_AT[m0] as number, presentKeys: keys, props, fill: 'undefined', what: `axios.${m0}()` });
        }
        continue;
      }
      if ((ref.module === 'mysql2' || ref.module === 'mysql2/promise' || ref.module === 'mysql') && (member === 'createPool' || member === 'createConnection')) {
        const a0 = args[0];
        if (a0 !== undefined && isStringish(ctx, a0)) return refuse(`${ref.module} ${member}() takes a connection URI here; add connectTimeout to it by hand`);
        return setOptions(ctx, call, { index: 0, presentKeys: ['connectTimeout'], props: [`connectTimeout: ${ms}`], what: `${ref.module} ${member}()` });
      }
      if ((ref.module === 'mongoose' && (member === 'connect' || member === 'createConnection')) || (ref.module === 'mongodb' && member === 'MongoClient.connect')) {
        if (args[0] !== undefined && /serverSelectionTimeoutMS=/.test(args[0].getText(ctx.sf))) return refuse('the connection URI sets serverSelectionTimeoutMS');
        return setOptions(ctx, call, { index: 1, presentKeys: ['serverSelectionTimeoutMS'], props: [`serverSelectionTimeoutMS: ${ms}`], what: `${ref.module} ${member}()` });
      }
      continue;
    }
    // new …
    const ref = moduleRef(callee, bindings);
    if (ref === undefined) continue;
    const member = ref.members.join('.');
    if (ref.module === 'undici' && (member === 'Pool' || member === 'Client' || member === 'Agent')) {
      return setOptions(ctx, call, { index: member === 'Agent' ? 0 : 1, presentKeys: ['headersTimeout', 'bodyTimeout'], props: [`headersTimeout: ${ms}`, `bodyTimeout: ${ms}`], what: `new ${member}()` });
    }
    if (ref.module === 'pg' && (member === 'Pool' || member === 'Client')) {
      const a0 = args[0];
      if (a0 !== undefined && isStringish(ctx, a0)) return refuse(`pg ${member} takes a connection string here; pass a config object to set timeouts`);
      return setOptions(ctx, call, { index: 0, presentKeys: ['statement_timeout', 'query_timeout', 'connectionTimeoutMillis'], props: [`connectionTimeoutMillis: ${ms}`, `query_timeout: ${ms}`], what: `new ${member}()` });
    }
    if (ref.module === 'ioredis' && (member === '' || member === 'Redis' || member === 'default')) {
      const objIndex = args.findIndex((a) => t.isObjectLiteralExpression(skipOuter(a)) || (t.isIdentifier(skipOuter(a)) && !isStringish(ctx, a) && !t.isNumericLiteral(skipOuter(a))));
      const index = objIndex >= 0 ? objIndex : args.length;
      if (objIndex < 0 && !args.every((a) => isStringish(ctx, a) || t.isNumericLiteral(skipOuter(a)))) return refuse('cannot tell which argument of new Redis() holds the options');
      return setOptions(ctx, call, { index, presentKeys: ['commandTimeout'], props: [`commandTimeout: ${ms}`], what: 'new Redis()' });
    }
    if (ref.module === 'mongodb' && member === 'MongoClient') {
      if (args[0] !== undefined && /serverSelectionTimeoutMS=/.test(args[0].getText(ctx.sf))) return refuse('the connection URI sets serverSelectionTimeoutMS');
      return setOptions(ctx, call, { index: 1, presentKeys: ['serverSelectionTimeoutMS'], props: [`serverSelectionTimeoutMS: ${ms}`], what: 'new MongoClient()' });
    }
    reasons.push(`${callee.getText(ctx.sf)} is not a call add-timeout knows`);
  }
  return refuse(reasons[0] ?? 'no outbound call or client add-timeout knows starts here (fetch, undici, http/https, axios, pg, mysql, ioredis, mongodb/mongoose)');
}

export const addTimeout = defineRecipe({
  id: 'add-timeout',
  title: 'Give an outbound call or client a timeout',
  category: 'resilience',
  addresses: { smells: ['no-timeout'], failureTypes: ['timeout'] },
  options: ['timeoutMs'],
  plan,
});
