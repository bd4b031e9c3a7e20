import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { toleranceProblems, withinTolerance } from '../../../src/experiment/tolerance.js';

describe('tolerances (Chaos Toolkit semantics)', () => {
  it.each([
    ['bool', true, true, true],
    ['bool mismatch', false, true, false],
    ['int vs value', 6, 6, true],
    ['int vs http status', 200, { status: 200, headers: {}, body: '' }, true],
    ['int vs process status', 0, { status: 1, stdout: '', stderr: '' }, false],
    ['string exact', 'ok', 'ok', true],
    ['string is not a substring match', 'ok', 'okay', false],
    ['list: status in list', [200, 204], { status: 204 }, true],
    ['list of two numbers is a range', [0, 0.05], 0.01, true],
    ['list of two numbers is a range (out)', [0, 0.05], 0.2, false],
    ['list membership', ['a', 'b', 'c'], 'b', true],
    ['range with target', { type: 'range', range: [200, 299], target: 'status' }, { status: 201 }, true],
    ['range on a numeric string', { type: 'range', range: [1, 3] }, '2.5', true],
    ['range on a non-number', { type: 'range', range: [1, 3] }, 'abc', false],
    ['regex on body', { type: 'regex', pattern: '^ok', target: 'body' }, { body: 'ok then' }, true],
    ['regex no match', { type: 'regex', pattern: 'down' }, 'all fine', false],
    ['jsonpath exists', { type: 'jsonpath', path: '$.status' }, { status: 'ok' }, true],
    ['jsonpath expect scalar', { type: 'jsonpath', path: '$.status', expect: 'ok', target: 'body' }, { body: { status: 'ok' } }, true],
    ['jsonpath expect list', { type: 'jsonpath', path: '$[*].id', expect: ['a', 'b'], target: 'body' }, { body: [{ id: 'a' }, { id: 'b' }] }, true],
    ['jsonpath count', { type: 'jsonpath', path: '$.items[*]', count: 3 }, { items: [1, 2] }, false],
    ['jsonpath on a JSON string body', { type: 'jsonpath', path: '$.up', expect: true, target: 'body' }, { body: '{"up": true}' }, true],
  ])('%s', (_name, tol, value, met) => {
    expect(withinTolerance(tol, value).met).toBe(met);
  });

  it('records the value it compared', () => {
    expect(withinTolerance(200, { status: 503, body: 'x' }).checked).toBe(503);
    expect(withinTolerance({ type: 'jsonpath', path: '$[*].p' }, [{ p: 1 }, { p: 2 }]).checked).toEqual([1, 2]);
    expect(withinTolerance({ type: 'range', range: [0, 1], target: 'v' }, { v: '0.5' }).checked).toBe(0.5);
  });

  it('a range contains exactly the numbers between its bounds (property)', () => {
    fc.assert(
      fc.property(fc.double({ noNaN: true, min: -1e6, max: 1e6 }), fc.double({ noNaN: true, min: -1e6, max: 1e6 }), fc.double({ noNaN: true, min: -1e6, max: 1e6 }), (a, b, v) => {
        const [lo, hi] = a <= b ? [a, b] : [b, a];
        const inside = lo <= v && v <= hi;
        expect(withinTolerance({ type: 'range', range: [lo, hi] }, v).met).toBe(inside);
        expect(withinTolerance([lo, hi], v).met).toBe(inside);
      }),
      { numRuns: 300 },
    );
  });

  it('an int tolerance compares the status of outputs that have one (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 100, max: 599 }), fc.integer({ min: 100, max: 599 }), (want, got) => {
        expect(withinTolerance(want, { status: got, headers: {}, body: null }).met).toBe(want === got);
      }),
    );
  });

  it('names what is wrong with a malformed tolerance', () => {
    expect(toleranceProblems({ type: 'range', range: [5, 1] })[0]?.path).toEqual(['range']);
    expect(toleranceProblems({ type: 'regex', pattern: '(' })[0]?.path).toEqual(['pattern']);
    expect(toleranceProblems({ type: 'jsonpath', path: 'status' })[0]?.message).toMatch(/starts with \$/);
    expect(toleranceProblems({ type: 'nope' })[0]?.path).toEqual(['type']);
    expect(toleranceProblems([])).toHaveLength(1);
    expect(toleranceProblems(200)).toEqual([]);
  });
});
