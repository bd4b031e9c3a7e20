import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { instrumentSource } from '../../../src/inject/agent/instrument.js';
import { scanModule } from '../../../src/inject/agent/scan.js';

function bindings(src: string): Array<[string, string[], string]> {
  const r = scanModule(src);
  if (!r.ok) throw new Error(`scan failed: ${r.reason}`);
  return r.bindings.map((b) => [b.local, b.exported, b.kind]);
}

describe('scanModule', () => {
  it('finds exported declarations of every form', () => {
    const src = [
      'export function a() {}',
      'export async function b() {}',
      'export function* c() {}',
      'export async function* d() {}',
      'export class E { m() {} }',
      'export let f = () => 1',
      'export var g = function () {}',
      'export const h = async (x) => x',
      'export default function i() {}',
    ].join('\n');
    expect(bindings(src)).toEqual([
      ['a', ['a'], 'function'],
      ['b', ['b'], 'function'],
      ['c', ['c'], 'function'],
      ['d', ['d'], 'function'],
      ['E', ['E'], 'class'],
      ['f', ['f'], 'let'],
      ['g', ['g'], 'var'],
      ['h', ['h'], 'const'],
      ['i', ['default'], 'function'],
    ]);
  });

  it('resolves export clauses to top-level declarations, declared before or after', () => {
    const src = `export { x as y, z, w as default };\nfunction x() {}\nconst z = () => 2\nclass w {}\nexport { z as zz }`;
    expect(bindings(src)).toEqual([
      ['x', ['y'], 'function'],
      ['z', ['z', 'zz'], 'const'],
      ['w', ['default'], 'class'],
    ]);
  });

  it('skips re-exports, imports, destructuring, anonymous defaults and expressions', () => {
    const src = [
      "import { imported } from './a.js'",
      "export { other } from './b.js'",
      "export * from './c.js'",
      'export { imported }',
      'export const { p, q } = obj',
      'export default function () {}',
      'const expr = function named() {}',
      'export { named }',
    ].join('\n');
    expect(bindings(src)).toEqual([]);
  });

  it('is not fooled by comments, strings, templates and regular expressions', () => {
    const src = [
      '// export function c1() {}',
      '/* export function c2() {} */',
      "const s = 'export function s1() {}'",
      'const t = `export function t1() {} ${`nested ${"}"} {`} }`',
      'const r = /export function r1\\(\\) {[}]/g',
      'const d = 10 / 2 / 1',
      'const obj = { export: 1 }; obj.export = 2',
      'export function real() { return `}` + "{" + /{/.source }',
    ].join('\n');
    expect(bindings(src)).toEqual([['real', ['real'], 'function']]);
  });

  it('finds declarations after statements without semicolons', () => {
    const src = "import x from 'y'\nfoo()\nfunction f() {}\nconst g = x\n++g\nexport { f }";
    expect(bindings(src)).toEqual([['f', ['f'], 'function']]);
  });

  it('reports modules it cannot tokenize', () => {
    for (const src of ['export function f() {', 'const s = "abc', 'const t = `abc', '/* open', 'a)', 'const r = /abc']) {
      const r = scanModule(src);
      expect(r.ok, src).toBe(false);
    }
  });

  it('never throws on arbitrary input', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (s) => {
        const r = scanModule(s);
        expect(typeof r.ok).toBe('boolean');
      }),
      { numRuns: 2000 },
    );
  });

  it('finds nothing in sources without the word export', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (s) => {
        fc.pre(!s.includes('export'));
        const r = scanModule(s);
        if (r.ok) expect(r.bindings).toEqual([]);
      }),
      { numRuns: 1000 },
    );
  });
});

describe('instrumentSource', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fl-scan-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('keeps every line and column, rewrites const to let and appends one guarded re-binding line', () => {
    const src = "export const add = (a, b) => a + b;\nexport function sub(a, b) { return a - b }\nconst x = 1\nexport { x as one }\n";
    const r = instrumentSource(src, 'file:///app/m.mjs');
    expect(r.status).toBe('instrumented');
    if (r.status !== 'instrumented') return;
    const lines = r.code.split('\n');
    expect(lines.slice(0, 4)).toEqual(['export let   add = (a, b) => a + b;', 'export function sub(a, b) { return a - b }', 'let   x = 1', 'export { x as one }']);
    expect(r.code.length).toBeGreaterThan(src.length);
    expect(r.code).toContain('add=__faultline$agent.w(add,"file:///app/m.mjs",["add"])');
    expect(r.code).toContain('x=__faultline$agent.w(x,"file:///app/m.mjs",["one","x"])');
  });

  it('leaves modules without exports and unparsable modules unchanged', () => {
    expect(instrumentSource('console.log(1)', 'file:///a.mjs').status).toBe('unchanged');
    const r = instrumentSource('export function f() {', 'file:///a.mjs');
    expect(r.status).toBe('skipped');
    const once = instrumentSource('export function f() {}', 'file:///a.mjs');
    expect(once.status).toBe('instrumented');
    if (once.status === 'instrumented') expect(instrumentSource(once.code, 'file:///a.mjs').status).toBe('unchanged');
  });

  it('produces modules node accepts, ending in a line comment or not', () => {
    const sources = [
      'export function f() {}\n// trailing comment without newline',
      'export const g = 1, h = () => 2\nexport class K { static s() {} }',
      'const a = () => 1\nexport { a as b, a as default }',
      'export let l = 1; l = 2; export default function named() {}',
    ];
    sources.forEach((src, i) => {
      const r = instrumentSource(src, `file:///m${i}.mjs`);
      expect(r.status).toBe('instrumented');
      if (r.status !== 'instrumented') return;
      const file = join(dir, `m${i}.mjs`);
      writeFileSync(file, r.code);
      expect(() => execFileSync(process.execPath, ['--check', file], { stdio: 'pipe' })).not.toThrow();
    });
  });
});
