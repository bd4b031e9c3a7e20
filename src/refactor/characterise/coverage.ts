/**
 * Is a function weakly covered by the project's tests? Two rules, the first that can answer decides:
 * - `coverage-file`: an istanbul coverage-final.json (c8 --reporter=json, nyc, jest --coverage): the share of
 *   the function's statements that ran (the function found by name in `fnMap`, else by its lines); under
 *   WEAK_COVERAGE_PCT is weak. A file the report does not hold was never loaded by a test: 0 %.
 * - `test-names`: no coverage report: weak when no test file (test/, tests/, __tests__/, *.test.*, *.spec.*)
 *   mentions the function's name.
 * A strongly covered function is not characterised: its tests pin it already.
 */
import { readFileSync } from 'node:fs';
import { FaultlineError } from '../../core/errors.js';

export const WEAK_COVERAGE_PCT = 80;

interface Position {
  line: number;
  column: number | null;
}
interface Range {
  start: Position;
  end: Position;
}

/** One file of an istanbul coverage-final.json (the fields used here). */
export interface FileCoverage {
  path: string;
  statementMap: Record<string, Range>;
  fnMap: Record<string, { name: string; decl?: Range; loc: Range; line?: number }>;
  s: Record<string, number>;
  f?: Record<string, number>;
}

export type CoverageMap = Record<string, FileCoverage>;

export type CoverageRule = 'coverage-file' | 'test-names';

export interface CoverageDecision {
  weak: boolean;
  rule: CoverageRule;
  /** e.g. "2 of 9 statements ran (22 %) in coverage/coverage-final.json" */
  detail: string;
  pct?: number;
}

/** The function as the coverage rules see it. */
export interface CoveredFunction {
  /** the plain name (a method's own name) */
  name: string;
  /** 1-based lines of the function in the file as it is now */
  line: number;
  endLine: number;
}

/** Reads and checks an istanbul coverage-final.json; FL_ERR_INVALID_ARGUMENT when it is not one. */
export function readCoverageFinal(file: string): CoverageMap {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new FaultlineError('FL_ERR_INVALID_ARGUMENT', `--coverage: cannot read ${file} (${(e as Error).message}); pass the coverage-final.json of c8 --reporter=json, nyc or jest --coverage`, { cause: e, context: { attribute: 'coverage' } });
  }
  return parseCoverageFinal(text, file);
}

/** Parses and checks the text of an istanbul coverage-final.json (`source` names it in errors). */
export function parseCoverageFinal(text: string, source: string): CoverageMap {
  let j: unknown;
  try {
    j = JSON.parse(text);
  } catch (e) {
    throw new FaultlineError('FL_ERR_INVALID_ARGUMENT', `--coverage: ${source} is not JSON (${(e as Error).message}); pass the coverage-final.json of c8 --reporter=json, nyc or jest --coverage`, { cause: e, context: { attribute: 'coverage' } });
  }
  if (j === null || typeof j !== 'object' || Array.isArray(j)) throw new FaultlineError('FL_ERR_INVALID_ARGUMENT', `--coverage: ${source} is not an istanbul coverage-final.json (expected an object keyed by file path)`, { context: { attribute: 'coverage' } });
  for (const [k, v] of Object.entries(j as Record<string, unknown>)) {
    const fc = v as Partial<FileCoverage> | null;
    if (!fc || typeof fc !== 'object' || typeof fc.statementMap !== 'object' || typeof fc.s !== 'object' || typeof fc.fnMap !== 'object') {
      throw new FaultlineError('FL_ERR_INVALID_ARGUMENT', `--coverage: ${source} is not an istanbul coverage-final.json (entry ${JSON.stringify(k).slice(0, 80)} has no statementMap, fnMap and s; a coverage-summary.json has only totals)`, { context: { attribute: 'coverage' } });
    }
  }
  return j as CoverageMap;
}

