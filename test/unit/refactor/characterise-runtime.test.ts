// The characterisation runtime: the canonical serialiser on edge values, the input codec, one call's outcome,
// how outcomes read — in-process and as the generated runtime.mjs the child processes import.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import * as rt from '../../../src/refactor/characterise/runtime.js';

const { canonical, encodeValue, decodeValue, callOnce, describeOutcome, describeCall, sameOutcome, resolveCallable } = rt;
const dir = mkdtempSync(join(tmpdir(), 'fl-char-rt-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('canonical', () => {
  it('tells apart what JSON.stringify confuses', () => {
    expect(canonical(undefined)).toBe('undefined');
    expect(canonical(null)).toBe('null');
    expect(canonical(NaN)).toBe('NaN');
    expect(canonical(Infinity)).toBe('Infinity');
    expect(canonical(-Infinity)).toBe('-Infinity');
    expect(canonical(-0)).toBe('-0');
    expect(canonical(0)).toBe('0');
    expect(canonical(10n)).toBe('10n');
    expect(canonical('10')).toBe('"10"');
    expect(canonical([undefined, null])).toBe('[undefined, null]');
    // eslint-disable-next-line no-sparse-arrays
    expect(canonical([1, , 3])).toBe('[1, <empty>, 3]');
    expect(canonical({ a: undefined })).not.toBe(canonical({}));
    expect(canonical(new Date(0))).toBe('Date(1970-01-01T00:00:00.000Z)');
    expect(canonical(new Date(NaN))).toBe('Date(Invalid)');
    expect(canonical(Symbol('s'))).toBe('Symbol(s)');
    expect(canonical(function named() {})).toBe('[Function named]');
    expect(canonical(/a+/gi)).toBe('/a+/gi');
    expect(canonical(new Uint8Array([1, 2]))).toBe('Uint8Array[1, 2]');
  });

  it('sorts object keys, keeps Map and Set order, names class instances and errors', () => {
    expect(canonical({ b: 1, a: 2 })).toBe(canonical({ a: 2, b: 1 }));
    expect(canonical({ b: 1, a: 2 })).toBe('{a: 2, b: 1}');
    expect(canonical({ 'needs quotes': 1 })).toBe('{"needs quotes": 1}');
    expect(canonical(new Map<unknown, unknown>([['k', 1], [2, { z: [] }]]))).toBe('Map{"k" => 1, 2 => {z: []}}');
    expect(canonical(new Map([[1, 1], [2, 2]]))).not.toBe(canonical(new Map([[2, 2], [1, 1]])));
    expect(canonical(new Set([3, 1]))).toBe('Set{3, 1}');
    class Point {
      constructor(readonly x: number) {}
    }
    expect(canonical(new Point(1))).toBe('Point {x: 1}');
    expect(canonical(Object.create(null))).toBe('[null prototype] {}');
    const e = Object.assign(new RangeError('bad'), { code: 'E1' });
    expect(canonical(e)).toBe('RangeError("bad") {code: "E1"}');
  });

  it('marks cycles with the path they point back to, and repeats shared (acyclic) references', () => {
    const a: Record<string, unknown> = { n: 1 };
    a.self = a;
    a.list = [a];
    expect(canonical(a)).toBe('{list: [[Circular $]], n: 1, self: [Circular $]}');
    const shared = { v: 1 };
    expect(canonical([shared, shared])).toBe('[{v: 1}, {v: 1}]');
    const m = new Map<string, unknown>();
    m.set('me', m);
    expect(canonical(m)).toBe('Map{"me" => [Circular $]}');
  });

  it('does not throw on a getter that throws', () => {
    const o = {
      get boom(): number {
        throw new TypeError('no');
      },
    };
    expect(canonical(o)).toBe('{boom: "[getter threw TypeError]"}');
  });
});

