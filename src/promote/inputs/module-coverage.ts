/** Coverage of one module (a repository folder): the sum over the report's files under it. */
import type { CoverageCounts, CoverageFormat, CoverageReport, FileCoverage } from './coverage-types.js';
import { percent } from './coverage-types.js';
import { isUnder, normaliseModulePath } from './paths.js';

export interface CoverageMeasure extends CoverageCounts {
  /** percent with 2 decimals (truncated); null when total is 0 */
  pct: number | null;
}

export interface ModuleCoverage {
  /** the module folder, normalised ('' = the whole repository) */
  module: string;
  format: CoverageFormat;
  source: string;
  /** files of the report under the folder */
  files: number;
  lines: CoverageMeasure;
  /** present when every counted file has them (istanbul has all four, lcov no statements, cobertura no statements) */
  statements?: CoverageMeasure;
  functions?: CoverageMeasure;
  branches?: CoverageMeasure;
  /** files of the report outside the root, left out of every module */
  ignoredOutsideRoot: number;
  /** why lines.pct is null: no file under the folder, or files without instrumented lines */
  reason?: string;
}

const OPTIONAL = ['statements', 'functions', 'branches'] as const;

function measure(files: FileCoverage[], pick: (f: FileCoverage) => CoverageCounts | undefined): CoverageMeasure | undefined {
  let covered = 0;
  let total = 0;
  for (const f of files) {
    const c = pick(f);
    if (c === undefined) return undefined;
    covered += c.covered;
    total += c.total;
  }
  return { covered, total, pct: percent(covered, total) };
}

export function moduleCoverage(report: CoverageReport, modulePath: string): ModuleCoverage {
  const module = normaliseModulePath(modulePath);
  const inside = report.files.filter((f) => f.outsideRoot !== true);
  const files = inside.filter((f) => isUnder(f.path, module));
  const out: ModuleCoverage = {
    module,
    format: report.format,
    source: report.source,
    files: files.length,
    lines: measure(files, (f) => f.lines) as CoverageMeasure,
    ignoredOutsideRoot: report.files.length - inside.length,
  };
  if (files.length > 0) {
    for (const k of OPTIONAL) {
      const m = measure(files, (f) => f[k]);
      if (m !== undefined) out[k] = m;
    }
  }
  const where = module === '' ? 'the repository' : module;
  if (files.length === 0) {
    const outside = out.ignoredOutsideRoot > 0 ? ` (${out.ignoredOutsideRoot} of its files lie outside the root; is --root right?)` : '';
    const sample = inside[0] === undefined ? '' : `; its files are like ${inside[0].path}`;
    out.reason = `${report.source} has no file under ${where}${outside}${sample}`;
  } else if (out.lines.total === 0) {
    out.reason = `${files.length} file(s) under ${where} in ${report.source}, but none has instrumented lines`;
  }
  return out;
}
