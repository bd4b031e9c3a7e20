import { describe, expect, it } from 'vitest';
import { ErrorRing, describeThrown, parseStack } from '../../../src/inject/agent/evidence.js';

describe('parseStack', () => {
  it('parses V8 frames, converts file URLs and marks application frames', () => {
    const stack = [
      "TypeError: Cannot read properties of null (reading 'amount')",
      '    at computeTotal (file:///app/lib.mjs:17:36)',
      '    at process.processTicksAndRejections (node:internal/process/task_queues:95:5)',
      '    at async Server.<anonymous> (file:///app/service.mjs:33:19)',
      '    at file:///app/main.mjs:3:1',
      '    at new Promise (<anonymous>)',
      '    at Object.<anonymous> (/app/node_modules/x/index.js:1:2)',
    ].join('\n');
    const frames = parseStack(stack, (f) => f.startsWith('/app/') && !f.includes('node_modules'));
    expect(frames).toEqual([
      { fn: 'computeTotal', file: '/app/lib.mjs', line: 17, column: 36, app: true },
      { fn: 'process.processTicksAndRejections', file: 'node:internal/process/task_queues', line: 95, column: 5, app: false },
      { fn: 'async Server.<anonymous>', file: '/app/service.mjs', line: 33, column: 19, app: true },
      { file: '/app/main.mjs', line: 3, column: 1, app: true },
      { fn: 'Object.<anonymous>', file: '/app/node_modules/x/index.js', line: 1, column: 2, app: false },
    ]);
    expect(parseStack(undefined, () => true)).toEqual([]);
  });

  it('describes anything thrown', () => {
    class DbError extends Error {
      code = 'E_DB';
    }
    expect(describeThrown(new DbError('x'))).toMatchObject({ class: 'DbError', message: 'x', code: 'E_DB' });
    expect(describeThrown('plain')).toEqual({ class: 'string', message: 'plain' });
    expect(describeThrown({ message: 'obj' })).toMatchObject({ class: 'Object', message: 'obj' });
  });
});

describe('ErrorRing', () => {
  const rec = (message: string, faultIds: string[] = ['f1']) => ({ ts: '', source: 'function' as const, faultIds, injected: false, class: 'Error', message, frames: [] });

  it('keeps the newest records up to its capacity, oldest first', () => {
    const ring = new ErrorRing(3);
    for (let i = 1; i <= 5; i++) ring.push(rec(`e${i}`));
    expect(ring.list().map((r) => r.message)).toEqual(['e3', 'e4', 'e5']);
    expect(ring.list().map((r) => r.seq)).toEqual([3, 4, 5]);
    expect(ring.dropped).toBe(2);
    expect(ring.size).toBe(3);
  });

  it('filters by fault, sequence and limit, and clears', () => {
    const ring = new ErrorRing(10);
    ring.push(rec('a', ['f1']));
    ring.push(rec('b', ['f2']));
    ring.push(rec('c', ['f1', 'f2']));
    expect(ring.list({ faultId: 'f2' }).map((r) => r.message)).toEqual(['b', 'c']);
    expect(ring.list({ sinceSeq: 1 }).map((r) => r.message)).toEqual(['b', 'c']);
    expect(ring.list({ limit: 1 }).map((r) => r.message)).toEqual(['c']);
    expect(ring.clear()).toBe(3);
    expect(ring.list()).toEqual([]);
    expect(ring.push(rec('d')).seq).toBe(4);
  });
});
