/**
 * istanbul JSON reports, as c8 and nyc write them:
 * - coverage-summary.json (`--reporter=json-summary`): `{ total: {...}, "<abs path>": { lines, statements, functions,
 *   branches: { total, covered, skipped, pct } } }`
 * - coverage-final.json (`--reporter=json`): `{ "<abs path>": { path, statementMap, s, fnMap, f, branchMap, b } }`.
 *   Lines are derived the way istanbul-lib-coverage's FileCoverage#getLineCoverage does: each statement counts on
 *   the line where it starts, a line's hits are the maximum over its statements, and a line is covered when that is
 *   > 0 — which is how the summary, lcov and cobertura reporters of the same run count lines too.
 */
import type { CoverageCounts, CoverageParseOptions, CoverageReport, FileCoverage } from './coverage-types.js';
import { resolveReportPath } from './paths.js';
import { fieldPath, isRecord, parseJsonReport, reportError } from './report-error.js';
import { uniqueSortedFiles } from './file-list.js';

const CODE = 'FL_ERR_COVERAGE_REPORT';

/** A summary has "total" with lines.pct. */
export function looksLikeIstanbulSummary(json: unknown): boolean {
  if (!isRecord(json)) return false;
  const total = json.total;
  return isRecord(total) && isRecord(total.lines) && 'pct' in total.lines;
}

/** A final report has (at least one) file object with a statementMap. */
export function looksLikeIstanbulFinal(json: unknown): boolean {
  if (!isRecord(json)) return false;
  const values = Object.values(json);
  return values.length > 0 && values.every((v) => isRecord(v)) && values.some((v) => isRecord(v) && 'statementMap' in v);
}

function counts(source: string, v: unknown, field: string, required: boolean): CoverageCounts | undefined {
  if (v === undefined && !required) return undefined;
  if (!isRecord(v)) throw reportError(CODE, source, required ? 'is missing or not an object {total, covered}' : 'is not an object {total, covered}', { field });
  const { total, covered } = v;
  if (typeof total !== 'number' || !Number.isInteger(total) || total < 0) throw reportError(CODE, source, 'is not a count (integer ≥ 0)', { field: fieldPath(field, 'total') });
  if (typeof covered !== 'number' || !Number.isInteger(covered) || covered < 0) throw reportError(CODE, source, 'is not a count (integer ≥ 0)', { field: fieldPath(field, 'covered') });
  if (covered > total) throw reportError(CODE, source, `covered ${covered} is more than total ${total}`, { field });
  return { covered, total };
}

export function parseIstanbulSummary(text: string, opts: CoverageParseOptions): CoverageReport {
  const json = parseJsonReport(CODE, opts.source, text);
  if (!looksLikeIstanbulSummary(json) || !isRecord(json)) {
    throw reportError(CODE, opts.source, 'is not an istanbul coverage-summary.json (expected "total": {"lines": {"pct": …}} beside the files)', { field: 'total' });
  }
  const files: FileCoverage[] = [];
  for (const [key, value] of Object.entries(json)) {
    if (key === 'total') continue;
    const field = fieldPath('', key);
    if (!isRecord(value)) throw reportError(CODE, opts.source, 'is not an object', { field });
    const { path, outsideRoot } = resolveReportPath(key, opts.root);
    const f: FileCoverage = { path, lines: counts(opts.source, value.lines, fieldPath(field, 'lines'), true) as CoverageCounts };
    for (const k of ['statements', 'functions', 'branches'] as const) {
      const c = counts(opts.source, value[k], fieldPath(field, k), false);
      if (c !== undefined) f[k] = c;
    }
    if (outsideRoot) f.outsideRoot = true;
    files.push(f);
  }
  return { format: 'istanbul-summary', source: opts.source, files: uniqueSortedFiles(files, opts.source) };
}

function hitCount(source: string, v: unknown, field: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw reportError(CODE, source, `is not a hit count (number ≥ 0): ${JSON.stringify(v)}`, { field });
  return v;
}

