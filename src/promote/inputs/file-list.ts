/** The last step of every coverage parser: files sorted by path, and two entries for one path refused. */
import type { FileCoverage } from './coverage-types.js';
import { reportError } from './report-error.js';

export function uniqueSortedFiles(files: FileCoverage[], source: string): FileCoverage[] {
  const sorted = [...files].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  for (let k = 1; k < sorted.length; k++) {
    const path = (sorted[k] as FileCoverage).path;
    if ((sorted[k - 1] as FileCoverage).path === path) {
      throw reportError('FL_ERR_COVERAGE_REPORT', source, `has two entries that resolve to the same file ${path}; merge the reports first`);
    }
  }
  return sorted;
}
