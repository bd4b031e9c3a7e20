/**
 * no-timeout: an outbound call or client created without a timeout or abort signal, so a slow or silent peer
 * holds the caller (and whatever waits on it) indefinitely.
 *
 * Sees: global `fetch` (and fetch from undici, node-fetch, cross-fetch) without `signal` (a Request object
 * passed in — `new Request(…)`, or a variable in a file that builds Requests — is given the benefit of the doubt); undici `request`,
 * `fetch`, `new Pool|Client|Agent` without headersTimeout/bodyTimeout/signal; `http|https.request|get`
 * without `timeout`/`signal` and without a `req.setTimeout(…)` (or `req.destroy`/`req.abort`) in the same
 * function; axios calls and `axios.create` without `timeout`/`signal` (unless the file sets
 * `….defaults.timeout`); pg `new Pool|Client` without statement_timeout/query_timeout/connectionTimeoutMillis;
 * mysql/mysql2 `createPool|createConnection` without connectTimeout; ioredis `new Redis` without
 * commandTimeout; mongoose `connect|createConnection` and mongodb `MongoClient` without
 * serverSelectionTimeoutMS/socketTimeoutMS (in the options or the URI literal).
 * Cannot see: options built elsewhere (a parameter, a spread, a computed key — these are never reported),
 * timeouts set through environment variables or wrappers, clients whose module is re-exported by a local file.
 */
import type { Smell } from '../../../core/analysis.js';
import { enclosingUnit, moduleRef, skipOuter } from '../ast.js';
import { typescript, type TS } from '../ts.js';
import { type FileFacts, hasAnyKey, isPlainValue, objectArg, smellAt } from './facts.js';
import type { SmellDetector } from './types.js';

const KIND = 'no-timeout';
const RECIPE = 'add-timeout';
const FETCH_MODULES = new Set(['undici', 'node-fetch', 'cross-fetch', 'isomorphic-fetch']);
const AXIOS_CONFIG_AT: Record<string, number> = { get: 1, delete: 1, head: 1, options: 1, post: 2, put: 2, patch: 2, postForm: 2, putForm: 2, patchForm: 2, request: 0, create: 0 };

function isFunctionArg(e: TS.Expression): boolean {
  const t = typescript();
  e = skipOuter(e);
  return t.isArrowFunction(e) || t.isFunctionExpression(e);
}

/** Is the timeout handled elsewhere: `req.setTimeout(…)`/`req.destroy(…)`/`req.abort()` later in the same function, chained on the call, or the request handed to the caller (returned, stored)? */
function timeoutHandledElsewhere(f: FileFacts, call: TS.CallExpression): boolean {
  const t = typescript();
  const parent = call.parent;
  if (t.isPropertyAccessExpression(parent) && parent.name.text === 'setTimeout') return true;
  let p: TS.Node = parent;
  while (t.isParenthesizedExpression(p) || t.isAwaitExpression(p)) p = p.parent;
  if (!t.isVariableDeclaration(p) || !t.isIdentifier(p.name)) return t.isReturnStatement(p) || t.isPropertyDeclaration(p) || t.isBinaryExpression(p);
  const name = p.name.text;
  const unit = enclosingUnit(f.sf, call);
  return f.calls.some((c) => {
    const e = skipOuter(c.expression);
    return (
      t.isPropertyAccessExpression(e) &&
      ['setTimeout', 'destroy', 'abort'].includes(e.name.text) &&
      t.isIdentifier(skipOuter(e.expression)) &&
      (skipOuter(e.expression) as TS.Identifier).text === name &&
      enclosingUnit(f.sf, c) === unit
    );
  });
}

/** The options argument of http.request/get: 'none', an expression, or undefined when it cannot be told apart from a callback. */
function httpOptions(f: FileFacts, args: readonly TS.Expression[]): TS.Expression | 'none' | undefined {
  const t = typescript();
  const [a0, a1] = args;
  if (a0 === undefined) return 'none';
  if (!isPlainValue(f, a0)) return objectArg(f, a0) ? a0 : undefined;
  if (a1 === undefined || isFunctionArg(a1)) return 'none';
  if (objectArg(f, a1)) return a1;
  const e = skipOuter(a1);
  if (t.isIdentifier(e) && f.functions.some((fn) => t.isFunctionDeclaration(fn) && fn.name?.text === e.text)) return 'none';
  return undefined;
}