/** The entry of a repository-relative path: the key (or its `path`) that ends with it, the longest match first. */
export function fileCoverage(map: CoverageMap, path: string): FileCoverage | undefined {
  const want = path.split('\\').join('/').replace(/^\.?\//, '');
  let best: FileCoverage | undefined;
  let bestLen = -1;
  for (const [key, fc] of Object.entries(map)) {
    for (const p of [key, fc.path]) {
      if (typeof p !== 'string') continue;
      const norm = p.split('\\').join('/');
      if ((norm === want || norm.endsWith(`/${want}`)) && norm.length > bestLen) {
        best = fc;
        bestLen = norm.length;
      }
    }
  }
  if (best) return best;
  // a report made in the project folder of a monorepo names files from there: try the path without leading folders
  const parts = want.split('/');
  for (let i = 1; i < parts.length - 1 && best === undefined; i++) {
    const tail = parts.slice(i).join('/');
    for (const [key, fc] of Object.entries(map)) if (key.split('\\').join('/').endsWith(`/${tail}`)) best = fc;
  }
  return best;
}

const before = (a: Position, b: Position): boolean => a.line < b.line || (a.line === b.line && (a.column ?? 0) <= (b.column ?? 0));

/** Statements of the function that ran / all of them; the function found in fnMap by name (nearest line), else by lines. */
export function functionStatements(fc: FileCoverage, fn: CoveredFunction): { covered: number; total: number; by: 'fnMap' | 'lines' } {
  const named = Object.values(fc.fnMap)
    .filter((f) => f.name === fn.name)
    .sort((a, b) => Math.abs(a.loc.start.line - fn.line) - Math.abs(b.loc.start.line - fn.line))[0];
  let covered = 0;
  let total = 0;
  for (const [id, r] of Object.entries(fc.statementMap)) {
    const inside = named ? before(named.loc.start, r.start) && before(r.start, named.loc.end) : fn.line <= r.start.line && r.start.line <= fn.endLine;
    if (!inside) continue;
    total++;
    if ((fc.s[id] ?? 0) > 0) covered++;
  }
  return { covered, total, by: named ? 'fnMap' : 'lines' };
}

/** The `coverage-file` rule. */
export function decideFromCoverage(map: CoverageMap, source: string, path: string, fn: CoveredFunction): CoverageDecision {
  const fc = fileCoverage(map, path);
  if (fc === undefined) return { weak: true, rule: 'coverage-file', pct: 0, detail: `${path} is not in ${source}: no test loads it (0 %)` };
  const { covered, total } = functionStatements(fc, fn);
  if (total === 0) return { weak: true, rule: 'coverage-file', pct: 0, detail: `${source} has no statement of ${fn.name} (0 %)` };
  const pct = (covered / total) * 100;
  const weak = pct < WEAK_COVERAGE_PCT;
  return { weak, rule: 'coverage-file', pct, detail: `${covered} of ${total} statements of ${fn.name} ran (${Math.round(pct)} %, ${weak ? 'under' : 'at or over'} ${WEAK_COVERAGE_PCT} %) in ${source}` };
}

/** A test file by its path: under test/, tests/ or __tests__/, or named *.test.* / *.spec.*. */
export function isTestFile(path: string): boolean {
  const p = `/${path.split('\\').join('/')}`;
  if (/\/node_modules\//.test(p)) return false;
  return /\/(test|tests|__tests__)\//.test(p) || /\.(test|spec)\.[cm]?[jt]sx?$/.test(p);
}

/** The `test-names` rule: the first test file that mentions `name` as a word, or weak when none does. */
export function decideFromTestNames(name: string, tests: readonly { path: string; text: string }[]): CoverageDecision {
  const word = new RegExp(`(^|[^\\w$])${name.replace(/[$]/g, '\\$')}([^\\w$]|$)`);
  const hit = tests.find((f) => word.test(f.text));
  if (hit) return { weak: false, rule: 'test-names', detail: `${hit.path} mentions ${name}` };
  return { weak: true, rule: 'test-names', detail: `no test file mentions ${name} (${tests.length} test file(s) read; no coverage report)` };
}
