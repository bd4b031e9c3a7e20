/** Reading coverage reports from disk: the usual places, detection, parsing. */
import { join, resolve } from 'node:path';
import type { CoverageReport } from './coverage-types.js';
import { parseCoverageText } from './detect.js';
import { reportError } from './report-error.js';
import { nodeTextFiles, readReportText, type ReadReportOptions, type TextFiles } from './text-files.js';

/** Where c8/nyc/jest put their reports, relative to the project directory, in the order they are tried. */
export const COVERAGE_REPORT_LOCATIONS = [
  'coverage/coverage-summary.json',
  'coverage/coverage-final.json',
  'coverage/lcov.info',
  'coverage/cobertura-coverage.xml',
] as const;

/** Read, detect and parse one coverage report. */
export async function readCoverage(file: string, opts: ReadReportOptions = {}): Promise<CoverageReport> {
  const text = await readReportText('FL_ERR_COVERAGE_REPORT', file, opts.files ?? nodeTextFiles);
  return parseCoverageText(text, { source: file, root: resolve(opts.root ?? process.cwd()) });
}

/** The first of COVERAGE_REPORT_LOCATIONS under `dir` that exists, or undefined. */
export async function findCoverageReport(dir: string, files: TextFiles = nodeTextFiles): Promise<string | undefined> {
  for (const rel of COVERAGE_REPORT_LOCATIONS) {
    const p = join(dir, rel);
    if (await files.isFile(p)) return p;
  }
  return undefined;
}

export async function findCoverageReportOrThrow(dir: string, files: TextFiles = nodeTextFiles): Promise<string> {
  const found = await findCoverageReport(dir, files);
  if (found === undefined) {
    throw reportError('FL_ERR_COVERAGE_REPORT', dir, `has no coverage report (looked for ${COVERAGE_REPORT_LOCATIONS.join(', ')}); run the tests under c8 with --reporter=json-summary, or pass the report`);
  }
  return found;
}
