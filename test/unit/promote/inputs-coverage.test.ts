// Coverage readers on small hand-written inputs: istanbul summary/final, lcov, cobertura, detection, paths,
// module aggregation, every malformed case, and a fast-check round trip of lcov DA data.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FaultlineError } from '../../../src/core/errors.js';
import {
  detectCoverageFormat,
  detectCoverageFormatOrThrow,
  findCoverageReport,
  findCoverageReportOrThrow,
  memoryTextFiles,
  moduleCoverage,
  normaliseModulePath,
  parseCobertura,
  parseCoverageText,
  parseIstanbulFinal,
  parseIstanbulSummary,
  parseLcov,
  percent,
  readCoverage,
  resolveReportPath,
  type CoverageReport,
  type FileCoverage,
} from '../../../src/promote/inputs/index.js';

const FIXTURES = join(__dirname, '../../fixtures/promote');

function errorOf(fn: () => unknown): FaultlineError {
  try {
    fn();
  } catch (e) {
    if (e instanceof FaultlineError) return e;
    throw e;
  }
  throw new Error('expected a FaultlineError, nothing was thrown');
}

async function asyncErrorOf(p: Promise<unknown>): Promise<FaultlineError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof FaultlineError) return e;
    throw e;
  }
  throw new Error('expected a FaultlineError, nothing was thrown');
}

function file(r: CoverageReport, path: string): FileCoverage {
  const f = r.files.find((x) => x.path === path);
  if (f === undefined) throw new Error(`no ${path} in ${r.files.map((x) => x.path).join(', ')}`);
  return f;
}

const SUMMARY = JSON.stringify({
  total: { lines: { total: 14, covered: 9, skipped: 0, pct: 64.28 }, statements: { total: 15, covered: 10, skipped: 0, pct: 66.66 }, functions: { total: 3, covered: 2, skipped: 0, pct: 66.66 }, branches: { total: 4, covered: 2, skipped: 0, pct: 50 } },
  '/repo/src/a/x.js': { lines: { total: 10, covered: 7, skipped: 0, pct: 70 }, statements: { total: 11, covered: 8, skipped: 0, pct: 72.72 }, functions: { total: 2, covered: 2, skipped: 0, pct: 100 }, branches: { total: 4, covered: 2, skipped: 0, pct: 50 } },
  '/repo/src/b/y.js': { lines: { total: 4, covered: 2, skipped: 0, pct: 50 }, statements: { total: 4, covered: 2, skipped: 0, pct: 50 }, functions: { total: 1, covered: 0, skipped: 0, pct: 0 }, branches: { total: 0, covered: 0, skipped: 0, pct: 100 } },
  '/other/vendor/z.js': { lines: { total: 5, covered: 5, skipped: 0, pct: 100 } },
});

// statements 0 and 1 start on line 1 (one covered → line 1 covered); 2 on line 2 (0 hits); 3 on line 3 twice hit
const FINAL = JSON.stringify({
  '/repo/src/a/x.js': {
    path: '/repo/src/a/x.js',
    statementMap: {
      '0': { start: { line: 1, column: 0 }, end: { line: 1, column: 10 } },
      '1': { start: { line: 1, column: 12 }, end: { line: 1, column: 20 } },
      '2': { start: { line: 2, column: 2 }, end: { line: 2, column: 9 } },
      '3': { start: { line: 3, column: 0 }, end: { line: 4, column: 1 } },
    },
    s: { '0': 0, '1': 4, '2': 0, '3': 2 },
    fnMap: { '0': { name: 'f', decl: { start: { line: 1, column: 0 }, end: { line: 1, column: 5 } }, loc: { start: { line: 1, column: 0 }, end: { line: 4, column: 1 } }, line: 1 } },
    f: { '0': 4 },
    branchMap: { '0': { type: 'if', line: 2, loc: { start: { line: 2, column: 0 }, end: { line: 2, column: 9 } }, locations: [{}, {}] } },
    b: { '0': [3, 0] },
  },
  './src/b/y.js': { path: 'src\\b\\y.js', statementMap: { '0': { start: { line: 5, column: 0 }, end: { line: 5, column: 3 } } }, s: { '0': 1 }, fnMap: {}, f: {}, branchMap: {}, b: {} },
});

