import { bad, onlyKeys, optString } from '../params.js';
import { defineKind } from '../types.js';

const BUILTIN: Record<string, ErrorConstructor> = { Error, TypeError, RangeError, SyntaxError, ReferenceError, EvalError, URIError };

interface ThrowParams {
  make(faultId: string): Error;
}

/** A class of the given name (a built-in one, or an Error subclass named so: `DatabaseError`). */
function errorClass(name: string): new (message: string) => Error {
  const builtin = BUILTIN[name];
  if (builtin) return builtin;
  const named = { [name]: class extends Error {} }[name] as new (message: string) => Error;
  Object.defineProperty(named.prototype, 'name', { value: name, writable: true, configurable: true });
  return named;
}

/**
 * throw: the call throws (an async function returns a rejected promise) without running the function;
 * on a route, the request handler's tick throws (an uncaught exception, as an app bug would).
 */
export const throwKind = defineKind<ThrowParams>({
  name: 'throw',
  summary: 'throw an error instead of running the function (async functions reject); on a route, throw in the request tick',
  parse(raw) {
    onlyKeys(raw, ['message', 'errorClass', 'code'], 'throw');
    const cls = optString(raw.errorClass, 'params.errorClass') ?? 'Error';
    if (!/^[A-Za-z_$][\w$]*$/.test(cls)) throw bad('params.errorClass', `expected a class name such as TypeError or DatabaseError, got ${JSON.stringify(cls)}`);
    const message = optString(raw.message, 'params.message');
    const code = optString(raw.code, 'params.code');
    const Ctor = errorClass(cls);
    return {
      make(faultId) {
        const err = new Ctor(message ?? `faultline: injected ${cls} (fault ${faultId})`);
        if (code !== undefined) (err as Error & { code?: string }).code = code;
        return err;
      },
    };
  },
  call(c) {
    const err = c.params.make(c.fault.id);
    Error.captureStackTrace(err, c.wrapper);
    c.markInjected(err);
    if (c.rec.async) return Promise.reject(err);
    throw err;
  },
  request(c) {
    const err = c.params.make(c.fault.id);
    c.markInjected(err);
    throw err;
  },
});
