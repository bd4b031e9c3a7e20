/**
 * floating-promise: a call that returns a promise, used as a statement — not awaited, returned, `.catch`ed
 * or `void`ed — so its rejection becomes an unhandledRejection (fatal by default since Node 15) and its
 * completion is never waited for.
 *
 * Sees: calls, as expression statements (also at the end of `.then(f)`/`.finally(f)` chains), of functions
 * declared `async` in the same file (`f()`, and `this.m()` inside the class that declares `async m()`),
 * async IIFEs, global `fetch`, undici `request`/`fetch`, `fs.promises.*` and `fs/promises`,
 * `timers/promises`, axios calls, and `Promise.all|allSettled|race|any`. Not reported: an async function that
 * cannot reject (its body ends in a try/catch whose catch does not throw, after declarations that cannot
 * throw), and a call of a same-file async function that passes a callback last (errors go to the callback).
 * Cannot see: promise-returning functions of other files or packages, promises typed only by the checker.
 */
import type { Smell } from '../../../core/analysis.js';
import { type FunctionLike, moduleRef, skipOuter } from '../ast.js';
import { typescript, type TS } from '../ts.js';
import { type FileFacts, smellAt } from './facts.js';
import type { SmellDetector } from './types.js';

const KIND = 'floating-promise';
const RECIPE = 'await-or-catch';
const AXIOS = new Set(['get', 'delete', 'head', 'options', 'post', 'put', 'patch', 'request', 'postForm', 'putForm', 'patchForm']);

function isAsync(fn: FunctionLike): boolean {
  const t = typescript();
  return (t.getCombinedModifierFlags(fn) & t.ModifierFlags.Async) !== 0;
}

function containsThrow(node: TS.Node): boolean {
  const t = typescript();
  let found = false;
  const visit = (n: TS.Node): void => {
    if (found) return;
    if (t.isThrowStatement(n)) found = true;
    else t.forEachChild(n, visit);
  };
  visit(node);
  return found;
}

/** An expression that cannot throw: literals, names, `this`, and comparisons, logic and ternaries of those. */
function cannotThrow(e: TS.Expression): boolean {
  const t = typescript();
  e = skipOuter(e);
  if (t.isIdentifier(e) || t.isLiteralExpression(e) || e.kind === t.SyntaxKind.ThisKeyword || e.kind === t.SyntaxKind.TrueKeyword || e.kind === t.SyntaxKind.FalseKeyword || e.kind === t.SyntaxKind.NullKeyword) return true;
  if (t.isBinaryExpression(e)) {
    const k = e.operatorToken.kind;
    return k !== t.SyntaxKind.InKeyword && k !== t.SyntaxKind.InstanceOfKeyword && k !== t.SyntaxKind.EqualsToken && cannotThrow(e.left) && cannotThrow(e.right);
  }
  if (t.isPrefixUnaryExpression(e)) return cannotThrow(e.operand);
  if (t.isTypeOfExpression(e)) return true;
  if (t.isConditionalExpression(e)) return cannotThrow(e.condition) && cannotThrow(e.whenTrue) && cannotThrow(e.whenFalse);
  return false;
}

/**
 * An async function that cannot reject: its body ends in a try/catch whose catch (and finally) does not
 * throw, and whatever comes before it is declarations whose initialisers cannot throw.
 */
function neverRejects(fn: FunctionLike): boolean {
  const t = typescript();
  const body = fn.body;
  if (!body || !t.isBlock(body) || body.statements.length === 0) return false;
  const s = body.statements[body.statements.length - 1] as TS.Statement;
  const before = body.statements.slice(0, -1);
  const safeBefore = before.every((b) => t.isVariableStatement(b) && b.declarationList.declarations.every((d) => t.isIdentifier(d.name) && (d.initializer === undefined || cannotThrow(d.initializer))));
  return safeBefore && t.isTryStatement(s) && s.catchClause !== undefined && !containsThrow(s.catchClause.block) && (s.finallyBlock === undefined || !containsThrow(s.finallyBlock));
}

/** A call that passes a callback last: the callee reports errors through it (callback style), not by rejecting. */
function passesCallback(c: TS.CallExpression): boolean {
  const t = typescript();
  const last = c.arguments[c.arguments.length - 1];
  if (last === undefined) return false;
  const e = skipOuter(last);
  return t.isArrowFunction(e) || t.isFunctionExpression(e);
}