const LCOV = [
  'TN:',
  'SF:/repo/src/a/x.js',
  'FN:1,f',
  'FN:7,g',
  'FNDA:4,f',
  'FNDA:0,g',
  'DA:1,4',
  'DA:2,0',
  'DA:3,2',
  'DA:7,0',
  'BRDA:2,0,0,3',
  'BRDA:2,0,1,-',
  'end_of_record',
  'TN:',
  'SF:./src/b/y.js',
  'DA:5,1',
  'DA:6,0',
  'LF:2',
  'LH:1',
  'end_of_record',
  '',
].join('\n');

describe('istanbul coverage-summary.json', () => {
  it('reads per-file counts, makes paths root-relative and flags files outside the root', () => {
    const r = parseIstanbulSummary(SUMMARY, { source: 'cov.json', root: '/repo' });
    expect(r.format).toBe('istanbul-summary');
    expect(r.files.map((f) => f.path)).toEqual(['/other/vendor/z.js', 'src/a/x.js', 'src/b/y.js']);
    expect(file(r, 'src/a/x.js')).toEqual({ path: 'src/a/x.js', lines: { covered: 7, total: 10 }, statements: { covered: 8, total: 11 }, functions: { covered: 2, total: 2 }, branches: { covered: 2, total: 4 } });
    expect(file(r, '/other/vendor/z.js').outsideRoot).toBe(true);
    const all = moduleCoverage(r, '');
    expect(all.lines).toEqual({ covered: 9, total: 14, pct: 64.28 });
    expect(all.ignoredOutsideRoot).toBe(1);
    expect(all.files).toBe(2);
  });

  it('names the file and field of a bad count', () => {
    const bad = JSON.parse(SUMMARY) as Record<string, { lines: { covered: unknown } }>;
    (bad['/repo/src/a/x.js'] as { lines: { covered: unknown } }).lines.covered = 'seven';
    const e = errorOf(() => parseIstanbulSummary(JSON.stringify(bad), { source: 'coverage/coverage-summary.json', root: '/repo' }));
    expect(e.code).toBe('FL_ERR_COVERAGE_REPORT');
    expect(e.message).toContain('coverage/coverage-summary.json');
    expect(e.message).toContain('["/repo/src/a/x.js"].lines.covered');
    expect(e.context).toMatchObject({ file: 'coverage/coverage-summary.json', field: '["/repo/src/a/x.js"].lines.covered' });
  });

  it('refuses covered > total and a missing lines object', () => {
    const over = JSON.stringify({ total: { lines: { pct: 1 } }, 'a.js': { lines: { total: 1, covered: 2 } } });
    expect(errorOf(() => parseIstanbulSummary(over, { source: 's.json' })).message).toContain('covered 2 is more than total 1');
    const noLines = JSON.stringify({ total: { lines: { pct: 1 } }, 'a.js': { statements: { total: 1, covered: 1 } } });
    expect(errorOf(() => parseIstanbulSummary(noLines, { source: 's.json' })).message).toContain('s.json ["a.js"].lines: is missing');
  });
});

