// The four coverage readers on real reports: c8 runs a tiny ESM project in a temp dir and writes json-summary,
// json (coverage-final), lcov and cobertura for the same run; the readers must agree with each other, with c8's
// own total, and with what the script executed.
import { execFile } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  detectCoverageFormat,
  findCoverageReport,
  moduleCoverage,
  readCoverage,
  type CoverageFormat,
  type CoverageReport,
  type FileCoverage,
} from '../../../src/promote/inputs/index.js';

const run = promisify(execFile);
const require = createRequire(import.meta.url);
const C8_PKG = require('c8/package.json') as { bin: string | Record<string, string> };
const C8_BIN = join(dirname(require.resolve('c8/package.json')), typeof C8_PKG.bin === 'string' ? C8_PKG.bin : (C8_PKG.bin.c8 as string));

// Lines marked CALLED run; lines marked UNCALLED never do (sign() only ever gets a positive number; never() and
// unused() are not called at all).
const SOURCES: Record<string, string> = {
  'src/a/x.mjs': `export function add(a, b) {
  return a + b; // CALLED
}

export function sign(n) {
  if (n > 0) {
    return 1; // CALLED
  }
  return -1; // UNCALLED
}

export function never() {
  const x = 1; // UNCALLED
  return x * 2; // UNCALLED
}
`,
  'src/b/y.mjs': `export function greet(name) {
  return 'hello ' + name; // CALLED
}

export function unused(a) {
  if (a) {
    return 'yes'; // UNCALLED
  }
  return 'no'; // UNCALLED
}
`,
  'run.mjs': `import { add, sign } from './src/a/x.mjs';
import { greet } from './src/b/y.mjs';
console.log(add(1, 2), sign(5), greet('c8'));
`,
};

const REPORTS: Record<CoverageFormat, string> = {
  'istanbul-summary': 'coverage/coverage-summary.json',
  'istanbul-final': 'coverage/coverage-final.json',
  lcov: 'coverage/lcov.info',
  cobertura: 'coverage/cobertura-coverage.xml',
};
const FORMATS = Object.keys(REPORTS) as CoverageFormat[];

function marked(path: string, marker: string): number[] {
  return (SOURCES[path] as string)
    .split('\n')
    .map((l, k) => (l.includes(`// ${marker}`) ? k + 1 : 0))
    .filter((n) => n > 0);
}

function fileOf(r: CoverageReport, path: string): FileCoverage {
  const f = r.files.find((x) => x.path === path);
  if (f === undefined) throw new Error(`${r.format}: no ${path} among ${r.files.map((x) => x.path).join(', ')}`);
  return f;
}

