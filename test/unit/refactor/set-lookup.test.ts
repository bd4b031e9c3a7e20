import { describe, it } from 'vitest';
import { setLookup } from '../../../src/refactor/recipes/set-lookup.js';
import { doRefuse, doTest } from './harness.js';

const R = setLookup;

describe('set-lookup', () => {
  it('builds the Set before the statement that holds a filter callback (TypeScript)', () => {
    doTest(
      R,
      `export function allowed(users: { role: string }[], roles: readonly string[]): { role: string }[] {
  const out = users.filter((u) => /*@*/roles.includes(u.role));
  return out;
}
`,
      `export function allowed(users: { role: string }[], roles: readonly string[]): { role: string }[] {
  const rolesSet = new Set(roles);
  const out = users.filter((u) => rolesSet.has(u.role));
  return out;
}
`,
      { typecheck: true },
    );
  });

  it('replaces every includes of the array in a for loop, before the loop', () => {
    doTest(
      R,
      `const banned = ['a', 'b'];
function count(words) {
  let n = 0;
  for (const w of words) {
    if (/*@*/banned.includes(w) || banned.includes(w.toLowerCase())) n++;
  }
  return n;
}
`,
      `const banned = ['a', 'b'];
function count(words) {
  let n = 0;
  const bannedSet = new Set(banned);
  for (const w of words) {
    if (bannedSet.has(w) || bannedSet.has(w.toLowerCase())) n++;
  }
  return n;
}
`,
      { path: 'a.js' },
    );
  });

  it('refuses strings, arrays that change in the loop, fromIndex, and calls outside loops', () => {
    doRefuse(R, `function f(s, xs) {\n  return xs.filter((x) => /*@*/s.includes(x));\n}`, /cannot tell that s is an array/);
    doRefuse(R, `const seen = [];\nfor (const x of xs) {\n  if (!/*@*/seen.includes(x)) seen.push(x);\n}`, /seen.push changes it/);
    doRefuse(R, `const a = [1];\nfor (const x of xs) { if (/*@*/a.includes(x, 1)) g(); }`, /fromIndex/);
    doRefuse(R, `const a = [1];\nasync function f(xs) { for (const x of xs) { if (/*@*/a.includes(x)) await g(); } }`, /awaits/);
    doRefuse(R, `const a = [1];\nfor (const x of xs) { if (/*@*/a.includes(x)) mutate(a); }`, /passed to a call/);
    doRefuse(R, `const a = [1];\nconst y = /*@*/a.includes(2);`, /not inside a loop/);
  });
});