export const floatingPromise: SmellDetector = {
  kind: KIND,
  recipe: RECIPE,
  detect(f: FileFacts): Smell[] {
    const t = typescript();
    const out: Smell[] = [];
    const asyncFns = new Map<string, FunctionLike>();
    const asyncMethods = new Map<TS.Node, Map<string, FunctionLike>>();
    for (const fn of f.functions) {
      if (!isAsync(fn)) continue;
      if (t.isFunctionDeclaration(fn) && fn.name) asyncFns.set(fn.name.text, fn);
      else if ((t.isArrowFunction(fn) || t.isFunctionExpression(fn)) && t.isVariableDeclaration(fn.parent) && t.isIdentifier(fn.parent.name)) asyncFns.set(fn.parent.name.text, fn);
      else if (t.isMethodDeclaration(fn) && t.isClassLike(fn.parent) && (t.isIdentifier(fn.name) || t.isPrivateIdentifier(fn.name))) {
        const m = asyncMethods.get(fn.parent) ?? new Map<string, FunctionLike>();
        m.set(fn.name.text, fn);
        asyncMethods.set(fn.parent, m);
      }
    }
    const promiseShadowed = f.declared.has('Promise');
    const fetchIsGlobal = !f.bindings.has('fetch') && !f.declared.has('fetch');

    /** What the call is, when it certainly returns a promise (undefined otherwise). */
    const promiseCall = (c: TS.CallExpression): string | undefined => {
      const callee = skipOuter(c.expression);
      if ((t.isArrowFunction(callee) || t.isFunctionExpression(callee)) && isAsync(callee)) return neverRejects(callee) ? undefined : 'this async IIFE';
      if (t.isIdentifier(callee)) {
        const fn = asyncFns.get(callee.text);
        if (fn) return neverRejects(fn) || passesCallback(c) ? undefined : `${callee.text}() (async)`;
        if (callee.text === 'fetch' && fetchIsGlobal) return 'fetch()';
      }
      if (t.isPropertyAccessExpression(callee) && callee.expression.kind === t.SyntaxKind.ThisKeyword) {
        for (let p: TS.Node | undefined = c.parent; p; p = p.parent) {
          if (t.isClassLike(p)) {
            const fn = asyncMethods.get(p)?.get(callee.name.text);
            if (fn) return neverRejects(fn) || passesCallback(c) ? undefined : `this.${callee.name.text}() (async)`;
            break;
          }
        }
        return undefined;
      }
      if (t.isPropertyAccessExpression(callee) && t.isIdentifier(callee.expression) && callee.expression.text === 'Promise' && !promiseShadowed) {
        return ['all', 'allSettled', 'race', 'any'].includes(callee.name.text) ? `Promise.${callee.name.text}()` : undefined;
      }
      const ref = moduleRef(callee, f.bindings);
      if (!ref || ref.members.length === 0) return ref?.module === 'axios' ? 'axios()' : undefined;
      const member = ref.members.join('.');
      if (ref.module === 'fs' && ref.members[0] === 'promises' && ref.members.length === 2) return `fs.${member}()`;
      if (ref.module === 'fs/promises' || ref.module === 'timers/promises') return `${member}() from ${ref.module}`;
      if (ref.module === 'undici' && (member === 'request' || member === 'fetch')) return `undici ${member}()`;
      if (ref.module === 'axios' && AXIOS.has(member)) return `axios.${member}()`;
      return undefined;
    };

    /** The promise call whose rejection this statement leaves unhandled, following .then(f)/.finally(f) chains. */
    const unhandled = (c: TS.CallExpression): string | undefined => {
      const callee = skipOuter(c.expression);
      if (t.isPropertyAccessExpression(callee) && ['then', 'catch', 'finally'].includes(callee.name.text)) {
        if (callee.name.text === 'catch' || (callee.name.text === 'then' && c.arguments.length >= 2)) return undefined;
        const recv = skipOuter(callee.expression);
        return t.isCallExpression(recv) ? unhandled(recv) : undefined;
      }
      return promiseCall(c);
    };

    for (const c of f.calls) {
      let p: TS.Node = c.parent;
      while (t.isParenthesizedExpression(p)) p = p.parent;
      if (!t.isExpressionStatement(p)) continue;
      const what = unhandled(c);
      if (what === undefined) continue;
      out.push(smellAt(f, KIND, RECIPE, c, `${what} returns a promise that is neither awaited nor caught: its rejection becomes an unhandledRejection; await it, return it, or add .catch()`));
    }
    return out;
  },
};
