import { describe, it } from 'vitest';
import { hoistLoopInvariant } from '../../../src/refactor/recipes/hoist-loop-invariant.js';
import { doRefuse, doTest } from './harness.js';

const R = hoistLoopInvariant;

describe('hoist-loop-invariant', () => {
  it('reads the length of a local array once', () => {
    doTest(
      R,
      `export function sum(xs: number[]): number {
  const ys = xs.map((x) => x * 2);
  let s = 0;
  /*@*/for (let i = 0; i < ys.length; i++) s += ys[i] ?? 0;
  return s;
}
`,
      `export function sum(xs: number[]): number {
  const ys = xs.map((x) => x * 2);
  let s = 0;
  for (let i = 0, n = ys.length; i < n; i++) s += ys[i] ?? 0;
  return s;
}
`,
      { typecheck: true },
    );
  });

  it('hoists the length of a const string, picking a free name', () => {
    doTest(R, `const s = 'abc';\nlet n = 0;\n/*@*/for (let i = 0; s.length > i; i++) n += s.charCodeAt(i);\n`, `const s = 'abc';\nlet n = 0;\nfor (let i = 0, len = s.length; len > i; i++) n += s.charCodeAt(i);\n`, { path: 'a.js' });
  });

  it('refuses parameters, arrays changed in the loop or escaping, and other loops', () => {
    doRefuse(R, `function f(xs) {\n  /*@*/for (let i = 0; i < xs.length; i++) g(xs[i]);\n}`, /not a local variable/);
    doRefuse(R, `function f() {\n  const q = [1];\n  /*@*/for (let i = 0; i < q.length; i++) if (q[i] > 0) q.push(0);\n}`, /q.push changes it/);
    doRefuse(R, `function f() {\n  const q = [1];\n  keep(q);\n  /*@*/for (let i = 0; i < q.length; i++) g(q[i]);\n}`, /passed to a call/);
    doRefuse(R, `function f() {\n  const q = [1];\n  const h = () => q.pop();\n  /*@*/for (let i = 0; i < q.length; i++) h();\n}`, /nested function/);
    doRefuse(R, `function f() {\n  const q = [1];\n  /*@*/for (var i = 0; i < q.length; i++) g(q[i]);\n}`, /with let/);
    doRefuse(R, `/*@*/for (const x of xs) g(x);`, /no for/);
  });
});