function uriHas(f: FileFacts, e: TS.Expression | undefined, keys: readonly string[]): boolean {
  const t = typescript();
  if (e === undefined) return false;
  const u = skipOuter(e);
  const text = t.isStringLiteralLike(u) || t.isTemplateExpression(u) ? u.getText(f.sf) : '';
  return keys.some((k) => text.includes(`${k}=`));
}

export const noTimeout: SmellDetector = {
  kind: KIND,
  recipe: RECIPE,
  detect(f: FileFacts): Smell[] {
    const t = typescript();
    const out: Smell[] = [];
    const report = (node: TS.Node, message: string): void => {
      out.push(smellAt(f, KIND, RECIPE, node, message));
    };
    const axiosDefaults = /\.defaults\.timeout\s*=/.test(f.sf.text);
    // a file that builds Request objects may pass one (with its signal) by name: fetch(request)
    const buildsRequests = f.news.some((n) => t.isIdentifier(n.expression) && n.expression.text === 'Request');

    for (const c of f.calls) {
      const callee = skipOuter(c.expression);
      const args = c.arguments;
      // global fetch (not shadowed by a local declaration)
      if (t.isIdentifier(callee) && callee.text === 'fetch' && !f.bindings.has('fetch') && !f.declared.has('fetch')) {
        const a0 = args[0];
        if (a0 && (t.isNewExpression(skipOuter(a0)) || (t.isIdentifier(skipOuter(a0)) && buildsRequests))) continue;
        if (hasAnyKey(f, args[1], ['signal', 'timeout']) === 'absent') {
          report(c, 'fetch() without a signal waits forever on a silent server; pass { signal: AbortSignal.timeout(ms) }');
        }
        continue;
      }
      const ref = moduleRef(callee, f.bindings);
      if (!ref) continue;
      const [m0, m1] = ref.members;
      const member = ref.members.join('.');
      if (FETCH_MODULES.has(ref.module) && member === 'fetch') {
        const a0 = args[0];
        if (a0 && t.isNewExpression(skipOuter(a0))) continue;
        if (hasAnyKey(f, args[1], ['signal', 'timeout']) === 'absent') {
          report(c, `${ref.module} fetch() without a signal waits forever on a silent server; pass { signal: AbortSignal.timeout(ms) }`);
        }
      } else if (ref.module === 'undici' && member === 'request') {
        if (hasAnyKey(f, args[1], ['headersTimeout', 'bodyTimeout', 'signal']) === 'absent') {
          report(c, 'undici request() without headersTimeout/bodyTimeout/signal uses 300 s defaults; pass { headersTimeout, bodyTimeout } or a signal sized to your latency budget');
        }
      } else if ((ref.module === 'http' || ref.module === 'https') && (member === 'request' || member === 'get')) {
        const opts = httpOptions(f, args);
        if (opts === undefined) continue;
        if (opts !== 'none' && hasAnyKey(f, opts, ['timeout', 'signal']) !== 'absent') continue;
        if (timeoutHandledElsewhere(f, c)) continue;
        report(c, `${ref.module}.${member}() without a timeout never gives up on a silent peer; pass { timeout: ms } (and destroy the request on 'timeout') or a signal`);
      } else if (ref.module === 'axios' && (ref.members.length === 0 || (ref.members.length === 1 && m0 !== undefined && m0 in AXIOS_CONFIG_AT))) {
        if (axiosDefaults) continue;
        let config: TS.Expression | undefined;
        if (ref.members.length === 0) {
          const a0 = args[0];
          config = a0 !== undefined && isPlainValue(f, a0) ? args[1] : a0;
        } else config = args[AXIOS_CONFIG_AT[m0 as string] as number];
        if (hasAnyKey(f, config, ['timeout', 'signal', 'cancelToken']) !== 'absent') continue;
        if (m0 === 'create') report(c, 'axios.create() without a timeout: every call of this instance waits forever by default; pass { timeout: ms }');
        else report(c, `axios${m0 === undefined ? '' : '.' + m0}() without a timeout waits forever by default; pass { timeout: ms } in the config`);
      } else if ((ref.module === 'mysql2' || ref.module === 'mysql2/promise' || ref.module === 'mysql') && (member === 'createPool' || member === 'createConnection')) {
        const a0 = args[0];
        if (a0 !== undefined && isPlainValue(f, a0)) {
          if (uriHas(f, a0, ['connectTimeout'])) continue;
        } else if (hasAnyKey(f, a0, ['connectTimeout']) !== 'absent') continue;
        report(c, `${ref.module} ${member}() without connectTimeout; set connectTimeout (ms) and bound queries with { timeout } per query`);
      } else if (ref.module === 'mongoose' && (member === 'connect' || member === 'createConnection')) {
        if (uriHas(f, args[0], ['serverSelectionTimeoutMS', 'socketTimeoutMS'])) continue;
        if (hasAnyKey(f, args[1], ['serverSelectionTimeoutMS', 'socketTimeoutMS']) !== 'absent') continue;
        report(c, `mongoose.${member}() without serverSelectionTimeoutMS/socketTimeoutMS; pass them in the options so a lost server fails fast`);
      } else if (ref.module === 'mongodb' && m0 === 'MongoClient' && m1 === 'connect') {
        if (uriHas(f, args[0], ['serverSelectionTimeoutMS', 'socketTimeoutMS'])) continue;
        if (hasAnyKey(f, args[1], ['serverSelectionTimeoutMS', 'socketTimeoutMS']) !== 'absent') continue;
        report(c, 'MongoClient.connect() without serverSelectionTimeoutMS/socketTimeoutMS; pass them in the options so a lost server fails fast');
      }
    }

    for (const n of f.news) {
      const ref = moduleRef(n.expression, f.bindings);
      if (!ref) continue;
      const args = n.arguments ?? [];
      const member = ref.members.join('.');
      if (ref.module === 'undici' && (member === 'Pool' || member === 'Client' || member === 'Agent')) {
        const opts = member === 'Agent' ? args[0] : args[1];
        if (hasAnyKey(f, opts, ['headersTimeout', 'bodyTimeout']) === 'absent') {
          report(n, `undici ${member} without headersTimeout/bodyTimeout uses 300 s defaults; pass { headersTimeout, bodyTimeout } sized to your latency budget`);
        }
      } else if (ref.module === 'pg' && (member === 'Pool' || member === 'Client')) {
        const a0 = args[0];
        if (a0 !== undefined && isPlainValue(f, a0)) continue;
        if (hasAnyKey(f, a0, ['statement_timeout', 'query_timeout', 'connectionTimeoutMillis']) === 'absent') {
          report(n, `pg ${member} without statement_timeout/query_timeout/connectionTimeoutMillis: a stuck query or connect holds the caller; set them in the config`);
        }
      } else if (ref.module === 'ioredis' && (member === '' || member === 'Redis' || member === 'default')) {
        const objs = args.filter((a) => objectArg(f, a) !== undefined);
        if (args.some((a) => !isPlainValue(f, a) && objectArg(f, a) === undefined)) continue;
        if (objs.length > 0 && objs.some((o) => hasAnyKey(f, o, ['commandTimeout']) !== 'absent')) continue;
        report(n, 'ioredis client without commandTimeout: a stalled Redis holds every command; pass { commandTimeout: ms }');
      } else if (ref.module === 'mongodb' && member === 'MongoClient') {
        if (uriHas(f, args[0], ['serverSelectionTimeoutMS', 'socketTimeoutMS'])) continue;
        if (hasAnyKey(f, args[1], ['serverSelectionTimeoutMS', 'socketTimeoutMS']) !== 'absent') continue;
        report(n, 'new MongoClient() without serverSelectionTimeoutMS/socketTimeoutMS; pass them in the options so a lost server fails fast');
      }
    }
    return out;
  },
};
