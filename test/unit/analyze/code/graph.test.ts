import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { importGraph, pageRank } from '../../../../src/analyze/code/graph.js';
import { resolveImport } from '../../../../src/analyze/code/resolve.js';

const close = (a: number, b: number) => expect(Math.abs(a - b)).toBeLessThan(1e-8);

describe('pageRank', () => {
  it('A → B: B is dangling and spreads its rank (rA = 0.5/1.425)', () => {
    const r = pageRank(['A', 'B'], new Map([['A', ['B']]]));
    close(r.get('A')!, 0.5 / 1.425);
    close(r.get('B')!, 1 - 0.5 / 1.425);
  });

  it('a cycle ranks every node 1/3', () => {
    const r = pageRank(['A', 'B', 'C'], new Map([['A', ['B']], ['B', ['C']], ['C', ['A']]]));
    for (const v of r.values()) close(v, 1 / 3);
  });

  it('a star of three importers of a dangling hub: leaves 0.25/1.6375, hub the rest', () => {
    const r = pageRank(['A', 'B', 'C', 'D'], new Map([['B', ['A']], ['C', ['A']], ['D', ['A']]]));
    const leaf = 0.25 / 1.6375;
    for (const k of ['B', 'C', 'D']) close(r.get(k)!, leaf);
    close(r.get('A')!, 1 - 3 * leaf);
  });

  it('sums to 1 and stays positive on any graph (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 30 }), fc.array(fc.tuple(fc.nat(29), fc.nat(29)), { maxLength: 120 }), (n, pairs) => {
        const nodes = Array.from({ length: n }, (_, i) => `n${i}`);
        const edges = new Map<string, string[]>();
        for (const [a, b] of pairs) if (a < n && b < n) edges.set(`n${a}`, [...(edges.get(`n${a}`) ?? []), `n${b}`]);
        const r = pageRank(nodes, edges);
        const sum = [...r.values()].reduce((x, y) => x + y, 0);
        return Math.abs(sum - 1) < 1e-9 && [...r.values()].every((v) => v > 0);
      }),
      { numRuns: 200, interruptAfterTimeLimit: 5000 },
    );
  });
});

describe('importGraph', () => {
  it('counts distinct importers and imports, ignoring self-imports, duplicates and unknown paths', () => {
    const g = importGraph([
      { path: 'a.ts', imports: ['b.ts', 'b.ts', 'a.ts', 'missing.ts'] },
      { path: 'b.ts', imports: ['c.ts'] },
      { path: 'c.ts', imports: [] },
      { path: 'test/a.test.ts', imports: ['a.ts', 'c.ts'] },
    ]);
    const by = new Map(g.map((n) => [n.path, n]));
    expect([by.get('a.ts')?.fanIn, by.get('a.ts')?.fanOut]).toEqual([1, 1]);
    expect([by.get('c.ts')?.fanIn, by.get('c.ts')?.fanOut]).toEqual([2, 0]);
    close(g.reduce((s, n) => s + n.pageRank, 0), 1);
    expect(by.get('c.ts')!.pageRank).toBeGreaterThan(by.get('a.ts')!.pageRank);
  });
});

describe('resolveImport', () => {
  const paths = new Set(['src/a.ts', 'src/b/index.ts', 'src/c.js', 'src/d.tsx', 'src/e.mts', 'lib/f.cjs', 'index.js']);
  it.each([
    ['src/x.ts', './a.js', 'src/a.ts'], // TypeScript's .js → .ts
    ['src/x.ts', './a', 'src/a.ts'],
    ['src/x.ts', './b', 'src/b/index.ts'],
    ['src/x.ts', './b/', 'src/b/index.ts'],
    ['src/x.ts', './c.js', 'src/c.js'],
    ['src/x.ts', './d.js', 'src/d.tsx'],
    ['src/x.ts', './e.mjs', 'src/e.mts'],
    ['src/b/index.ts', '../../lib/f.cjs', 'lib/f.cjs'],
    ['src/x.ts', '..', 'index.js'],
    ['src/x.ts', './nope', undefined],
    ['src/x.ts', '../../outside', undefined],
  ])('%s imports %s → %s', (from, spec, to) => {
    expect(resolveImport(from, spec, paths)).toBe(to);
  });
});
