import { onlyKeys } from '../params.js';
import { defineKind, type AgentFaultKindName } from '../types.js';

function returnKind(name: AgentFaultKindName, value: null | undefined) {
  return defineKind<null>({
    name,
    summary: `return ${String(value)} instead of running the function (async functions resolve to it)`,
    parse(raw) {
      onlyKeys(raw, [], name);
      return null;
    },
    call(c) {
      return c.rec.async ? Promise.resolve(value) : value;
    },
  });
}

/** null / undefined: the function is not run and returns that value (an async one resolves to it). */
export const nullKind = returnKind('null', null);
export const undefinedKind = returnKind('undefined', undefined);
