import { bad, blockFor, onlyKeys, optBoolean, optDurationMs } from '../params.js';
import { defineKind } from '../types.js';

interface BlockParams {
  ms: number;
  spin: boolean;
}

/**
 * block: the event loop stalls for ms (synchronously) before the function runs, or before the
 * application sees the request. The thread sleeps (Atomics.wait); params.spin=true burns CPU instead.
 */
export const blockKind = defineKind<BlockParams>({
  name: 'block',
  summary: 'block the event loop for ms before the call (or request); spin=true burns CPU instead of sleeping',
  parse(raw) {
    onlyKeys(raw, ['ms', 'spin'], 'block');
    const ms = optDurationMs(raw.ms, 'params.ms', 60_000);
    if (ms === undefined) throw bad('params.ms', 'is required (milliseconds the event loop stays blocked, at most 60000)');
    return { ms, spin: optBoolean(raw.spin, 'params.spin') ?? false };
  },
  call(c) {
    blockFor(c.params.ms, c.params.spin);
    return c.invoke();
  },
  request(c) {
    blockFor(c.params.ms, c.params.spin);
    return c.pass();
  },
});
