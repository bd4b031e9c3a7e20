/**
 * Targets from what the other stages found (through core types only): resilience smells (analyze), failure
 * points (predict), and the recorded runs' reports (chaos: recommendations with a recipe become targets, and
 * evidence sites mark the targets in the same function as exposed by that run, so verification re-runs it).
 */
import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, relative, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { FailurePoint, FunctionMetrics, Smell } from '../../core/analysis.js';
import type { RunRecord, RunReport } from '../../core/run.js';
import { listRuns } from '../../store/runs.js';
import { git, showFile } from './git.js';
import { DEFAULT_SMELL_CONFIDENCE, EXPOSED_CONFIDENCE, type Exposure, type RefactorTarget, type Severity, SMELL_SEVERITY } from './targets.js';

export function fromSmell(s: Smell, confidence = DEFAULT_SMELL_CONFIDENCE): RefactorTarget {
  return {
    path: s.path,
    line: s.line,
    col: s.col,
    ...(s.fn ? { fn: s.fn } : {}),
    recipes: s.recipe ? [s.recipe] : [],
    confidence,
    severity: SMELL_SEVERITY[s.kind] ?? 'medium',
    evidence: [`smell ${s.kind}: ${s.message}`],
    source: 'smell',
  };
}

/** A failure point; without a suggested recipe, the recipes addressing its failure type (`byFailureType`). */
export function fromFailurePoint(p: FailurePoint, byFailureType: (failureType: string) => string[]): RefactorTarget {
  return {
    path: p.path,
    line: p.line,
    ...(p.fn ? { fn: p.fn } : {}),
    failureType: p.failureType,
    recipes: p.recipe ? [p.recipe] : byFailureType(p.failureType),
    confidence: p.confidence,
    severity: p.severity,
    evidence: p.evidence.length > 0 ? p.evidence : p.topFeatures.slice(0, 3).map((f) => `${f.name} = ${+f.value.toFixed(2)}`),
    source: 'prediction',
  };
}

/** One place a recorded run saw a failure: an evidence site, or a recommendation with its recipe. */
export interface RunFinding {
  exposure: Exposure;
  path: string;
  line: number;
  fn?: string;
  message: string;
  recipe?: string;
  severity?: Severity;
  startedAt: string;
}

/** "path:line[:col]" (a file: URL too) → repository-relative path and line, or undefined outside the repository. */
export function locationIn(location: string, repo: string): { path: string; line: number } | undefined {
  const loc = location.startsWith('file://') ? location.slice('file://'.length) : location;
  const m = /^(.*?):(\d+)(?::\d+)?$/.exec(loc);
  if (!m) return undefined;
  const file = m[1] as string;
  const abs = isAbsolute(file) ? file : resolve(repo, file);
  const rel = relative(resolve(repo), abs).split('\\').join('/');
  if (rel.startsWith('..') || isAbsolute(rel) || rel.includes('node_modules/')) return undefined;
  return { path: rel, line: Number(m[2]) };
}

/** For a loop report shared by its card drills: which card each fault belonged to (by the timeline's inject marks). */
function cardsByFault(report: RunReport, drills: readonly RunRecord[]): Map<string, string> {
  const byTitle = new Map(drills.filter((d) => d.cardId).map((d) => [d.title, d.cardId as string]));
  const out = new Map<string, string>();
  for (const e of report.observation?.events ?? []) {
    if (e.kind === 'inject' && e.faultId && byTitle.has(e.label)) out.set(e.faultId, byTitle.get(e.label) as string);
  }
  const only = drills.length === 1 ? drills[0]?.cardId : undefined;
  if (only) for (const f of report.faults ?? []) if (!out.has(f.id)) out.set(f.id, only);
  return out;
}

/**
 * What the recorded runs found inside `repo`: each run's report is read once (the card drills of a loop share
 * one). Unreadable reports are counted, not fatal.
 */
export function readRunFindings(stateDir: string, repo: string): { findings: RunFinding[]; runs: number; unreadable: number } {
  const out = { findings: [] as RunFinding[], runs: 0, unreadable: 0 };
  const runs = listRuns(stateDir);
  const byReport = new Map<string, RunRecord[]>();
  for (const r of runs) {
    if (!r.reportPath) continue;
    const path = isAbsolute(r.reportPath) ? r.reportPath : resolve(stateDir, r.reportPath);
    byReport.set(path, [...(byReport.get(path) ?? []), r]);
  }
  for (const [path, records] of byReport) {
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
    const main = records.find((r) => r.kind !== 'card') ?? (records[0] as RunRecord);
    const drills = records.filter((r) => r.kind === 'card' && r.cardId);
    const cards = cardsByFault(report, drills);
    const exposureFor = (cardId: string | undefined): Exposure => ({ runId: main.id, kind: cardId && report.kind !== 'experiment' ? 'card' : report.kind, title: report.title, ...(cardId ? { cardId } : {}) });
    const exposureOf = (faultIds: readonly string[]): Exposure => exposureFor(faultIds.map((id) => cards.get(id)).find((c) => c !== undefined) ?? main.cardId);
    /** one exposure per card the faults belonged to (a recommendation two cards led to is verified by both) */
    const exposuresOf = (faultIds: readonly string[]): Exposure[] => {
      const ids = [...new Set(faultIds.map((id) => cards.get(id)).filter((c): c is string => c !== undefined))];
      return ids.length > 0 ? ids.map(exposureFor) : [exposureOf(faultIds)];
    };
    for (const site of report.evidence ?? []) {
      // the call site of a faulted dependency is where a fault was felt, not a failure: it exposes nothing by
      // itself (every target in that function would be re-verified by a run it has nothing to do with); the
      // run's recommendation for that fault names the site with the recipe that fits, and carries the exposure
      if (site.source === 'dependency-call') continue;
      // a profile's site (where CPU time or live memory went) is a measurement too: only the recommendation made
      // from it (offload-to-worker, bound-collection) exposes a target
      if (site.source === 'cpu-profile' || site.source === 'heap-profile') continue;
      const loc = locationIn(site.location, repo);
      if (!loc) continue;
      out.findings.push({ exposure: { ...exposureOf(site.faultIds), message: site.message }, ...loc, ...(site.fn ? { fn: site.fn } : {}), message: site.message, startedAt: report.startedAt });
    }
    for (const rec of report.recommendations ?? []) {
      if (!rec.location || !rec.recipe) continue;
      const loc = locationIn(rec.location, repo);
      if (!loc) continue;
      // the faults that led to it tell which cards of a loop exposed it
      for (const exposure of exposuresOf(rec.faultIds ?? [])) {
        out.findings.push({ exposure: { ...exposure, message: rec.why }, ...loc, message: `${rec.title}: ${rec.why}`, recipe: rec.recipe, severity: rec.severity, startedAt: report.startedAt });
      }
    }
  }
  return out;
}