describe('istanbul coverage-final.json', () => {
  it('counts lines like istanbul-lib-coverage getLineCoverage: statements on their start line, max hits per line', () => {
    const r = parseIstanbulFinal(FINAL, { source: 'final.json', root: '/repo' });
    const x = file(r, 'src/a/x.js');
    expect(x.lines).toEqual({ covered: 2, total: 3 }); // line 1 (max 4), line 2 (0), line 3 (2); line 4 has no start
    expect(x.uncoveredLines).toEqual([2]);
    expect(x.statements).toEqual({ covered: 2, total: 4 });
    expect(x.functions).toEqual({ covered: 1, total: 1 });
    expect(x.branches).toEqual({ covered: 1, total: 2 });
    // the "path" field wins over the key, backslashes become slashes
    expect(file(r, 'src/b/y.js').lines).toEqual({ covered: 1, total: 1 });
  });

  it('names the statement with a bad hit count and a statementMap entry without start.line', () => {
    const bad = JSON.parse(FINAL) as Record<string, { s: Record<string, unknown>; statementMap: Record<string, unknown> }>;
    (bad['/repo/src/a/x.js'] as { s: Record<string, unknown> }).s['2'] = -1;
    expect(errorOf(() => parseIstanbulFinal(JSON.stringify(bad), { source: 'f.json' })).message).toContain('f.json ["/repo/src/a/x.js"].s["2"]: is not a hit count');
    const bad2 = JSON.parse(FINAL) as Record<string, { statementMap: Record<string, unknown> }>;
    (bad2['/repo/src/a/x.js'] as { statementMap: Record<string, unknown> }).statementMap['3'] = { start: {} };
    expect(errorOf(() => parseIstanbulFinal(JSON.stringify(bad2), { source: 'f.json' })).message).toContain('statementMap["3"]: has no start.line');
  });

  it('refuses two keys that resolve to one file', () => {
    const two = JSON.stringify({
      '/repo/a.js': { statementMap: {}, s: {} },
      'a.js': { statementMap: {}, s: {} },
    });
    expect(errorOf(() => parseIstanbulFinal(two, { source: 'f.json', root: '/repo' })).message).toContain('two entries that resolve to the same file a.js');
  });
});