describe('encodeValue / decodeValue', () => {
  it('round-trips through JSON what JSON alone loses', () => {
    const v = { u: undefined, n: [NaN, Infinity, -Infinity, -0, 1.5], b: -(2n ** 70n), d: new Date(86_400_000), bad: new Date(NaN), m: new Map([[1, new Set(['x'])]]), nested: [{ $: 'object' }], s: 'x', t: true, z: null };
    const back = decodeValue(JSON.parse(JSON.stringify(encodeValue(v))));
    expect(canonical(back)).toBe(canonical(v));
    expect(Object.is((back as { n: number[] }).n[3], -0)).toBe(true);
  });

  it('keeps a "__proto__" key as data, not as the prototype', () => {
    const v = JSON.parse('{"__proto__": {"polluted": true}}') as object;
    const back = decodeValue(JSON.parse(JSON.stringify(encodeValue(v)))) as Record<string, unknown>;
    expect(Object.getPrototypeOf(back)).toBe(Object.prototype);
    expect(Object.keys(back)).toEqual(['__proto__']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe('callOnce and how outcomes read', () => {
  const fn = (f: (...a: any[]) => unknown) => ({ call: (args: unknown[]) => f(...args) });

  it('records returns, throws, settled promises, timeouts and changed arguments', async () => {
    expect(await callOnce(fn((x: number) => x * 2), [2], 50)).toEqual({ kind: 'returned', value: '4' });
    expect(await callOnce(fn(() => { throw new RangeError('out of range'); }), [], 50)).toEqual({ kind: 'threw', error: 'RangeError: out of range' });
    expect(await callOnce(fn(() => { throw 'plain'; }), [], 50)).toEqual({ kind: 'threw', error: '"plain"' });
    expect(await callOnce(fn(async (x: number) => x + 1), [1], 50)).toEqual({ kind: 'resolved', value: '2' });
    expect(await callOnce(fn(async () => { throw new TypeError('t'); }), [], 50)).toEqual({ kind: 'rejected', error: 'TypeError: t' });
    const t0 = performance.now();
    expect(await callOnce(fn(() => new Promise(() => {})), [], 50)).toEqual({ kind: 'timeout', ms: 50 });
    expect(performance.now() - t0).toBeLessThan(2000);
    expect(await callOnce(fn((xs: number[]) => xs.sort((a, b) => a - b).length), [[3, 1, 2]], 50)).toEqual({ kind: 'returned', value: '3', mutated: '[[1, 2, 3]]' });
  });

  it('reads like a sentence, past and present', () => {
    expect(`${describeCall('f', [-1])} ${describeOutcome({ kind: 'returned', value: '0' }, 'was')}, now ${describeOutcome({ kind: 'threw', error: 'RangeError: x' }, 'now')}`).toBe('f(-1) returned 0, now throws RangeError: x');
    expect(describeOutcome({ kind: 'resolved', value: '"a"', mutated: '[[]]' }, 'now')).toBe('resolves to "a" and leaves its arguments as [[]]');
    expect(describeOutcome({ kind: 'timeout', ms: 200 }, 'now')).toBe('does not settle in 200 ms');
    expect(describeCall('g', ['x'.repeat(100)]).length).toBeLessThan(80);
  });

  it('compares outcomes by kind, value, error and changed arguments', () => {
    expect(sameOutcome({ kind: 'returned', value: '1' }, { kind: 'returned', value: '1' })).toBe(true);
    expect(sameOutcome({ kind: 'returned', value: '1' }, { kind: 'resolved', value: '1' })).toBe(false);
    // awaited (a resilience recipe may make the function async): the same value resolved, the same error rejected
    expect(sameOutcome({ kind: 'returned', value: '1' }, { kind: 'resolved', value: '1' }, true)).toBe(true);
    expect(sameOutcome({ kind: 'threw', error: 'E' }, { kind: 'rejected', error: 'E' }, true)).toBe(true);
    expect(sameOutcome({ kind: 'returned', value: '1' }, { kind: 'resolved', value: '2' }, true)).toBe(false);
    expect(sameOutcome({ kind: 'returned', value: '1' }, { kind: 'rejected', error: '1' }, true)).toBe(false);
    expect(sameOutcome({ kind: 'returned', value: '1' }, { kind: 'returned', value: '1', mutated: '[]' })).toBe(false);
    expect(sameOutcome({ kind: 'threw', error: 'E: a' }, { kind: 'threw', error: 'E: b' })).toBe(false);
  });

  it('reaches functions, static methods and methods of a class built without arguments', () => {
    class C {
      base = 10;
      add(n: number): number {
        return this.base + n;
      }
      static twice(n: number): number {
        return 2 * n;
      }
    }
    const mod = { C, f: (n: number) => n - 1, default: { g: () => 'g' } };
    const call = (spec: rt.CallableSpec, args: unknown[]): unknown => {
      const c = resolveCallable(mod, spec);
      if ('missing' in c) throw new Error(c.missing);
      return c.call(args);
    };
    expect(call({ binding: 'f' }, [1])).toBe(0);
    expect(call({ binding: 'C', method: 'add' }, [1])).toBe(11);
    expect(call({ binding: 'C', method: 'twice', isStatic: true }, [4])).toBe(8);
    expect(call({ binding: 'g' }, [])).toBe('g');
    expect(resolveCallable(mod, { binding: 'nope' })).toHaveProperty('missing');
  });
});

describe('runtime.mjs (what the child processes import)', () => {
  it('is the same functions, self-contained', async () => {
    const file = join(dir, 'runtime.mjs');
    writeFileSync(file, rt.runtimeModuleSource());
    const m = (await import(pathToFileURL(file).href)) as typeof rt;
    const a: Record<string, unknown> = { x: [1, -0, NaN, 2n, undefined, new Date(0)], s: new Set([1]) };
    a.self = a;
    expect(m.canonical(a)).toBe(canonical(a));
    expect(m.canonical(m.decodeValue(JSON.parse(JSON.stringify(m.encodeValue(a.x)))))).toBe(canonical(a.x));
    expect(await m.callOnce({ call: () => Promise.reject(new Error('e')) }, [], 50)).toEqual({ kind: 'rejected', error: 'Error: e' });
    expect(m.describeOutcome({ kind: 'returned', value: '1' }, 'now')).toBe('returns 1');
  });
});
