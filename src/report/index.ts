/**
 * Reports of a run: the terminal summary, report.json, junit.xml and a self-contained report.html, the
 * recommendations and evidence sites they show, and the Prometheus endpoint a run feeds while it runs.
 */
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { FaultlineError } from '../core/errors.js';
import type { ErrorEvidence, RunReport } from '../core/run.js';
import { renderHtml } from './html.js';
import { renderJunit } from './junit.js';
import { evidenceSites, recommend, type MapLocation } from './recommend.js';
import { renderText } from './text.js';

export { renderHtml } from './html.js';
export { renderJunit } from './junit.js';
export { renderText, type TextOptions } from './text.js';
export { evidenceSites, faultImpacts, recommend, severityOf, type FaultImpact, type MapLocation } from './recommend.js';
export { createSourceMapper, decodeMappings, decodeVlq, loadSourceMapFor, originalPosition, parseSourceMap, type SourceMap } from './source-map.js';
export { renderExposition, RunMetrics, startMetricsServer, type MetricsServer, type MetricsServerOptions, type RunInfo } from './prometheus.js';
export { parseRunReport, readRunReport, runReportProblems } from './validate.js';

export type ReportFormat = 'json' | 'html' | 'junit' | 'text';

/** the file each format is written to */
export const REPORT_FILES: Readonly<Record<ReportFormat, string>> = { json: 'report.json', html: 'report.html', junit: 'junit.xml', text: 'summary.txt' };

/** The report in one format, as text. */
export function renderReport(report: RunReport, format: ReportFormat): string {
  switch (format) {
    case 'json':
      return JSON.stringify(report, null, 2) + '\n';
    case 'html':
      return renderHtml(report);
    case 'junit':
      return renderJunit(report);
    case 'text':
      return renderText(report);
  }
}

/**
 * Writes the report into `dir` (created if missing) in each format, each file atomically (temporary file, then
 * rename). The written reports list every file in `artifacts` (keys: the format names). Returns the paths.
 */
export function writeReports(report: RunReport, dir: string, formats: readonly ReportFormat[] = ['json', 'html', 'junit']): Partial<Record<ReportFormat, string>> {
  const abs = resolve(dir);
  const paths: Partial<Record<ReportFormat, string>> = {};
  for (const f of formats) paths[f] = join(abs, REPORT_FILES[f]);
  const full: RunReport = { ...report, artifacts: { ...report.artifacts, ...paths } };
  try {
    mkdirSync(abs, { recursive: true });
    for (const f of formats) {
      const path = paths[f] as string;
      const tmp = `${path}.${process.pid}.tmp`;
      writeFileSync(tmp, renderReport(full, f));
      renameSync(tmp, path);
    }
  } catch (e) {
    throw new FaultlineError('FL_ERR_REPORT_WRITE', `cannot write the reports into ${abs} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); pass a writable folder`, { cause: e, context: { dir: abs } });
  }
  return paths;
}

/**
 * The report with its evidence grouped into sites (when the raw agent evidence is given, mapped through
 * `mapLocation`) and its recommendations derived by the rules of recommend.ts. The input is not changed.
 */
export function analyzeReport(report: RunReport, opts: { evidence?: readonly ErrorEvidence[]; mapLocation?: MapLocation } = {}): RunReport {
  const withSites: RunReport = opts.evidence ? { ...report, evidence: evidenceSites(opts.evidence, opts.mapLocation) } : { ...report };
  return { ...withSites, recommendations: recommend(withSites) };
}
