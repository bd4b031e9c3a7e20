import { bad, onlyKeys, optBoolean, optDurationMs } from '../params.js';
import { defineKind } from '../types.js';

interface DelayParams {
  ms: number;
  promise: boolean;
}

const wait = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * delay: the function runs ms later and its promise settles then. Only for functions that return a
 * promise (declared async, or params.promise=true); a synchronous function cannot be postponed
 * without blocking the event loop, which is what `block` is for. On a route, the application sees
 * the request ms later.
 */
export const delayKind = defineKind<DelayParams>({
  name: 'delay',
  summary: 'run the function (or let the app see the request) ms later; functions must return a promise',
  parse(raw, on, matched) {
    onlyKeys(raw, on === 'function' ? ['ms', 'promise'] : ['ms'], 'delay');
    const ms = optDurationMs(raw.ms, 'params.ms');
    if (ms === undefined) throw bad('params.ms', 'is required (milliseconds before the call, e.g. 500)');
    const promise = optBoolean(raw.promise, 'params.promise') ?? false;
    const sync = matched.filter((r) => !r.async);
    if (on === 'function' && !promise && sync.length > 0) {
      const names = sync.slice(0, 3).map((r) => `${r.names[0] ?? r.id} (${r.module})`).join(', ');
      throw bad(
        'target.fn',
        `delay needs a function that returns a promise, but ${names} ${sync.length === 1 ? 'is' : 'are'} synchronous; use kind "block" to stall the event loop for ms, or set params.promise=true if ${sync.length === 1 ? 'it returns' : 'they return'} a promise`,
      );
    }
    return { ms, promise };
  },
  applies: (p, rec) => rec.async || p.promise,
  call(c) {
    return wait(c.params.ms).then(() => c.invoke());
  },
  request(c) {
    setTimeout(() => c.pass(), c.params.ms);
    return true;
  },
});
