/**
 * unguarded-json-parse: `JSON.parse(…)` outside every try block of its function, so one malformed payload
 * throws out of the handler (or crashes the process from a callback).
 *
 * Sees: calls of `JSON.parse` with no `try { … }` around them up to the nearest function boundary (a callback
 * of a synchronous array method — map, forEach, filter, reduce, … — is looked through, since a try around the
 * array call catches its throws). Not reported: a string literal argument that parses, and the
 * deep-clone idiom `JSON.parse(JSON.stringify(x))`.
 * Cannot see: a try/catch in the caller, a promise chain's `.catch` that would catch the throw.
 */
import type { Smell } from '../../../core/analysis.js';
import { isFunctionLike, skipOuter } from '../ast.js';
import { typescript, type TS } from '../ts.js';
import { type FileFacts, smellAt } from './facts.js';
import type { SmellDetector } from './types.js';

const KIND = 'unguarded-json-parse';
const RECIPE = 'guard-json-parse';

const SYNC_CALLBACK_TAKERS = new Set(['map', 'forEach', 'filter', 'reduce', 'reduceRight', 'some', 'every', 'find', 'findIndex', 'findLast', 'findLastIndex', 'flatMap', 'sort', 'from']);

/** A callback an array method runs synchronously (a try around the array call catches its throws). */
function isSyncCallback(fn: TS.Node): boolean {
  const t = typescript();
  const call = fn.parent;
  if (!call || !t.isCallExpression(call) || !call.arguments.includes(fn as TS.Expression)) return false;
  const callee = skipOuter(call.expression);
  return t.isPropertyAccessExpression(callee) && SYNC_CALLBACK_TAKERS.has(callee.name.text);
}

function insideTry(node: TS.Node): boolean {
  const t = typescript();
  for (let child: TS.Node = node, p = node.parent; p; child = p, p = p.parent) {
    if (isFunctionLike(p) && !isSyncCallback(p)) return false;
    if (t.isTryStatement(p) && p.tryBlock === child) return true;
  }
  return false;
}

function cannotThrow(arg: TS.Expression | undefined): boolean {
  const t = typescript();
  if (arg === undefined) return false;
  const a = skipOuter(arg);
  if (t.isStringLiteralLike(a)) {
    try {
      JSON.parse(a.text);
      return true;
    } catch {
      return false;
    }
  }
  if (t.isCallExpression(a)) {
    const c = skipOuter(a.expression);
    return t.isPropertyAccessExpression(c) && t.isIdentifier(c.expression) && c.expression.text === 'JSON' && c.name.text === 'stringify';
  }
  return false;
}

export const unguardedJsonParse: SmellDetector = {
  kind: KIND,
  recipe: RECIPE,
  detect(f: FileFacts): Smell[] {
    const t = typescript();
    const out: Smell[] = [];
    if (f.declared.has('JSON')) return out;
    for (const c of f.calls) {
      const e = skipOuter(c.expression);
      if (!t.isPropertyAccessExpression(e) || e.name.text !== 'parse' || !t.isIdentifier(e.expression) || e.expression.text !== 'JSON') continue;
      if (insideTry(c) || cannotThrow(c.arguments[0])) continue;
      out.push(smellAt(f, KIND, RECIPE, c, 'JSON.parse throws on malformed input and nothing here catches it; wrap it in try/catch and answer the bad input (e.g. 400) instead of crashing'));
    }
    return out;
  },
};