function startLine(source: string, loc: unknown, field: string): number {
  const start = isRecord(loc) ? loc.start : undefined;
  const line = isRecord(start) ? start.line : undefined;
  if (typeof line !== 'number' || !Number.isInteger(line) || line < 0) throw reportError(CODE, source, 'has no start.line (integer)', { field });
  return line;
}

/** Per-line hits of one coverage-final file object, exactly as istanbul-lib-coverage computes them. */
export function istanbulLineHits(source: string, fileField: string, statementMap: Record<string, unknown>, s: Record<string, unknown>): Map<number, number> {
  const lineHits = new Map<number, number>();
  for (const [id, raw] of Object.entries(s)) {
    const count = hitCount(source, raw, fieldPath(fieldPath(fileField, 's'), id));
    const loc = statementMap[id];
    if (loc === undefined) continue; // istanbul skips statements without a map entry
    const line = startLine(source, loc, fieldPath(fieldPath(fileField, 'statementMap'), id));
    const prev = lineHits.get(line);
    if (prev === undefined || prev < count) lineHits.set(line, count);
  }
  return lineHits;
}

function simpleTotals(source: string, hits: Record<string, unknown>, field: string): CoverageCounts {
  let covered = 0;
  let total = 0;
  for (const [id, v] of Object.entries(hits)) {
    total++;
    if (hitCount(source, v, fieldPath(field, id)) > 0) covered++;
  }
  return { covered, total };
}

export function parseIstanbulFinal(text: string, opts: CoverageParseOptions): CoverageReport {
  const json = parseJsonReport(CODE, opts.source, text);
  if (!isRecord(json) || !looksLikeIstanbulFinal(json)) {
    throw reportError(CODE, opts.source, 'is not an istanbul coverage-final.json (expected file objects with statementMap and s)');
  }
  const files: FileCoverage[] = [];
  for (const [key, value] of Object.entries(json)) {
    const field = fieldPath('', key);
    if (!isRecord(value)) throw reportError(CODE, opts.source, 'is not an object', { field });
    const { statementMap, s, f, b } = value;
    if (!isRecord(statementMap)) throw reportError(CODE, opts.source, 'is missing or not an object', { field: fieldPath(field, 'statementMap') });
    if (!isRecord(s)) throw reportError(CODE, opts.source, 'is missing or not an object', { field: fieldPath(field, 's') });
    const rawPath = typeof value.path === 'string' && value.path !== '' ? value.path : key;
    const { path, outsideRoot } = resolveReportPath(rawPath, opts.root);
    const lineHits = istanbulLineHits(opts.source, field, statementMap, s);
    const uncoveredLines = [...lineHits].filter(([, h]) => h === 0).map(([l]) => l).sort((x, y) => x - y);
    const fc: FileCoverage = {
      path,
      lines: { covered: lineHits.size - uncoveredLines.length, total: lineHits.size },
      statements: simpleTotals(opts.source, s, fieldPath(field, 's')),
      uncoveredLines,
    };
    if (f !== undefined) {
      if (!isRecord(f)) throw reportError(CODE, opts.source, 'is not an object', { field: fieldPath(field, 'f') });
      fc.functions = simpleTotals(opts.source, f, fieldPath(field, 'f'));
    }
    if (b !== undefined) {
      if (!isRecord(b)) throw reportError(CODE, opts.source, 'is not an object', { field: fieldPath(field, 'b') });
      let covered = 0;
      let total = 0;
      for (const [id, arr] of Object.entries(b)) {
        const bf = fieldPath(fieldPath(field, 'b'), id);
        if (!Array.isArray(arr)) throw reportError(CODE, opts.source, 'is not an array of hit counts', { field: bf });
        arr.forEach((h, k) => {
          total++;
          if (hitCount(opts.source, h, fieldPath(bf, k)) > 0) covered++;
        });
      }
      fc.branches = { covered, total };
    }
    if (outsideRoot) fc.outsideRoot = true;
    files.push(fc);
  }
  return { format: 'istanbul-final', source: opts.source, files: uniqueSortedFiles(files, opts.source) };
}