/** Recommendations with a recipe become targets of their own (the failure was observed: EXPOSED_CONFIDENCE). */
export function fromFindings(findings: readonly RunFinding[]): RefactorTarget[] {
  return findings
    .filter((f) => f.recipe !== undefined)
    .map((f) => ({
      path: f.path,
      line: f.line,
      ...(f.fn ? { fn: f.fn } : {}),
      recipes: [f.recipe as string],
      confidence: EXPOSED_CONFIDENCE,
      severity: f.severity ?? 'high',
      evidence: [`run ${f.exposure.runId} (${f.exposure.kind}${f.exposure.cardId ? ` ${f.exposure.cardId}` : ''}): ${f.message}`],
      source: 'experiment' as const,
      exposedBy: f.exposure,
    }));
}

/**
 * Marks targets a run exposed: an evidence site on the target's line, or inside the same function (ranges from
 * the analysis at the base commit); a recommendation only on its own line (it names one place and the recipe for
 * it, not the code around it). The newest run wins; its evidence joins the target's.
 */
export function attachExposures(targets: readonly RefactorTarget[], findings: readonly RunFinding[], functionsOf: (path: string) => readonly Pick<FunctionMetrics, 'name' | 'line' | 'endLine'>[] = () => []): RefactorTarget[] {
  const newest = [...findings].sort((a, b) => b.startedAt.localeCompare(a.startedAt));
  const innermost = (path: string, line: number): { line: number; endLine: number } | undefined =>
    functionsOf(path)
      .filter((f) => f.line <= line && line <= f.endLine)
      .sort((a, b) => a.endLine - a.line - (b.endLine - b.line))[0];
  return targets.map((t) => {
    if (t.exposedBy) return t;
    const fn = innermost(t.path, t.line);
    // a recommendation exposes the target only when it names one of the target's recipes (a timeout fix is not verified by the card that asked for a fallback)
    const hit = newest.find((f) => f.path === t.path && (f.recipe === undefined || t.recipes.includes(f.recipe)) && (f.line === t.line || (f.recipe === undefined && fn !== undefined && fn.line <= f.line && f.line <= fn.endLine)));
    if (!hit) return t;
    const run = `run ${hit.exposure.runId} (${hit.exposure.kind}${hit.exposure.cardId ? ` ${hit.exposure.cardId}` : ''})`;
    // a recommendation's line reads as fromFindings writes it, so the merged target does not carry it twice
    return { ...t, exposedBy: hit.exposure, evidence: [...t.evidence, hit.recipe !== undefined ? `${run}: ${hit.message}` : `${run} failed here: ${hit.message}`] };
  });
}

const NOT_EXPERIMENTS = /(^|\/)(node_modules|\.git|\.faultline|dist|coverage)\/|(^|\/)(package(-lock)?\.json|tsconfig[^/]*\.json|faultline\.ya?ml|\.?[^/]*rc\.json)$/;

/**
 * The experiment file of the base commit whose title is `title` (Chaos Toolkit files: YAML or JSON with a
 * `title` and a `method`), repository-relative; undefined when none or more than one match.
 */
export async function findExperimentFile(repo: string, base: string, title: string): Promise<string | undefined> {
  const files = (await git(repo, ['ls-tree', '-r', '--name-only', '-z', base])).split('\0').filter((p) => /\.(ya?ml|json)$/i.test(p) && !NOT_EXPERIMENTS.test(p));
  const hits: string[] = [];
  for (const f of files) {
    const text = await showFile(repo, base, f);
    if (text === undefined || text.length > 1_000_000 || !text.includes('method')) continue;
    try {
      const doc = parseYaml(text) as { title?: unknown; method?: unknown };
      if (doc && typeof doc === 'object' && doc.title === title && Array.isArray(doc.method)) hits.push(f);
    } catch {
      // not YAML/JSON
    }
  }
  return hits.length === 1 ? hits[0] : undefined;
}
