/**
 * Stryker mutation reports (mutation-testing-report-schema, written by Stryker's json reporter to
 * reports/mutation/mutation.json; also Stryker4s, Stryker.NET, Infection). Shape, from
 * stryker-mutator/mutation-testing-elements packages/report-schema/src/mutation-testing-report-schema.json:
 *   { schemaVersion: "1"|"2"…, thresholds: {high, low}, projectRoot?, files: { "<path>": { language, source,
 *     mutants: [{ id, mutatorName, location, status, … }] } } }
 * status ∈ Killed | Survived | NoCoverage | CompileError | RuntimeError | Timeout | Ignored | Pending.
 * Metrics as that repository's docs/mutant-states-and-metrics.md defines them:
 *   detected = killed + timeout; undetected = survived + noCoverage; valid = detected + undetected;
 *   mutation score = detected / valid × 100; score based on covered code = detected / (detected + survived) × 100.
 * Compile and runtime errors, ignored and pending mutants are not in the score.
 */
import { resolve } from 'node:path';
import { percent } from './coverage-types.js';
import { isAbsoluteReportPath, isUnder, normaliseModulePath, resolveReportPath } from './paths.js';
import { fieldPath, isRecord, parseJsonReport, reportError } from './report-error.js';
import { nodeTextFiles, readReportText, type ReadReportOptions } from './text-files.js';

const CODE = 'FL_ERR_MUTATION_REPORT';

export const MUTANT_STATUSES = ['Killed', 'Survived', 'NoCoverage', 'CompileError', 'RuntimeError', 'Timeout', 'Ignored', 'Pending'] as const;
export type MutantStatus = (typeof MUTANT_STATUSES)[number];

export interface MutantCounts {
  killed: number;
  survived: number;
  noCoverage: number;
  timeout: number;
  compileError: number;
  runtimeError: number;
  ignored: number;
  pending: number;
  /** all mutants */
  total: number;
}

export interface MutationFile {
  /** repository-relative path (see resolveReportPath) */
  path: string;
  language: string;
  counts: MutantCounts;
  outsideRoot?: true;
}

export interface MutationReport {
  source: string;
  schemaVersion: string;
  thresholds?: { high: number; low: number };
  files: MutationFile[];
}

export interface MutationScore {
  module: string;
  source: string;
  files: number;
  counts: MutantCounts;
  detected: number;
  valid: number;
  /** detected / valid × 100, 2 decimals truncated; null when there is no valid mutant */
  mutationScore: number | null;
  /** detected / (detected + survived) × 100; null when no mutant is covered */
  mutationScoreBasedOnCoveredCode: number | null;
  reason?: string;
}

const COUNT_KEY: Record<MutantStatus, keyof MutantCounts> = {
  Killed: 'killed',
  Survived: 'survived',
  NoCoverage: 'noCoverage',
  CompileError: 'compileError',
  RuntimeError: 'runtimeError',
  Timeout: 'timeout',
  Ignored: 'ignored',
  Pending: 'pending',
};

export function emptyMutantCounts(): MutantCounts {
  return { killed: 0, survived: 0, noCoverage: 0, timeout: 0, compileError: 0, runtimeError: 0, ignored: 0, pending: 0, total: 0 };
}

function isStatus(s: unknown): s is MutantStatus {
  return typeof s === 'string' && (MUTANT_STATUSES as readonly string[]).includes(s);
}

export interface MutationParseOptions {
  source: string;
  /** absolute repository root; absolute file keys are made relative to it (else to the report's projectRoot) */
  root?: string;
}

