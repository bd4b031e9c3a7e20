import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fileMetrics } from '../../../../src/analyze/code/metrics.js';

const FIXTURE = resolve(__dirname, '../../../fixtures/analyze/complexity.ts');
const text = readFileSync(FIXTURE, 'utf8');
const m = fileMetrics({ path: 'complexity.ts', text });
const fn = (name: string) => {
  const f = m.functions.find((x) => x.name === name);
  if (!f) throw new Error(`no function ${name} in ${m.functions.map((x) => x.name).join(', ')}`);
  return f;
};
const lineOf = (needle: string, nth = 1): number => {
  let i = -1;
  for (let k = 0; k < nth; k++) i = text.indexOf(needle, i + 1);
  return text.slice(0, i).split('\n').length;
};

describe('metrics on known values', () => {
  it.each([
    // name, cyclomatic, cognitive, maxNesting, params
    ['sumOfPrimes', 4, 7, 3, 1], // SonarSource example: cognitive 7
    ['getWords', 4, 1, 1, 1], // SonarSource example: cognitive 1
    ['myMethod', 6, 9, 4, 2], // SonarSource example: cognitive 9 (try counts as a nesting level for maxNesting)
    ['myMethod2', 2, 2, 1, 1], // SonarSource example: a lambda raises nesting, cognitive 2
    ['logic', 11, 6, 1, 6], // && && || = 2 sequences; !(…) starts a new one; ?? and ||= only count for McCabe
    ['classify', 6, 12, 3, 1], // else-if and else +1 without nesting; for +2; if +3; ternary +4
    ['fact', 2, 2, 1, 1], // recursion +1
    ['Box.constructor', 1, 0, 0, 1],
    ['Box.value', 1, 0, 0, 0],
    ['Box.walk', 2, 2, 1, 1], // recursion through this.walk
    ['api.handle', 2, 1, 0, 1],
    ['Foo.bar', 1, 0, 0, 0],
  ])('%s: cyclomatic %i, cognitive %i, nesting %i, params %i', (name, cyc, cog, nest, params) => {
    const f = fn(name);
    expect([f.cyclomatic, f.cognitive, f.maxNesting, f.params]).toEqual([cyc, cog, nest, params]);
  });

  it('names a top-level anonymous callback <anonymous>@line and folds nested callbacks into their function', () => {
    const line = lineOf('run(() => {', 2);
    const f = fn(`<anonymous>@${line}`);
    expect([f.cyclomatic, f.cognitive]).toEqual([2, 1]);
    expect(m.functions.filter((x) => x.name.startsWith('<anonymous>'))).toHaveLength(1);
  });

  it('counts lines of code without blank and comment lines, keeping strings, regexes and templates that look like comments', () => {
    const f = fn('loc');
    expect(f.loc).toBe(7);
    expect(f.line).toBe(lineOf('function loc()'));
    expect(f.endLine).toBe(f.line + 10);
  });

  it('gives file totals as sums and maxima over the functions', () => {
    expect(m.cyclomatic).toBe(m.functions.reduce((a, f) => a + f.cyclomatic, 0));
    expect(m.cognitive).toBe(m.functions.reduce((a, f) => a + f.cognitive, 0));
    expect(m.maxCyclomatic).toBe(11);
    expect(m.maxNesting).toBe(4);
    expect(m.parseErrors).toBe(0);
    expect(m.language).toBe('ts');
    const nonBlank = text.split('\n').filter((l) => l.trim() !== '' && !l.trim().startsWith('//') && !l.trim().startsWith('/*') && !l.trim().startsWith('comment */')).length;
    // + 1: the `// inside template` line is template text, so it is code
    expect(m.loc).toBe(nonBlank + 1);
  });
});

describe('metrics: other shapes', () => {
  const measure = (path: string, src: string) => fileMetrics({ path, text: src });

  it('collects relative runtime imports: import, export-from, require, dynamic import, import = require; not type-only ones nor packages', () => {
    const src = [
      "import a from './a.js';",
      "import type { B } from './b.js';",
      "import { type C } from './c.js';",
      "import './side-effect';",
      "export * from '../up/d';",
      "export type { E } from './e';",
      "const f = require('./f');",
      "const g = () => import('./g.mjs');",
      "import h = require('./h');",
      "import fs from 'node:fs';",
      "const p = require('pkg');",
    ].join('\n');
    expect(measure('src/x.ts', src).imports.sort()).toEqual(['../up/d', './a.js', './f', './g.mjs', './h', './side-effect']);
  });

  it('parses JSX in .tsx and .jsx, and measures a file with syntax errors as far as it goes', () => {
    const tsx = measure('c.tsx', 'export const C = (p: { ok: boolean }) => <div>{p.ok ? <b>yes // not a comment</b> : null}</div>;\n');
    expect(tsx.parseErrors).toBe(0);
    expect(tsx.functions.map((f) => [f.name, f.cyclomatic, f.loc])).toEqual([['C', 2, 1]]);
    const jsx = measure('c.jsx', 'function D() { return <p>{1 && 2}</p>; }\n');
    expect(jsx.functions[0]).toMatchObject({ name: 'D', cyclomatic: 2 });
    const broken = measure('b.js', 'function ok(a) { if (a) return 1; }\nfunction bad( { if (\n');
    expect(broken.parseErrors).toBeGreaterThan(0);
    expect(broken.functions.find((f) => f.name === 'ok')?.cyclomatic).toBe(2);
  });

  it('names functions by what they are assigned to', () => {
    const src = [
      'export default function () {}',
      'module.exports.handler = function () {};',
      'exports.other = () => 1;',
      'const Klass = class { m() {} };',
      'class K { field = () => 1; #priv() {} static s() {} }',
      'const named = function inner() {};',
      'arr.forEach(function each() {});',
    ].join('\n');
    expect(measure('n.ts', src).functions.map((f) => f.name)).toEqual(['default', 'handler', 'other', 'Klass.m', 'K.field', 'K.#priv', 'K.s', 'named', 'each']);
  });

  it('counts case clauses but not default, catch, loops of every kind, and ?: for McCabe', () => {
    const src = `function f(x) {
  for (const k in x) {}
  for (const v of x) {}
  do {} while (x);
  switch (x) { case 1: case 2: break; default: }
  try { g(); } catch { }
  return x ? 1 : 2;
}`;
    const f = measure('f.js', src).functions[0];
    expect(f?.cyclomatic).toBe(1 + 3 + 2 + 1 + 1);
    // loops +1 each, switch +1, catch +1, ternary +1 (all at nesting 0)
    expect(f?.cognitive).toBe(3 + 1 + 1 + 1);
  });
});
