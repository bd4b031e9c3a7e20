// Characterisation inputs: parameter shapes read from the TypeScript checker (TS declarations, JSDoc, default
// values), which functions are characterisable and why not, and the seeded fast-check inputs generated from them.
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { generateInputs } from '../../../src/refactor/characterise/arbitraries.js';
import { type FunctionPick, pickFunction } from '../../../src/refactor/characterise/functions.js';
import { checkerFor } from '../../../src/refactor/characterise/program.js';
import { describeParams } from '../../../src/refactor/characterise/shapes.js';

const FIX = resolve(__dirname, '../../fixtures/refactor/characterise');

function pick(file: string, marker: string, text?: string): FunctionPick {
  const abs = join(FIX, file);
  const src = text ?? readFileSync(abs, 'utf8');
  const line = src.slice(0, src.indexOf(marker)).split('\n').length;
  const { checker, sf } = checkerFor(abs, src);
  return pickFunction(checker, sf, line);
}

function ok(p: FunctionPick): Extract<FunctionPick, { ok: true }>['fn'] {
  if (!p.ok) throw new Error(`not characterisable: ${p.reason}`);
  return p.fn;
}

describe('characterisation: which function, and its parameter shapes', () => {
  it('reads (a: number, b: "x" | "y", c?: {n: number; s: string[]}) from the declared types', () => {
    const fn = ok(pick('signatures.ts', 'return `${a}'));
    expect(fn).toMatchObject({ name: 'mixed', binding: 'mixed' });
    expect(describeParams(fn.params)).toBe("a: number, b: 'x' | 'y', c?: { n: number; s: string[] }");
  });

  it('reads Date, bigint, tuples with null, records, rest parameters, and class methods', () => {
    expect(describeParams(ok(pick('signatures.ts', 'when.getTime()')).params)).toBe('when: Date, big: bigint, pair: [boolean, null | number], tags: Record<string, number>');
    expect(describeParams(ok(pick('signatures.ts', 'first.length + more')).params)).toBe('first: string, ...more: number[]');
    expect(ok(pick('signatures.ts', 'for (const x of xs) t += x'))).toMatchObject({ name: 'Counter.total', binding: 'Counter', method: 'total' });
    expect(ok(pick('signatures.ts', 'return n * 2'))).toMatchObject({ name: 'Counter.twice', method: 'twice', isStatic: true });
  });

  it('goes out from a nested callback to the top-level function that holds it', () => {
    expect(ok(pick('signatures.ts', 'return x + 1'))).toMatchObject({ name: 'outer', binding: 'outer' });
  });

  it('refuses what it cannot generate or call, with the reason', () => {
    const reason = (p: FunctionPick): string => (p.ok ? 'characterisable' : p.reason);
    expect(reason(pick('signatures.ts', 'return cb(1)'))).toMatch(/parameter cb: .*a function/);
    expect(reason(pick('signatures.ts', 'return m.size'))).toMatch(/parameter m: Map<string, number> \(a built-in object type other than Date\)/);
    expect(reason(pick('signatures.ts', 'return x;\n}\n\nexport class'))).toMatch(/parameter x: any/);
    expect(reason(pick('signatures.ts', 'return this.dir.length'))).toMatch(/class Store cannot be constructed without arguments \(constructor\(dir\)\)/);
    expect(reason(pick('signatures.ts', 'Date.now() + x'))).toMatch(/stamp is nondeterministic \(Date\.now at line \d+\)/);
    expect(reason(pick('side-effects.ts', 'return n + 1'))).toMatch(/the module does work when imported \(line \d+: `server\.listen\(0\);`\)/);
    expect(reason(pick('signatures.ts', 'export interface Options'))).toMatch(/not inside a function/);
  });

  it('finds I/O through the module bindings', () => {
    const text = readFileSync(join(FIX, 'side-effects.ts'), 'utf8').replace('server.listen(0);', '');
    const p = pick('side-effects.ts', "readFileSync(path, 'utf8')", text);
    expect(p.ok ? '' : p.reason).toMatch(/readsFile does I\/O \(fs\.readFileSync at line \d+\)/);
    expect(pick('side-effects.ts', 'return n + 1', text).ok).toBe(true);
  });

  it('types JavaScript parameters from JSDoc and from default values, and refuses untyped ones', () => {
    expect(describeParams(ok(pick('jsdoc.js', 'words.filter')).params)).toBe('words: string[], min: number');
    expect(describeParams(ok(pick('jsdoc.js', '`${label}${limit}`')).params)).toBe('limit?: number, label?: string');
    const p = pick('jsdoc.js', 'return x;');
    expect(p.ok ? '' : p.reason).toMatch(/parameter x: any \(no declared type; in JavaScript add a JSDoc @param/);
  });
});

describe('characterisation: generated inputs', () => {
  it('gives every parameter of (a: number, b: "x" | "y", c?: {n: number; s: string[]}) values of its type, seeded', async () => {
    const fn = ok(pick('signatures.ts', 'return `${a}'));
    const inputs = await generateInputs(fn.params, 200, 42);
    expect(inputs.length).toBeGreaterThan(150);
    let withC = 0;
    let withoutC = 0;
    const bs = new Set<unknown>();
    for (const { args } of inputs) {
      const [a, b, c] = args;
      expect(typeof a).toBe('number');
      expect(['x', 'y']).toContain(b);
      bs.add(b);
      expect(args.length === 2 || args.length === 3).toBe(true);
      if (args.length === 2) {
        withoutC++;
        continue;
      }
      withC++;
      const o = c as { n: unknown; s: unknown };
      expect(Object.keys(o).sort()).toEqual(['n', 's']);
      expect(typeof o.n).toBe('number');
      expect(Array.isArray(o.s) && (o.s as unknown[]).every((x) => typeof x === 'string')).toBe(true);
    }
    expect(bs).toEqual(new Set(['x', 'y']));
    expect(withC).toBeGreaterThan(20);
    expect(withoutC).toBeGreaterThan(5);
    // the numbers include small integers and edge doubles
    const as = inputs.map((x) => x.args[0] as number);
    expect(as.some((a) => Number.isInteger(a) && Math.abs(a) <= 10)).toBe(true);
    expect(as.some((a) => !Number.isFinite(a) || Object.is(a, -0) || !Number.isInteger(a))).toBe(true);

    const again = await generateInputs(fn.params, 200, 42);
    expect(again.map((x) => x.encoded)).toEqual(inputs.map((x) => x.encoded));
    const other = await generateInputs(fn.params, 200, 43);
    expect(other.map((x) => x.encoded)).not.toEqual(inputs.map((x) => x.encoded));
  });

  it('generates Dates, bigints, tuples with null, records and rest arguments of their types', async () => {
    const fn = ok(pick('signatures.ts', 'when.getTime()'));
    for (const { args } of await generateInputs(fn.params, 100, 7)) {
      const [when, big, pair, tags] = args as [Date, bigint, [boolean, number | null], Record<string, number>];
      expect(when).toBeInstanceOf(Date);
      expect(Number.isNaN(when.getTime())).toBe(false);
      expect(typeof big).toBe('bigint');
      expect(pair).toHaveLength(2);
      expect(typeof pair[0]).toBe('boolean');
      expect(pair[1] === null || typeof pair[1] === 'number').toBe(true);
      expect(Object.values(tags).every((v) => typeof v === 'number')).toBe(true);
    }
    const rest = ok(pick('signatures.ts', 'first.length + more'));
    const lists = await generateInputs(rest.params, 100, 7);
    expect(lists.every(({ args }) => typeof args[0] === 'string' && args.slice(1).every((x) => typeof x === 'number'))).toBe(true);
    expect(new Set(lists.map(({ args }) => args.length)).size).toBeGreaterThan(2);
  });

  it('does not repeat inputs: a function of two booleans has four', async () => {
    const params = [
      { name: 'a', shape: { kind: 'boolean' as const }, optional: false, rest: false },
      { name: 'b', shape: { kind: 'boolean' as const }, optional: false, rest: false },
    ];
    expect((await generateInputs(params, 100, 1)).map((x) => x.args).sort()).toEqual([
      [false, false],
      [false, true],
      [true, false],
      [true, true],
    ]);
  });
});
