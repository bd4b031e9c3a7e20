import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SzzSummary } from '../../../../src/core/analysis.js';
import { analyzeHistory, detectFixes, mineHistory, runSzz } from '../../../../src/analyze/git/index.js';
import { GitFixture, lines } from './git-fixture.js';

/** inducing commits per (fix, path) as `sha:lines` strings, for compact comparison */
function byFix(s: SzzSummary): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const r of s.results) out[`${r.fix.slice(0, 7)} ${r.path}`] = r.inducing.map((i) => `${i.sha.slice(0, 7)}:${i.lines.join(',')}`);
  return out;
}

describe('SZZ on a synthetic repository (both methods)', () => {
  const g = new GitFixture();
  const c: Record<string, string> = {};
  beforeAll(() => {
    // 1. one-line fix; 2. a fix of lines from two earlier commits
    c.base = g.commit('feat: calc', { 'src/calc.ts': lines('export function a() {', '  return 1;', '}', 'export const b = 2;', 'export const c = 3;') });
    c.change = g.commit('feat: c is 4', { 'src/calc.ts': lines('export function a() {', '  return 1;', '}', 'export const b = 2;', 'export const c = 4;') });
    c.fixOne = g.commit('fix: c must be 5 (#1)', { 'src/calc.ts': lines('export function a() {', '  return 1;', '}', 'export const b = 2;', 'export const c = 5;') });
    c.two = g.commit('fix: a returns 2 and b is 3 (#2)', { 'src/calc.ts': lines('export function a() {', '  return 2;', '}', 'export const b = 3;', 'export const c = 5;') });
    // 3. a whitespace-only re-indent does not take ownership; a whitespace-only fix is untraceable
    c.ws0 = g.commit('feat: ws', { 'src/ws.ts': lines('export function w(x: number) {', 'if (x) return x + 1;', '}') });
    c.wsIndent = g.commit('style: indent', { 'src/ws.ts': lines('export function w(x: number) {', '    if (x)   return x + 1;', '}') });
    c.wsFix = g.commit('fix: off by one in w (#3)', { 'src/ws.ts': lines('export function w(x: number) {', '    if (x) return x + 2;', '}') });
    c.wsOnlyFix = g.commit('fix: w returns early (#4)', { 'src/ws.ts': lines('export function w(x: number) {', '  if (x) return x + 2;', '}') });
    // 4. comment-only changes are ignored
    c.cm0 = g.commit('feat: cm', { 'src/cm.ts': lines('// adds one', 'export const inc = (x: number) => x + 1;', '/* done */') });
    c.cmFix = g.commit('fix: comment of inc (#5)', { 'src/cm.ts': lines('// adds one to x', 'export const inc = (x: number) => x + 1;', '/* done */') });
    c.cmBoth = g.commit('fix: inc adds two (#6)', { 'src/cm.ts': lines('// adds two', 'export const inc = (x: number) => x + 2;', '/* done */') });
    // 5. a rename followed by a fix keeps the original commit
    c.ren0 = g.commit('feat: old name', { 'src/old.ts': lines('export const greeting = "helo";', 'export const n = 1;') });
    g.move('src/old.ts', 'src/new.ts');
    c.ren = g.commit('refactor: rename old to new');
    c.renFix = g.commit('fix: greeting text bug #7', { 'src/new.ts': lines('export const greeting = "hello";', 'export const n = 1;') });
    // 6. a fix that only adds lines is untraceable; a test-only change is not blamed
    c.addOnly = g.commit('fix: add a guard (#8)', { 'src/new.ts': lines('export const greeting = "hello";', 'export const n = 1;', 'export const guard = true;'), 'test/new.test.ts': 'x\n' });
  });
  afterAll(() => g.cleanup());

  for (const method of ['provenance', 'blame'] as const) {
    it(`${method}: finds the known inducing commits and counts the untraceable fixes`, async () => {
      const { head, commits } = await mineHistory({ repo: g.dir });
      const det = detectFixes(commits);
      const fixes = det.commits.filter((x) => x.fix).map((x) => x.sha);
      expect(fixes).toEqual([c.fixOne, c.two, c.wsFix, c.wsOnlyFix, c.cmFix, c.cmBoth, c.renFix, c.addOnly]);
      const s = await runSzz({ repo: g.dir, head, commits: det.commits, method });
      const k = (sha: string | undefined): string => (sha as string).slice(0, 7);
      expect(byFix(s)).toEqual({
        [`${k(c.fixOne)} src/calc.ts`]: [`${k(c.change)}:5`],
        [`${k(c.two)} src/calc.ts`]: [`${k(c.base)}:2,4`],
        [`${k(c.wsFix)} src/ws.ts`]: [`${k(c.ws0)}:2`],
        [`${k(c.cmBoth)} src/cm.ts`]: [`${k(c.cm0)}:2`],
        [`${k(c.renFix)} src/new.ts`]: [`${k(c.ren0)}:1`],
      });
      expect(s.fixes).toBe(8);
      expect(s.traced).toBe(5);
      expect(s.untraceable).toBe(3); // whitespace-only, comment-only, add-only
    });
  }

  it('a fix of lines from two commits names both, in time order', async () => {
    const g2 = new GitFixture();
    try {
      const a = g2.commit('feat: one', { 'lib/x.js': lines('const a = 1;', 'const b = 2;', 'const c = 3;') });
      const b = g2.commit('feat: two', { 'lib/x.js': lines('const a = 1;', 'const b = 2;', 'const c = 33;') });
      const fix = g2.commit('fix: a and c (#9)', { 'lib/x.js': lines('const a = 11;', 'const b = 2;', 'const c = 34;') });
      const { head, commits } = await mineHistory({ repo: g2.dir });
      const s = await runSzz({ repo: g2.dir, head, commits: detectFixes(commits).commits });
      expect(s.results).toEqual([{ fix, path: 'lib/x.js', inducing: [{ sha: a, time: g2.time(1), lines: [1] }, { sha: b, time: g2.time(2), lines: [3] }] }]);
    } finally {
      g2.cleanup();
    }
  });

  it('follows lines through a merge where both branches changed the file (combined diff)', async () => {
    const g3 = new GitFixture();
    try {
      g3.commit('feat: base', { 'src/m.ts': lines('l1', 'l2', 'l3', 'l4', 'l5', 'l6') });
      g3.git('checkout', '-q', '-b', 'side');
      const side = g3.commit('feat: side changes l2', { 'src/m.ts': lines('l1', 'l2 side', 'l3', 'l4', 'l5', 'l6') });
      g3.git('checkout', '-q', 'main');
      const main = g3.commit('feat: main changes l5', { 'src/m.ts': lines('l1', 'l2', 'l3', 'l4', 'l5 main', 'l6') });
      g3.commit('merge side');
      g3.git('merge', '-q', '--no-edit', '--no-ff', 'side');
      const fix = g3.commit('fix: both lines (#10)', { 'src/m.ts': lines('l1', 'l2 fixed', 'l3', 'l4', 'l5 fixed', 'l6') });
      const { head, commits } = await mineHistory({ repo: g3.dir });
      expect(commits.filter((x) => x.parents.length === 2)).toHaveLength(1);
      for (const method of ['provenance', 'blame'] as const) {
        const s = await runSzz({ repo: g3.dir, head, commits: detectFixes(commits).commits, method });
        expect(s.results.map((r) => [r.fix, r.inducing.map((i) => [i.sha, i.lines])])).toEqual([[fix, [[side, [2]], [main, [5]]]]]);
      }
    } finally {
      g3.cleanup();
    }
  });

  it('analyzeHistory caches by head: a second run is a hit, a new commit is mined and traced incrementally', async () => {
    const g4 = new GitFixture();
    const cacheDir = `${g4.dir}/.cache`;
    try {
      g4.write('.gitignore', '.cache\n');
      const a = g4.commit('feat: x', { 'src/x.ts': lines('export const x = 1;') });
      g4.commit('fix: x is 2 (#1)', { 'src/x.ts': lines('export const x = 2;') });
      const cold = await analyzeHistory({ repo: g4.dir, cacheDir });
      expect(cold.cache).toBe('miss');
      expect(cold.szz.traced).toBe(1);
      const warm = await analyzeHistory({ repo: g4.dir, cacheDir });
      expect(warm.cache).toBe('hit');
      expect(warm.minedCommits).toBe(0);
      expect(warm.szz).toEqual(cold.szz);
      expect(warm.commits).toEqual(cold.commits);
      const b = g4.commit('feat: y', { 'src/x.ts': lines('export const x = 2;', 'export const y = 1;') });
      const fix = g4.commit('fix: y is 3 (#2)', { 'src/x.ts': lines('export const x = 2;', 'export const y = 3;') });
      const inc = await analyzeHistory({ repo: g4.dir, cacheDir });
      expect(inc.cache).toBe('incremental');
      expect(inc.minedCommits).toBe(2);
      expect(inc.szz.fixes).toBe(2);
      expect(inc.szz.results.find((r) => r.fix === fix)?.inducing.map((i) => i.sha)).toEqual([b]);
      expect(inc.szz.results.some((r) => r.inducing.some((i) => i.sha === a))).toBe(true);
      expect(inc.commits.filter((x) => x.fix).length).toBe(2);
    } finally {
      g4.cleanup();
    }
  });
});