describe('coverage readers on reports written by c8', () => {
  let dir = '';
  const reports = {} as Record<CoverageFormat, CoverageReport>;

  beforeAll(async () => {
    dir = realpathSync(mkdtempSync(join(tmpdir(), 'faultline-c8-')));
    for (const [rel, text] of Object.entries(SOURCES)) {
      mkdirSync(dirname(join(dir, rel)), { recursive: true });
      writeFileSync(join(dir, rel), text);
    }
    const args = [C8_BIN, '--reporter=json-summary', '--reporter=json', '--reporter=lcov', '--reporter=cobertura', '--reports-dir', join(dir, 'coverage'), '--src', dir, process.execPath, join(dir, 'run.mjs')];
    const env = { ...process.env };
    delete env.NODE_V8_COVERAGE; // c8 sets its own; an outer coverage run must not redirect it
    const { stdout } = await run(process.execPath, args, { cwd: dir, env, timeout: 60_000 });
    expect(stdout).toContain('3 1 hello c8');
    for (const f of FORMATS) reports[f] = await readCoverage(join(dir, REPORTS[f]), { root: dir });
  });

  afterAll(() => {
    if (dir !== '') rmSync(dir, { recursive: true, force: true });
  });

  it('c8 wrote all four; each is detected as its format; the summary is the first place looked', async () => {
    for (const f of FORMATS) {
      expect(detectCoverageFormat(REPORTS[f], readFileSync(join(dir, REPORTS[f]), 'utf8'))).toBe(f);
      expect(reports[f].format).toBe(f);
    }
    expect(await findCoverageReport(dir)).toBe(join(dir, 'coverage/coverage-summary.json'));
  });

  it('the four readers agree file by file on lines, functions and branches (statements: the two istanbul ones)', () => {
    const paths = reports['istanbul-summary'].files.map((f) => f.path);
    expect(paths).toEqual(['run.mjs', 'src/a/x.mjs', 'src/b/y.mjs']);
    for (const fmt of FORMATS) expect(reports[fmt].files.map((f) => f.path)).toEqual(paths);
    for (const p of paths) {
      const ref = fileOf(reports['istanbul-summary'], p);
      for (const fmt of FORMATS) {
        const f = fileOf(reports[fmt], p);
        expect({ fmt, p, lines: f.lines, functions: f.functions, branches: f.branches }).toEqual({ fmt, p, lines: ref.lines, functions: ref.functions, branches: ref.branches });
        expect(f.outsideRoot).toBeUndefined();
      }
      // lcov and cobertura carry no statement counts; coverage-final does and must match the summary
      expect(fileOf(reports['istanbul-final'], p).statements).toEqual(ref.statements);
      expect(fileOf(reports.lcov, p).statements).toBeUndefined();
      // the per-line readers name the same uncovered lines
      const u = fileOf(reports['istanbul-final'], p).uncoveredLines;
      expect(fileOf(reports.lcov, p).uncoveredLines).toEqual(u);
      expect(fileOf(reports.cobertura, p).uncoveredLines).toEqual(u);
    }
  });

  it('the numbers are what the script executed', () => {
    for (const fmt of ['istanbul-final', 'lcov', 'cobertura'] as const) {
      for (const p of ['src/a/x.mjs', 'src/b/y.mjs']) {
        const f = fileOf(reports[fmt], p);
        for (const l of marked(p, 'UNCALLED')) expect(f.uncoveredLines, `${fmt} ${p}:${l}`).toContain(l);
        for (const l of marked(p, 'CALLED')) expect(f.uncoveredLines, `${fmt} ${p}:${l}`).not.toContain(l);
      }
    }
    for (const fmt of FORMATS) {
      const x = fileOf(reports[fmt], 'src/a/x.mjs');
      const y = fileOf(reports[fmt], 'src/b/y.mjs');
      expect(x.functions).toEqual({ covered: 2, total: 3 }); // never() not called
      expect(y.functions).toEqual({ covered: 1, total: 2 }); // unused() not called
      expect(fileOf(reports[fmt], 'run.mjs').lines).toEqual({ covered: 3, total: 3 });
      // c8 maps every line of a loaded file (blank ones included) and counts it covered unless a 0-count range spans it
      expect(x.lines.total).toBe((SOURCES['src/a/x.mjs'] as string).split('\n').length - 1);
      if (x.uncoveredLines !== undefined) expect(x.lines.covered).toBe(x.lines.total - x.uncoveredLines.length);
      expect(y.lines.covered).toBeLessThan(y.lines.total);
    }
  });

  it('module aggregation: each folder is the sum of its files, and the whole equals c8\'s own total', () => {
    const total = (JSON.parse(readFileSync(join(dir, REPORTS['istanbul-summary']), 'utf8')) as { total: { lines: { covered: number; total: number; pct: number } } }).total.lines;
    for (const fmt of FORMATS) {
      const r = reports[fmt];
      const x = fileOf(r, 'src/a/x.mjs').lines;
      const y = fileOf(r, 'src/b/y.mjs').lines;
      const a = moduleCoverage(r, 'src/a');
      expect(a.files).toBe(1);
      expect({ covered: a.lines.covered, total: a.lines.total }).toEqual(x);
      expect(moduleCoverage(r, './src/b/').lines).toMatchObject(y);
      const src = moduleCoverage(r, 'src');
      expect(src.files).toBe(2);
      expect(src.lines.covered).toBe(x.covered + y.covered);
      expect(src.lines.total).toBe(x.total + y.total);
      const all = moduleCoverage(r, '');
      expect(all.files).toBe(3);
      expect(all.lines).toEqual({ covered: total.covered, total: total.total, pct: total.pct });
      const none = moduleCoverage(r, 'src/c');
      expect(none.lines.pct).toBeNull();
      expect(none.reason).toContain('no file under src/c');
    }
  });

  it('read against another root, the absolute paths of the istanbul reports are flagged and left out', async () => {
    const elsewhere = await readCoverage(join(dir, REPORTS['istanbul-summary']), { root: join(dir, 'src') });
    expect(elsewhere.files.filter((f) => f.outsideRoot === true).map((f) => f.path)).toEqual([join(dir, 'run.mjs')]);
    expect(elsewhere.files.map((f) => f.path)).toContain('a/x.mjs');
    const all = moduleCoverage(elsewhere, '');
    expect(all.files).toBe(2);
    expect(all.ignoredOutsideRoot).toBe(1);
  });
});
