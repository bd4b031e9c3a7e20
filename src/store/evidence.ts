/**
 * Chaos evidence as a read model of the record of runs: every run's report.json lists where the target failed
 * (evidence sites: file:line, function, count, the faults active then). This folds them into how often each code
 * location failed under which fault kind — a feature of the failure model (src/predict) and its feedback labels.
 */
import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, relative, sep } from 'node:path';
import type { RunReport } from '../core/run.js';
import { listRuns } from './runs.js';

/** How often one code location failed under one kind of fault, over the recorded runs. */
export interface LocationEvidence {
  /** repository-relative path with forward slashes (or the path as recorded when it lies outside the repository) */
  path: string;
  line: number;
  fn?: string;
  /** the fault kind (latency, throw, pause, …); 'unknown' when the report does not say */
  faultKind: string;
  /** errors recorded there */
  count: number;
  /** runs in which it failed */
  runs: number;
}

/** Splits an evidence location `file:line` (EvidenceSite.location; the file may itself contain colons). */
export function splitLocation(location: string): { file: string; line: number } | undefined {
  const m = /^(.*):(\d+)$/.exec(location);
  if (!m) return undefined;
  return { file: m[1] as string, line: Number(m[2]) };
}

/** The location relative to `root` (forward slashes); undefined when it lies outside it. */
export function repoPath(file: string, root: string): string | undefined {
  if (!isAbsolute(file)) return file.split(sep).join('/');
  const rel = relative(root, file);
  if (rel === '' || rel.startsWith('..') || isAbsolute(rel)) return undefined;
  return rel.split(sep).join('/');
}

/** Folds the evidence of some reports into per-location, per-fault-kind counts. */
export function foldEvidence(reports: readonly Pick<RunReport, 'id' | 'evidence' | 'faults'>[], root?: string): LocationEvidence[] {
  const byKey = new Map<string, LocationEvidence & { runIds: Set<string> }>();
  for (const r of reports) {
    const kindOf = new Map(r.faults.map((f) => [f.id, f.kind]));
    for (const site of r.evidence) {
      const loc = splitLocation(site.location);
      if (!loc) continue;
      const path = root === undefined ? loc.file : repoPath(loc.file, root);
      if (path === undefined) continue;
      const kinds = site.faultIds.length > 0 ? [...new Set(site.faultIds.map((id) => kindOf.get(id) ?? 'unknown'))] : ['unknown'];
      for (const faultKind of kinds) {
        const key = `${path}\0${loc.line}\0${faultKind}`;
        const cur = byKey.get(key) ?? { path, line: loc.line, ...(site.fn ? { fn: site.fn } : {}), faultKind, count: 0, runs: 0, runIds: new Set<string>() };
        cur.count += site.count;
        cur.runIds.add(r.id);
        cur.runs = cur.runIds.size;
        byKey.set(key, cur);
      }
    }
  }
  return [...byKey.values()].map(({ runIds: _ids, ...e }) => e).sort((a, b) => b.count - a.count || a.path.localeCompare(b.path) || a.line - b.line);
}

/** The chaos evidence of every recorded run of a state folder whose report is still on disk. */
export function chaosEvidence(stateDir: string, root?: string): LocationEvidence[] {
  const reports: Pick<RunReport, 'id' | 'evidence' | 'faults'>[] = [];
  const seen = new Set<string>();
  for (const run of listRuns(stateDir)) {
    // the drills of one loop share its report: read each report once
    if (!run.reportPath || seen.has(run.reportPath) || !existsSync(run.reportPath)) continue;
    seen.add(run.reportPath);
    try {
      const r = JSON.parse(readFileSync(run.reportPath, 'utf8')) as Partial<RunReport>;
      if (Array.isArray(r.evidence) && Array.isArray(r.faults)) reports.push({ id: run.id, evidence: r.evidence, faults: r.faults });
    } catch {
      // a report that cannot be read adds nothing; the record of the run stays
    }
  }
  return foldEvidence(reports, root);
}