describe('lcov', () => {
  it('reads DA/FN/FNDA/BRDA and LF/LH, preferring LF/LH when present', () => {
    const r = parseLcov(LCOV, { source: 'lcov.info', root: '/repo' });
    const x = file(r, 'src/a/x.js');
    expect(x.lines).toEqual({ covered: 2, total: 4 });
    expect(x.uncoveredLines).toEqual([2, 7]);
    expect(x.functions).toEqual({ covered: 1, total: 2 });
    expect(x.branches).toEqual({ covered: 1, total: 2 });
    const y = file(r, 'src/b/y.js');
    expect(y.lines).toEqual({ covered: 1, total: 2 });
    expect(y.functions).toBeUndefined();
  });

  it('uses FNF/FNH and BRF/BRH over the records, and lcov 2.2 FNL/FNA', () => {
    const t = 'SF:a.js\nFNL:0,1,3\nFNA:0,2,f\nFNL:1,5,9\nFNA:1,0,g\nBRF:6\nBRH:5\nLF:0\nLH:0\nend_of_record\n';
    const a = file(parseLcov(t, { source: 'l' }), 'a.js');
    expect(a.functions).toEqual({ covered: 1, total: 2 });
    expect(a.branches).toEqual({ covered: 5, total: 6 });
    expect(a.lines).toEqual({ covered: 0, total: 0 });
  });

  it('merges a file that appears in two records line by line (concatenated tracefiles)', () => {
    const t = 'SF:a.js\nDA:1,1\nDA:2,0\nDA:3,0\nLF:3\nLH:1\nend_of_record\nSF:./a.js\nDA:2,5\nDA:4,0\nLF:2\nLH:1\nend_of_record\n';
    const a = file(parseLcov(t, { source: 'l' }), 'a.js');
    expect(a.lines).toEqual({ covered: 2, total: 4 });
    expect(a.uncoveredLines).toEqual([3, 4]);
    const noDa = 'SF:a.js\nLF:3\nLH:1\nend_of_record\nSF:a.js\nDA:1,1\nend_of_record\n';
    expect(errorOf(() => parseLcov(noDa, { source: 'l' })).message).toContain('cannot be merged');
  });

  it('accepts CRLF, comments and an unknown record type', () => {
    const t = '# produced by hand\r\nVER:2.0\r\nSF:a.js\r\nDA:1,1\r\nMCDC:1,2,t,0,1,a\r\nend_of_record\r\n';
    expect(file(parseLcov(t, { source: 'l' }), 'a.js').lines).toEqual({ covered: 1, total: 1 });
  });

  it.each([
    ['', 'l.info is empty'],
    ['DA:1,1\nend_of_record\n', 'l.info:1 DA: record outside a file record (no SF: before it)'],
    ['TN:\nend_of_record\n', 'l.info:2 end_of_record without an SF: record'],
    ['SF:a.js\nDA:1,1\n', 'l.info:3 SF:a.js (line 1) has no end_of_record (truncated?)'],
    ['SF:a.js\nDA:x,1\nend_of_record\n', 'l.info:2 DA line is not an integer ≥ 1: "x"'],
    ['SF:a.js\nDA:3,many\nend_of_record\n', 'l.info:2 DA hits is not a hit count: "many"'],
    ['SF:a.js\nthis is prose\nend_of_record\n', 'l.info:2 is not an lcov record'],
    ['SF:a.js\nSF:b.js\nend_of_record\n', 'l.info:2 SF:b.js starts a record while SF:a.js (line 1) has no end_of_record'],
    ['SF:a.js\nLF:2\nLH:3\nend_of_record\n', 'LF/LH for SF:a.js: hit 3 is more than found 2'],
    ['TN:\n', 'l.info has no SF: record'],
  ])('malformed %j → FL_ERR_COVERAGE_REPORT', (text, message) => {
    const e = errorOf(() => parseLcov(text, { source: 'l.info' }));
    expect(e.code).toBe('FL_ERR_COVERAGE_REPORT');
    expect(e.message).toContain(message);
  });

  it('property: lcov written from random DA data parses back to the same counts', () => {
    const fileArb = fc.record({
      path: fc.stringMatching(/^[a-z]{1,6}(\/[a-z0-9_-]{1,6}){0,3}\.(js|ts)$/),
      da: fc.dictionary(fc.integer({ min: 1, max: 5000 }).map(String), fc.nat({ max: 50 }), { maxKeys: 40 }),
      withTotals: fc.boolean(),
    });
    const arb = fc.uniqueArray(fileArb, { selector: (f) => f.path, minLength: 1, maxLength: 6 });
    fc.assert(
      fc.property(arb, (files) => {
        const text = files
          .map((f) => {
            const entries = Object.entries(f.da);
            const hit = entries.filter(([, h]) => h > 0).length;
            const totals = f.withTotals ? [`LF:${entries.length}`, `LH:${hit}`] : [];
            return ['TN:', `SF:${f.path}`, ...entries.map(([l, h]) => `DA:${l},${h}`), ...totals, 'end_of_record'].join('\n');
          })
          .join('\n');
        const r = parseLcov(text, { source: 'gen.info' });
        expect(r.files).toHaveLength(files.length);
        for (const f of files) {
          const entries = Object.entries(f.da);
          const got = file(r, f.path);
          expect(got.lines).toEqual({ covered: entries.filter(([, h]) => h > 0).length, total: entries.length });
          const zero = entries.filter(([, h]) => h === 0).map(([l]) => Number(l)).sort((a, b) => a - b);
          if (entries.length > 0) expect(got.uncoveredLines).toEqual(zero);
        }
      }),
      { numRuns: 200, interruptAfterTimeLimit: 10_000 },
    );
  });
});

