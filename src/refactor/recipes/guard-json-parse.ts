/**
 * guard-json-parse: route `JSON.parse` of outside input through a local `parseJson` that turns the
 * SyntaxError of malformed input into a typed `JsonParseError` (`code: 'ERR_INVALID_JSON'`, `status` and
 * `statusCode` 400, `expose: true`, the SyntaxError as `cause`). Express, Fastify, Koa and http-errors read
 * `status`/`statusCode`, so a bad payload is answered 400 instead of 500, and callers can tell bad input
 * (`instanceof JsonParseError`) from bugs. Errors thrown by a reviver pass through unchanged.
 *
 * Refuses: a `JSON.parse` already inside a try block of its function (or of a synchronous array callback's
 * caller), a file that declares its own `JSON`, and a call inside an event listener, timer callback or
 * error-first callback — a throw there escapes to the event loop, so a typed error would crash the process
 * just the same; that case needs handling written by hand.
 */
import { enclosingFunction, isDeclared, throwEscapes } from '../ast.js';
import { insideTryOfFunction, isJsonParseCall } from '../../lang/patterns.js';
import { ensureHelper } from '../helpers.js';
import { defineRecipe, type Plan, type RecipeContext, refuse } from '../recipe.js';
import { typescript } from '../ts.js';

const ID = 'guard-json-parse';

const TS_HELPER = `function parseJson(text: string, reviver?: (this: any, key: string, value: any) => any): any {
  try {
    return JSON.parse(text, reviver);
  } catch (cause) {
    if (cause instanceof SyntaxError) throw new JsonParseError(cause);
    throw cause;
  }
}

/** Malformed JSON from outside: answered 400 by Express, Fastify and Koa (status/statusCode), not 500. */
class JsonParseError extends Error {
  readonly code = 'ERR_INVALID_JSON';
  readonly status = 400;
  readonly statusCode = 400;
  readonly expose = true;
  constructor(cause: SyntaxError) {
    super(\`invalid JSON: \${cause.message}\`, { cause });
    this.name = 'JsonParseError';
  }
}`;

const JS_HELPER = `function parseJson(text, reviver) {
  try {
    return JSON.parse(text, reviver);
  } catch (cause) {
    if (cause instanceof SyntaxError) throw new JsonParseError(cause);
    throw cause;
  }
}

/** Malformed JSON from outside: answered 400 by Express, Fastify and Koa (status/statusCode), not 500. */
class JsonParseError extends Error {
  code = 'ERR_INVALID_JSON';
  status = 400;
  statusCode = 400;
  expose = true;
  constructor(cause) {
    super(\`invalid JSON: \${cause.message}\`, { cause });
    this.name = 'JsonParseError';
  }
}`;

function plan(ctx: RecipeContext): Plan {
  const t = typescript();
  const call = ctx.at(isJsonParseCall)[0];
  if (call === undefined) return refuse('no JSON.parse(…) call starts here');
  if (isDeclared(ctx.sf, 'JSON')) return refuse('the file declares its own JSON');
  if (call.arguments.length === 0 || call.arguments.length > 2 || call.arguments.some((a) => t.isSpreadElement(a))) return refuse('JSON.parse is called with an unusual argument list');
  if (insideTryOfFunction(call)) return refuse('JSON.parse is already inside a try block');
  const fn = enclosingFunction(call);
  const escapes = fn && throwEscapes(fn, ctx.sf);
  if (escapes !== undefined) return refuse(`a throw here escapes to the event loop (${escapes}): a typed error would still crash the process; handle the bad input by hand`);
  const helper = ensureHelper(ctx, ID, ['parseJson', 'JsonParseError'], (names, typed) => (typed ? TS_HELPER : JS_HELPER).replace(/\bparseJson\b/g, names.parseJson as string).replace(/\bJsonParseError\b/g, names.JsonParseError as string), 'JSON.parse with a typed error for malformed input.');
  const callee = call.expression;
  return { edits: [...helper.edits, { start: callee.getStart(ctx.sf), end: callee.end, newText: helper.names.parseJson as string }] };
}

export const guardJsonParse = defineRecipe({
  id: ID,
  title: 'Guard JSON.parse with a typed error for malformed input',
  category: 'resilience',
  addresses: { smells: ['unguarded-json-parse'], failureTypes: ['unhandled-error', 'crash', 'data-corruption'] },
  options: [],
  plan,
});
