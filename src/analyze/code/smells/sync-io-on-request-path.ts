/**
 * sync-io-on-request-path: a synchronous fs/crypto/zlib/child_process call (`*Sync`) in code that runs
 * while a request waits, blocking every other request of the process for its duration.
 *
 * Request handlers: functions passed to `X.get|post|put|patch|delete|del|head|options|all|use(…)` (express,
 * koa-router, fastify, restify…) whose parameters look like a handler — `(req, res[, next])`,
 * `(request, reply)`, `(request, response)`, `(err, req, res, next)`, `(ctx[, next])` — the `handler` of a
 * `.route({…})` object, the listener of `http|https|http2.createServer(…)` and of `server.on('request', …)`.
 * A function declared in the same file and called from a handler (transitively, by name or `this.m()`) is on
 * the request path too; callbacks inside a handler are part of it.
 * Cannot see: handlers registered in another file, helpers imported from other files, `*Sync` calls reached
 * through a wrapper, start-up code that runs once (that is fine and not reported).
 */
import type { Smell } from '../../../core/analysis.js';
import { type FunctionLike, isFunctionLike, moduleRef, skipOuter } from '../ast.js';
import { typescript, type TS } from '../ts.js';
import { type FileFacts, calleeName, listenerCall, smellAt } from './facts.js';
import type { SmellDetector } from './types.js';

const KIND = 'sync-io-on-request-path';
const RECIPE = 'move-off-request-path';
const ROUTE_METHODS = new Set(['get', 'post', 'put', 'patch', 'delete', 'del', 'head', 'options', 'all', 'use']);
const SYNC_MODULES = new Set(['fs', 'fs-extra', 'graceful-fs', 'crypto', 'zlib', 'child_process']);
const REQ = new Set(['req', 'request']);
const RES = new Set(['res', 'response', 'reply', 'next', 'h']);
const CTX = new Set(['ctx', 'context']);
const ERR = new Set(['err', 'error', 'e']);

function paramNames(fn: FunctionLike): string[] {
  const t = typescript();
  return fn.parameters.map((p) => (t.isIdentifier(p.name) ? p.name.text.replace(/^_+/, '') : ''));
}

function looksLikeHandler(fn: FunctionLike): boolean {
  const [p0, p1, p2] = paramNames(fn);
  if (p0 === undefined) return false;
  if (CTX.has(p0)) return fn.parameters.length <= 2;
  if (REQ.has(p0)) return p1 !== undefined && RES.has(p1);
  if (ERR.has(p0)) return p1 !== undefined && REQ.has(p1) && p2 !== undefined && RES.has(p2);
  return false;
}

export const syncIoOnRequestPath: SmellDetector = {
  kind: KIND,
  recipe: RECIPE,
  detect(f: FileFacts): Smell[] {
    const t = typescript();
    const out: Smell[] = [];
    const syncCalls = f.calls.filter((c) => {
      const ref = moduleRef(c.expression, f.bindings);
      const last = ref?.members[ref.members.length - 1];
      return ref !== undefined && SYNC_MODULES.has(ref.module) && last !== undefined && last.endsWith('Sync');
    });
    if (syncCalls.length === 0) return out;

    const byName = new Map<string, FunctionLike[]>();
    for (const fn of f.functions) {
      let name: string | undefined;
      if ((t.isFunctionDeclaration(fn) || t.isFunctionExpression(fn)) && fn.name) name = fn.name.text;
      else if ((t.isArrowFunction(fn) || t.isFunctionExpression(fn)) && t.isVariableDeclaration(fn.parent) && t.isIdentifier(fn.parent.name)) name = fn.parent.name.text;
      if (name === undefined) continue;
      byName.set(name, [...(byName.get(name) ?? []), fn]);
    }
    const methodOf = (cls: TS.Node, name: string): FunctionLike | undefined =>
      f.functions.find((fn) => t.isMethodDeclaration(fn) && fn.parent === cls && (t.isIdentifier(fn.name) || t.isPrivateIdentifier(fn.name)) && fn.name.text === name);
    /** the functions an argument stands for: a function literal, or the name of one declared in the file */
    const functionsOf = (e: TS.Expression): FunctionLike[] => {
      e = skipOuter(e);
      if (isFunctionLike(e)) return [e];
      if (t.isIdentifier(e)) return byName.get(e.text) ?? [];
      return [];
    };

    const handlers = new Set<FunctionLike>();
    for (const c of f.calls) {
      const name = calleeName(c);
      const callee = skipOuter(c.expression);
      if (name !== undefined && ROUTE_METHODS.has(name) && t.isPropertyAccessExpression(callee)) {
        for (const a of c.arguments) for (const fn of functionsOf(a)) if (looksLikeHandler(fn)) handlers.add(fn);
      }
      if (name === 'route' && t.isPropertyAccessExpression(callee)) {
        for (const a of c.arguments) {
          const obj = skipOuter(a);
          if (!t.isObjectLiteralExpression(obj)) continue;
          for (const p of obj.properties) {
            if (p.name === undefined || !t.isIdentifier(p.name) || p.name.text !== 'handler') continue;
            if (t.isMethodDeclaration(p)) handlers.add(p);
            else if (t.isPropertyAssignment(p)) for (const fn of functionsOf(p.initializer)) handlers.add(fn);
          }
        }
      }
      const ref = moduleRef(c.expression, f.bindings);
      if (ref && (ref.module === 'http' || ref.module === 'https' || ref.module === 'http2') && /^create(Secure)?Server$/.test(ref.members.join('.'))) {
        for (const a of c.arguments) for (const fn of functionsOf(a)) handlers.add(fn);
      }
      const l = listenerCall(c);
      if (l && l.event === 'request') for (const a of c.arguments.slice(1)) for (const fn of functionsOf(a)) handlers.add(fn);
    }
    if (handlers.size === 0) return out;

    // functions of this file reached from a handler
    const reached = new Set<FunctionLike>(handlers);
    const queue = [...handlers];
    while (queue.length > 0) {
      const fn = queue.pop() as FunctionLike;
      for (const c of f.calls) {
        let inside = false;
        for (let p: TS.Node | undefined = c.parent; p; p = p.parent) {
          if (p === fn) {
            inside = true;
            break;
          }
        }
        if (!inside) continue;
        const callee = skipOuter(c.expression);
        let targets: FunctionLike[] = [];
        if (t.isIdentifier(callee)) targets = byName.get(callee.text) ?? [];
        else if (t.isPropertyAccessExpression(callee) && callee.expression.kind === t.SyntaxKind.ThisKeyword) {
          for (let p: TS.Node | undefined = c.parent; p; p = p.parent) {
            if (t.isClassLike(p)) {
              const m = methodOf(p, callee.name.text);
              if (m) targets = [m];
              break;
            }
          }
        }
        for (const target of targets) {
          if (!reached.has(target)) {
            reached.add(target);
            queue.push(target);
          }
        }
      }
    }

    for (const c of syncCalls) {
      let onPath = false;
      for (let p: TS.Node | undefined = c.parent; p && !onPath; p = p.parent) if (isFunctionLike(p) && reached.has(p)) onPath = true;
      if (!onPath) continue;
      const ref = moduleRef(c.expression, f.bindings);
      const what = ref ? `${ref.module}.${ref.members.join('.')}` : 'this call';
      const asyncName = ref?.members[ref.members.length - 1]?.replace(/Sync$/, '') ?? '';
      out.push(smellAt(f, KIND, RECIPE, c, `${what} blocks the event loop while a request waits, stalling every other request; use the async ${asyncName} (await it) or do it once at start-up`));
    }
    return out;
  },
};
