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
import { insideTryOfFunction, isJsonParseCall } from '../../../lang/patterns.js';
import { skipOuter } from '../ast.js';
import { typescript, type TS } from '../ts.js';
import { type FileFacts, smellAt } from './facts.js';
import type { SmellDetector } from './types.js';

const KIND = 'unguarded-json-parse';
const RECIPE = 'guard-json-parse';

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
    const out: Smell[] = [];
    if (f.declared.has('JSON')) return out;
    for (const c of f.calls) {
      if (!isJsonParseCall(c)) continue;
      if (insideTryOfFunction(c) || cannotThrow(c.arguments[0])) continue;
      out.push(smellAt(f, KIND, RECIPE, c, 'JSON.parse throws on malformed input and nothing here catches it; wrap it in try/catch and answer the bad input (e.g. 400) instead of crashing'));
    }
    return out;
  },
};
