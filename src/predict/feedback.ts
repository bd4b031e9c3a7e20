/**
 * Chaos evidence and feedback labels from the record of runs (<stateDir>/runs.jsonl and each run's
 * report.json): every evidence site (file:line where an error surfaced while a fault was active) becomes a
 * ChaosEvidence row, with the kind of the fault that was active. A file that failed under chaos in a label
 * window is a positive example when retraining (`predict train`), weighted FEEDBACK_WEIGHT.
 */
import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, relative, resolve } from 'node:path';
import type { RunReport } from '../core/run.js';
import { listRuns } from '../store/runs.js';
import type { ChaosEvidence } from './dataset.js';

/** Weight of a row whose positive label comes from a chaos failure (history-only rows weigh 1). */
export const FEEDBACK_WEIGHT = 2;

/** Splits "path:line[:col]" (a Windows drive letter or a file: URL stays in the path). */
export function parseLocation(location: string): { file: string; line: number } | undefined {
  const loc = location.startsWith('file://') ? location.slice('file://'.length) : location;
  const m = /^(.*?):(\d+)(?::\d+)?$/.exec(loc);
  if (!m) return undefined;
  return { file: m[1] as string, line: Number(m[2]) };
}

/** A repository-relative path with forward slashes, or undefined when the file is outside the repository. */
export function repoPath(file: string, repoRoot: string): string | undefined {
  const abs = isAbsolute(file) ? file : resolve(repoRoot, file);
  const rel = relative(resolve(repoRoot), abs).split('\\').join('/');
  if (rel.startsWith('..') || rel.includes('node_modules/')) return undefined;
  return rel;
}

export interface EvidenceRead {
  evidence: (ChaosEvidence & { at: number })[];
  runs: number;
  /** runs whose report.json could not be read */
  unreadable: number;
}

/** Evidence of every recorded run with a report, each row with its run's start time (epoch s). */
export function readChaosEvidence(stateDir: string, repoRoot: string): EvidenceRead {
  const out: EvidenceRead = { evidence: [], runs: 0, unreadable: 0 };
  const seen = new Set<string>();
  for (const run of listRuns(stateDir)) {
    const at = Date.parse(run.startedAt) / 1000;
    if (!run.reportPath) continue;
    const path = isAbsolute(run.reportPath) ? run.reportPath : resolve(stateDir, run.reportPath);
    // the drills of one loop share its report: read each report once
    if (seen.has(path)) continue;
    seen.add(path);
    if (!existsSync(path)) {
      out.unreadable++;
      continue;
    }
    let report: RunReport;
    try {
      report = JSON.parse(readFileSync(path, 'utf8')) as RunReport;
    } catch {
      out.unreadable++;
      continue;
    }
    out.runs++;
    const kindOf = new Map((report.faults ?? []).map((f) => [f.id, f.kind]));
    for (const site of report.evidence ?? []) {
      const loc = parseLocation(site.location);
      const p = loc && repoPath(loc.file, repoRoot);
      if (!loc || !p) continue;
      const faultKind = site.faultIds.map((id) => kindOf.get(id)).find((k) => k !== undefined) ?? 'unknown';
      out.evidence.push({ path: p, line: loc.line, ...(site.fn ? { fn: site.fn } : {}), faultKind, count: site.count, at });
    }
  }
  return out;
}
