/**
 * The one shape every coverage reader produces (istanbul summary / final, lcov, cobertura), so the gate never
 * knows which tool wrote the report. Counts are absolute; percentages are computed by `percent()` only.
 */

export const COVERAGE_FORMATS = ['istanbul-summary', 'istanbul-final', 'lcov', 'cobertura'] as const;
export type CoverageFormat = (typeof COVERAGE_FORMATS)[number];

export interface CoverageCounts {
  covered: number;
  total: number;
}

export interface FileCoverage {
  /** repository-relative (forward slashes, no leading ./) — or, when outside the root, the report's path normalised */
  path: string;
  lines: CoverageCounts;
  statements?: CoverageCounts;
  functions?: CoverageCounts;
  branches?: CoverageCounts;
  /** line numbers (ascending) with zero hits; absent when the format has no per-line data (summary, lcov without DA) */
  uncoveredLines?: number[];
  /** set when the report's path is not under the root: kept for display, ignored by moduleCoverage */
  outsideRoot?: true;
}

export interface CoverageReport {
  format: CoverageFormat;
  /** the file the report was read from (or the name given to the parser) */
  source: string;
  /** sorted by path, one entry per path (duplicate records of a path are merged) */
  files: FileCoverage[];
}

/** Options of every coverage parser. */
export interface CoverageParseOptions {
  /** file name used in messages and as CoverageReport.source */
  source: string;
  /** absolute repository root; absolute report paths under it become relative, others are flagged outsideRoot */
  root?: string;
}

/**
 * Percentage with 2 decimals, truncated the way istanbul's summary truncates (so 79.999 % never passes an 80 %
 * gate). null when there is nothing to measure.
 */
export function percent(covered: number, total: number): number | null {
  if (total <= 0) return null;
  return Math.floor((covered * 10_000) / total) / 100;
}
