// Weak coverage: from a real istanbul coverage-final.json that c8 writes here for a small project whose test
// calls one function on every branch, another on half of them, and a third never; and by the name heuristic.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isFaultlineError } from '../../../src/core/errors.js';
import { type CoverageMap, decideFromCoverage, decideFromTestNames, fileCoverage, isTestFile, readCoverageFinal, WEAK_COVERAGE_PCT } from '../../../src/refactor/characterise/coverage.js';

const ROOT = resolve(__dirname, '../../..');
const C8 = join(ROOT, 'node_modules', 'c8', 'bin', 'c8.js');
const PROJECT = join(ROOT, 'test/fixtures/refactor/characterise/coverage-project');

let tmp: string;
let map: CoverageMap;
const lines = readFileSync(join(PROJECT, 'lib.mjs'), 'utf8').split('\n');
const lineOf = (s: string): number => lines.findIndex((l) => l.includes(s)) + 1;
/** the function's first and last line in lib.mjs */
const fnAt = (name: string): { name: string; line: number; endLine: number } => {
  const line = lineOf(`export function ${name}(`);
  const endLine = lines.findIndex((l, i) => i >= line && l === '}') + 1;
  return { name, line, endLine };
};

beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'fl-char-cov-'));
  cpSync(PROJECT, join(tmp, 'project'), { recursive: true });
  const r = spawnSync(process.execPath, [C8, '--reporter=json', '--report-dir', join(tmp, 'coverage'), '--temp-directory', join(tmp, 'c8-tmp'), process.execPath, 'lib.test.mjs'], { cwd: join(tmp, 'project'), encoding: 'utf8', timeout: 60_000 });
  if (r.status !== 0) throw new Error(`c8 failed: ${r.stderr}${r.stdout}`);
  map = readCoverageFinal(join(tmp, 'coverage', 'coverage-final.json'));
});
afterAll(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe('weak coverage from coverage-final.json (c8 --reporter=json)', () => {
  it('finds the file by its repository-relative path, whatever folder the report was made in', () => {
    expect(fileCoverage(map, 'project/lib.mjs')).toBeDefined();
    expect(fileCoverage(map, 'lib.mjs')).toBeDefined();
    expect(fileCoverage(map, 'other/lib2.mjs')).toBeUndefined();
  });

  it('a function the test runs on every branch is strongly covered; one it never calls is weak (0 %)', () => {
    const tested = decideFromCoverage(map, 'coverage/coverage-final.json', 'project/lib.mjs', fnAt('tested'));
    expect(tested).toMatchObject({ weak: false, rule: 'coverage-file', pct: 100 });
    expect(tested.detail).toMatch(/^\d+ of \d+ statements of tested ran \(100 %, at or over 80 %\) in coverage\/coverage-final\.json$/);
    const untested = decideFromCoverage(map, 'coverage/coverage-final.json', 'project/lib.mjs', fnAt('untested'));
    expect(untested).toMatchObject({ weak: true, rule: 'coverage-file', pct: 0 });
  });

  it('a function with one branch of two run is weak, with its share', () => {
    const half = decideFromCoverage(map, 'cov.json', 'project/lib.mjs', fnAt('halfTested'));
    expect(half.weak).toBe(true);
    expect(half.pct).toBeGreaterThan(20);
    expect(half.pct).toBeLessThan(WEAK_COVERAGE_PCT);
  });

  it('matches the function by name even when its lines moved (an earlier fix in the file)', () => {
    const moved = { ...fnAt('untested'), line: fnAt('untested').line + 5, endLine: fnAt('untested').endLine + 5 };
    expect(decideFromCoverage(map, 'c', 'project/lib.mjs', moved)).toMatchObject({ weak: true, pct: 0 });
    const tested = { ...fnAt('tested'), line: 40, endLine: 44 };
    expect(decideFromCoverage(map, 'c', 'project/lib.mjs', tested)).toMatchObject({ weak: false, pct: 100 });
  });

  it('a file the report does not hold was never loaded by a test: weak', () => {
    expect(decideFromCoverage(map, 'c', 'src/never.mjs', { name: 'f', line: 1, endLine: 3 })).toMatchObject({ weak: true, pct: 0, detail: 'src/never.mjs is not in c: no test loads it (0 %)' });
  });

  it('refuses a file that is not a coverage-final.json, with FL_ERR_INVALID_ARGUMENT', () => {
    const summary = join(tmp, 'coverage-summary.json');
    writeFileSync(summary, JSON.stringify({ total: { lines: { pct: 50 } } }));
    let err: unknown;
    try {
      readCoverageFinal(summary);
    } catch (e) {
      err = e;
    }
    expect(isFaultlineError(err) && err.code).toBe('FL_ERR_INVALID_ARGUMENT');
    expect((err as Error).message).toMatch(/coverage-summary\.json has only totals/);
  });
});

describe('weak coverage by test names (no coverage report)', () => {
  const tests = [
    { path: 'test/cart.test.ts', text: "import { total } from '../src/cart.js';\nit('sums', () => expect(total([1])).toBe(1));" },
    { path: 'src/__tests__/misc.js', text: 'subtotalOf(1)' },
  ];
  it('a function a test file mentions is not weak; one none mentions is', () => {
    expect(decideFromTestNames('total', tests)).toEqual({ weak: false, rule: 'test-names', detail: 'test/cart.test.ts mentions total' });
    expect(decideFromTestNames('subtotal', tests)).toMatchObject({ weak: true, rule: 'test-names' });
    expect(decideFromTestNames('$price', [{ path: 't.spec.js', text: 'x.$price()' }]).weak).toBe(false);
  });

  it('knows test files by folder and name', () => {
    expect(['test/a.js', 'tests/b.ts', 'src/__tests__/c.js', 'src/d.test.ts', 'src/e.spec.mjs', 'pkg/test/f.cjs'].every(isTestFile)).toBe(true);
    expect(['src/testing.ts', 'src/contest.js', 'node_modules/x/test/a.js', 'src/latest.ts'].some(isTestFile)).toBe(false);
  });
});