describe('cobertura', () => {
  const xml = readFileSync(join(FIXTURES, 'cobertura.xml'), 'utf8');

  it('reads the fixture: entities, DOCTYPE subset, comments, two sources, method lines not counted, inner class merged', () => {
    const r = parseCobertura(xml, { source: 'cobertura.xml', root: '/repo' });
    expect(r.files.map((f) => f.path)).toEqual(['lib/util.js', 'src/q&a/ask.js']);
    const ask = file(r, 'src/q&a/ask.js');
    expect(ask.lines).toEqual({ covered: 4, total: 7 });
    expect(ask.uncoveredLines).toEqual([4, 5, 8]);
    expect(ask.branches).toEqual({ covered: 3, total: 4 });
    expect(ask.functions).toEqual({ covered: 1, total: 2 });
    const util = file(r, 'lib/util.js');
    expect(util.functions).toBeUndefined();
    expect(util.lines).toEqual({ covered: 2, total: 2 });
    const all = moduleCoverage(r, '');
    expect(all.lines).toEqual({ covered: 6, total: 9, pct: 66.66 });
    expect(all.functions).toBeUndefined(); // util.js says nothing about functions
    expect(moduleCoverage(r, 'src/q&a').branches).toEqual({ covered: 3, total: 4, pct: 75 });
  });

  it('without a root, filenames stay relative to <source>', () => {
    const r = parseCobertura(xml, { source: 'c.xml' });
    expect(r.files.map((f) => f.path)).toEqual(['lib/util.js', 'src/q&a/ask.js']);
  });

  it.each([
    ['', 'c.xml is empty'],
    ['<report><x/></report>', 'c.xml:1:1 has root element <report>; a cobertura report has <coverage>'],
    ['<coverage>\n<packages>\n<package>\n', 'c.xml:3:1 is not well-formed XML: <package> is never closed (truncated?)'],
    ['<coverage>\n  <packages></package>\n</coverage>', 'c.xml:2:13 is not well-formed XML: </package> does not match <packages> opened at line 2'],
    ['<coverage><packages><package><classes><class name="a"/></classes></package></packages></coverage>', '<class> has no filename attribute'],
    ['<coverage><packages><package><classes><class filename="a.js"><lines>\n<line number="1" hits="lots"/></lines></class></classes></package></packages></coverage>', 'c.xml:2:1 line@hits: hits="lots" is not a number ≥ 0'],
    ['<coverage><packages><package><classes><class filename="a.js"><lines><line number="1" hits="1" branch="true" condition-coverage="half"/></lines></class></classes></package></packages></coverage>', 'condition-coverage="half" is not "NN% (covered/total)"'],
    ['<coverage a="x & y"/>', 'c.xml:1:16 is not well-formed XML: "&" must start an entity'],
  ])('malformed %j → FL_ERR_COVERAGE_REPORT', (text, message) => {
    const e = errorOf(() => parseCobertura(text, { source: 'c.xml' }));
    expect(e.code).toBe('FL_ERR_COVERAGE_REPORT');
    expect(e.message).toContain(message);
  });
});

describe('detection', () => {
  it('tells the four formats apart by content', () => {
    expect(detectCoverageFormat('x', SUMMARY)).toBe('istanbul-summary');
    expect(detectCoverageFormat('x', FINAL)).toBe('istanbul-final');
    expect(detectCoverageFormat('x', LCOV)).toBe('lcov');
    expect(detectCoverageFormat('x', '\uFEFF<?xml version="1.0"?>\n<coverage line-rate="1"></coverage>')).toBe('cobertura');
    expect(detectCoverageFormat('x', '{"a": 1}')).toBeUndefined();
    expect(detectCoverageFormat('x', '{"total":')).toBeUndefined();
    expect(detectCoverageFormat('x', 'hello')).toBeUndefined();
  });

  it.each([
    ['', 'r is empty'],
    ['{"total": {"lines": {"pct": 5}', 'r:1:31 is not valid JSON (truncated?)'],
    ['{\n  "a": 1,\n  "b" 2\n}', 'r:3:7 is not valid JSON'],
    ['{"a": {"b": 1}}', 'r is JSON but neither an istanbul coverage-summary.json'],
    ['<?xml version="1.0"?><report/>', 'r is XML without a <coverage> element'],
    ['hello world', 'r:1 is not a coverage report this reader knows'],
  ])('%j → FL_ERR_COVERAGE_REPORT naming the file', (text, message) => {
    const e = errorOf(() => detectCoverageFormatOrThrow('r', text));
    expect(e.code).toBe('FL_ERR_COVERAGE_REPORT');
    expect(e.message).toContain(message);
    expect(e.context.file).toBe('r');
  });

  it('parseCoverageText detects and parses', () => {
    expect(parseCoverageText(LCOV, { source: 'l', root: '/repo' }).files.map((f) => f.path)).toEqual(['src/a/x.js', 'src/b/y.js']);
  });
});