export function parseMutationReport(text: string, opts: MutationParseOptions): MutationReport {
  const { source } = opts;
  const json = parseJsonReport(CODE, source, text);
  if (!isRecord(json)) throw reportError(CODE, source, 'is not a JSON object');
  const { schemaVersion, thresholds, files, projectRoot } = json;
  if (typeof schemaVersion !== 'string') throw reportError(CODE, source, 'is missing (a string such as "1" or "2")', { field: 'schemaVersion' });
  if (!/^[12](\.\d+){0,2}$/.test(schemaVersion)) throw reportError(CODE, source, `${JSON.stringify(schemaVersion)} is not a supported version (1.x or 2.x)`, { field: 'schemaVersion' });
  let th: MutationReport['thresholds'];
  if (thresholds !== undefined) {
    if (!isRecord(thresholds) || typeof thresholds.high !== 'number' || typeof thresholds.low !== 'number') {
      throw reportError(CODE, source, 'must be {high, low} (numbers 0–100)', { field: 'thresholds' });
    }
    th = { high: thresholds.high, low: thresholds.low };
  }
  if (!isRecord(files)) throw reportError(CODE, source, 'is missing or not an object of files', { field: 'files' });
  const base = typeof projectRoot === 'string' && projectRoot !== '' ? projectRoot : undefined;
  const out: MutationFile[] = [];
  const seen = new Set<string>();
  for (const [key, file] of Object.entries(files)) {
    const ff = fieldPath('files', key);
    if (!isRecord(file)) throw reportError(CODE, source, 'is not an object {language, source, mutants}', { field: ff });
    if (!Array.isArray(file.mutants)) throw reportError(CODE, source, 'is missing or not an array', { field: fieldPath(ff, 'mutants') });
    const counts = emptyMutantCounts();
    file.mutants.forEach((m, k) => {
      const mf = fieldPath(fieldPath(ff, 'mutants'), k);
      if (!isRecord(m)) throw reportError(CODE, source, 'is not an object', { field: mf });
      if (typeof m.id !== 'string' && typeof m.id !== 'number') throw reportError(CODE, source, 'is missing', { field: fieldPath(mf, 'id') });
      if (typeof m.mutatorName !== 'string') throw reportError(CODE, source, 'is missing', { field: fieldPath(mf, 'mutatorName') });
      if (!isStatus(m.status)) throw reportError(CODE, source, `${JSON.stringify(m.status ?? null)} is not one of ${MUTANT_STATUSES.join(', ')}`, { field: fieldPath(mf, 'status') });
      counts[COUNT_KEY[m.status]]++;
      counts.total++;
    });
    // Stryker writes paths relative to the project; some tools write absolute ones, under projectRoot — which may be
    // another machine's checkout, so a path outside `root` but under projectRoot is taken relative to projectRoot
    let resolved = resolveReportPath(key, opts.root);
    if (base !== undefined && isAbsoluteReportPath(key) && (resolved.outsideRoot || opts.root === undefined)) {
      const viaProject = resolveReportPath(key, base);
      if (!viaProject.outsideRoot) resolved = viaProject;
    }
    const { path, outsideRoot } = resolved;
    if (seen.has(path)) throw reportError(CODE, source, `names ${path} twice`, { field: ff });
    seen.add(path);
    const mfOut: MutationFile = { path, language: typeof file.language === 'string' ? file.language : '', counts };
    if (outsideRoot) mfOut.outsideRoot = true;
    out.push(mfOut);
  }
  out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const report: MutationReport = { source, schemaVersion, files: out };
  if (th !== undefined) report.thresholds = th;
  return report;
}

/** Mutation score of the files under `modulePath` ('' = all). */
export function mutationScore(report: MutationReport, modulePath: string): MutationScore {
  const module = normaliseModulePath(modulePath);
  const files = report.files.filter((f) => f.outsideRoot !== true && isUnder(f.path, module));
  const counts = emptyMutantCounts();
  for (const f of files) for (const k of Object.keys(counts) as (keyof MutantCounts)[]) counts[k] += f.counts[k];
  const detected = counts.killed + counts.timeout;
  const valid = detected + counts.survived + counts.noCoverage;
  const out: MutationScore = {
    module,
    source: report.source,
    files: files.length,
    counts,
    detected,
    valid,
    mutationScore: percent(detected, valid),
    mutationScoreBasedOnCoveredCode: percent(detected, detected + counts.survived),
  };
  const where = module === '' ? 'the repository' : module;
  if (files.length === 0) out.reason = `${report.source} has no mutated file under ${where}`;
  else if (valid === 0) out.reason = `${counts.total} mutant(s) under ${where} in ${report.source}, none valid (only errors, ignored or pending)`;
  return out;
}

/** Read and parse reports/mutation/mutation.json (or the given file). */
export async function readMutationReport(file: string, opts: ReadReportOptions = {}): Promise<MutationReport> {
  const text = await readReportText(CODE, file, opts.files ?? nodeTextFiles);
  return parseMutationReport(text, { source: file, root: resolve(opts.root ?? process.cwd()) });
}

/** Where Stryker's json reporter writes, relative to the project. */
export const MUTATION_REPORT_LOCATION = 'reports/mutation/mutation.json';