describe('paths, percent and module aggregation', () => {
  it('resolves report paths against the root', () => {
    expect(resolveReportPath('/repo/src/a.js', '/repo')).toEqual({ path: 'src/a.js', outsideRoot: false });
    expect(resolveReportPath('/repo/src/a.js', '/repo/')).toEqual({ path: 'src/a.js', outsideRoot: false });
    expect(resolveReportPath('/repository/a.js', '/repo')).toEqual({ path: '/repository/a.js', outsideRoot: true });
    expect(resolveReportPath('C:\\work\\repo\\src\\a.js', 'c:/Work/Repo')).toEqual({ path: 'src/a.js', outsideRoot: false });
    expect(resolveReportPath('./src//b/../a.js')).toEqual({ path: 'src/a.js', outsideRoot: false });
    expect(resolveReportPath('../sibling/a.js', '/repo')).toEqual({ path: '../sibling/a.js', outsideRoot: true });
    expect(resolveReportPath('src/a.js', '/repo', '/repo/pkg')).toEqual({ path: 'pkg/src/a.js', outsideRoot: false });
    expect(normaliseModulePath('./src/a/')).toBe('src/a');
    expect(normaliseModulePath('.')).toBe('');
  });

  it('percent truncates to 2 decimals like istanbul and is null for nothing', () => {
    expect(percent(2, 3)).toBe(66.66);
    expect(percent(79999, 100000)).toBe(79.99);
    expect(percent(1, 1)).toBe(100);
    expect(percent(0, 0)).toBeNull();
  });

  it('sums the files under a folder, not those whose name merely starts the same', () => {
    const r = parseLcov('SF:src/a/x.js\nDA:1,1\nDA:2,0\nend_of_record\nSF:src/ab/y.js\nDA:1,1\nend_of_record\nSF:src/a/deep/z.js\nDA:1,0\nend_of_record\n', { source: 'l' });
    const a = moduleCoverage(r, 'src/a/');
    expect(a.module).toBe('src/a');
    expect(a.files).toBe(2);
    expect(a.lines).toEqual({ covered: 1, total: 3, pct: 33.33 });
    expect(a.reason).toBeUndefined();
    expect(moduleCoverage(r, './src').lines.total).toBe(4);
  });

  it('a module without files or without instrumented lines has pct null and a reason', () => {
    const r = parseLcov('SF:src/a/x.js\nDA:1,1\nend_of_record\nSF:src/empty/e.js\nLF:0\nLH:0\nend_of_record\n', { source: 'l.info' });
    const none = moduleCoverage(r, 'src/zzz');
    expect(none.files).toBe(0);
    expect(none.lines.pct).toBeNull();
    expect(none.reason).toContain('l.info has no file under src/zzz');
    const empty = moduleCoverage(r, 'src/empty');
    expect(empty.files).toBe(1);
    expect(empty.lines).toEqual({ covered: 0, total: 0, pct: null });
    expect(empty.reason).toContain('none has instrumented lines');
  });
});

describe('reading from files', () => {
  it('readCoverage reads, detects and parses; findCoverageReport tries the usual places in order', async () => {
    const files = memoryTextFiles({ '/repo/coverage/lcov.info': LCOV, '/repo/coverage/cobertura-coverage.xml': '<coverage/>' });
    expect(await findCoverageReport('/repo', files)).toBe('/repo/coverage/lcov.info');
    expect(await findCoverageReport('/nowhere', files)).toBeUndefined();
    const e = await asyncErrorOf(findCoverageReportOrThrow('/nowhere', files));
    expect(e.code).toBe('FL_ERR_COVERAGE_REPORT');
    expect(e.message).toContain('coverage/coverage-summary.json');
    const r = await readCoverage('/repo/coverage/lcov.info', { root: '/repo', files });
    expect(r.format).toBe('lcov');
    expect(moduleCoverage(r, 'src/a').lines.pct).toBe(50);
  });

  it('a missing file is FL_ERR_COVERAGE_REPORT naming it', async () => {
    const e = await asyncErrorOf(readCoverage('/repo/coverage/nope.json', { files: memoryTextFiles({}) }));
    expect(e.code).toBe('FL_ERR_COVERAGE_REPORT');
    expect(e.message).toBe('/repo/coverage/nope.json does not exist');
  });
});
