/**
 * Feature rows per file (and per function, for ranking inside a file) from the code analysis at a cut-off,
 * the file histories as of that cut-off, and chaos evidence. Raw values are kept for display; `x` is what the
 * models see: every count goes through log1p, ratios (pageRank, scaled) stay as they are.
 */
import type { CodeAnalysis, CommitInfo, FileHistory, FileMetrics, FunctionMetrics, Smell, SmellKind } from '../core/analysis.js';
import { SMELL_KINDS } from '../core/analysis.js';

/** How often a code location failed under which fault (from run reports; absent means 0). */
export interface ChaosEvidence {
  path: string;
  line: number;
  fn?: string;
  faultKind: string;
  count: number;
}

export const CODE_FEATURES = ['loc', 'functions', 'cyclomatic', 'maxCyclomatic', 'cognitive', 'maxCognitive', 'maxNesting', 'maxParams', 'imports'] as const;
export const SMELL_FEATURES = SMELL_KINDS.map((k) => `smell:${k}`);
export const GRAPH_FEATURES = ['fanIn', 'fanOut', 'pageRank'] as const;
export const HISTORY_FEATURES = [
  'commits',
  'linesAdded',
  'linesDeleted',
  'churn30',
  'churn90',
  'churn365',
  'commits90',
  'authors',
  'recentAuthors',
  'ageDays',
  'daysSinceChange',
  'fixes',
  'bugInducing',
] as const;
/** Recency of fixes, from the commits before the cut-off (by path as named in each commit). */
export const RECENT_FEATURES = ['fixes90', 'fixes365', 'commits365', 'daysSinceFix'] as const;
export const DERIVED_FEATURES = ['hotspot', 'churnPerLoc'] as const;
export const EVIDENCE_FEATURES = ['chaosFailures', 'chaosFaultKinds'] as const;

/** Every file feature, in column order. */
export const FILE_FEATURES: string[] = [...CODE_FEATURES, ...SMELL_FEATURES, ...GRAPH_FEATURES, ...HISTORY_FEATURES, ...RECENT_FEATURES, ...DERIVED_FEATURES, ...EVIDENCE_FEATURES];

export interface RecentActivity {
  fixes90: number;
  fixes365: number;
  commits365: number;
  /** days since the last fix that touched the file (10 years when none) */
  daysSinceFix: number;
}

const NO_FIX_DAYS = 3650;

/** Fix and commit counts of the last 90/365 days before `t`, per path, from the commits (renames not followed). */
export function recentActivity(commits: readonly CommitInfo[], t: number): Map<string, RecentActivity> {
  const out = new Map<string, RecentActivity>();
  for (const c of commits) {
    if (c.time >= t || c.parents.length > 1) continue;
    const days = (t - c.time) / 86_400;
    if (days > 365 && c.fix === undefined) continue;
    for (const f of c.files) {
      const a = out.get(f.path) ?? { fixes90: 0, fixes365: 0, commits365: 0, daysSinceFix: NO_FIX_DAYS };
      if (days <= 365) a.commits365++;
      if (c.fix !== undefined) {
        if (days <= 90) a.fixes90++;
        if (days <= 365) a.fixes365++;
        a.daysSinceFix = Math.min(a.daysSinceFix, days);
      }
      out.set(f.path, a);
    }
  }
  return out;
}

/** Features that are not counts (no log1p). pageRank is scaled by the file count so 1 = average. */
const NOT_COUNTS = new Set(['pageRank', 'churnPerLoc']);

export interface FileRow {
  path: string;
  /** raw feature values, FILE_FEATURES order */
  raw: number[];
  /** transformed values the models see */
  x: number[];
  loc: number;
}

/** Paths left out of file-level prediction by default: tests, docs, examples, benchmarks, fixtures, type declarations. */
export function isPredictablePath(path: string): boolean {
  if (/\.d\.[cm]?ts$/.test(path)) return false;
  if (/(^|\/)(test|tests|__tests__|__mocks__|spec|specs|e2e|docs?|examples?|benchmarks?|bench|fixtures?|scripts|types|typings|node_modules|dist|build|coverage|vendor)\//i.test(path)) return false;
  if (/\.(test|spec|bench)\.[cm]?[jt]sx?$/.test(path)) return false;
  return /\.[cm]?[jt]sx?$/.test(path);
}

export function transform(features: readonly string[], raw: readonly number[]): number[] {
  return raw.map((v, j) => (NOT_COUNTS.has(features[j] as string) ? v : Math.log1p(Math.max(0, v))));
}

function evidenceByPath(evidence: readonly ChaosEvidence[]): Map<string, { failures: number; kinds: Set<string> }> {
  const m = new Map<string, { failures: number; kinds: Set<string> }>();
  for (const e of evidence) {
    const cur = m.get(e.path) ?? { failures: 0, kinds: new Set<string>() };
    cur.failures += e.count;
    cur.kinds.add(e.faultKind);
    m.set(e.path, cur);
  }
  return m;
}

export interface FileRowOptions {
  /** include tests, docs and examples (default false: isPredictablePath) */
  allPaths?: boolean;
  /** recent fix activity per path (recentActivity); absent: zeros, and daysSinceFix as "never" */
  recent?: ReadonlyMap<string, RecentActivity>;
}

/** One row per analysed file (files without history count as new: zeros). */
export function fileRows(analysis: CodeAnalysis, history: readonly FileHistory[], evidence: readonly ChaosEvidence[] = [], opts: FileRowOptions = {}): FileRow[] {
  const hist = new Map(history.map((h) => [h.path, h]));
  const graph = new Map(analysis.graph.map((g) => [g.path, g]));
  const smells = new Map<string, Map<SmellKind, number>>();
  for (const s of analysis.smells) {
    const m = smells.get(s.path) ?? new Map<SmellKind, number>();
    m.set(s.kind, (m.get(s.kind) ?? 0) + 1);
    smells.set(s.path, m);
  }
  const ev = evidenceByPath(evidence);
  const nFiles = Math.max(1, analysis.files.length);
  const rows: FileRow[] = [];
  for (const f of analysis.files) {
    if (!opts.allPaths && !isPredictablePath(f.path)) continue;
    const h = hist.get(f.path);
    const g = graph.get(f.path);
    const sm = smells.get(f.path);
    const e = ev.get(f.path);
    const rc = opts.recent?.get(f.path);
    const raw = [
      ...codeValues(f),
      ...SMELL_KINDS.map((k) => sm?.get(k) ?? 0),
      g?.fanIn ?? 0,
      g?.fanOut ?? 0,
      (g?.pageRank ?? 0) * nFiles,
      ...HISTORY_FEATURES.map((k) => h?.[k] ?? 0),
      ...RECENT_FEATURES.map((k) => rc?.[k] ?? (k === 'daysSinceFix' ? NO_FIX_DAYS : 0)),
      (h?.churn365 ?? 0) * f.cyclomatic,
      (h?.churn365 ?? 0) / Math.max(1, f.loc),
      e?.failures ?? 0,
      e?.kinds.size ?? 0,
    ];
    rows.push({ path: f.path, raw, x: transform(FILE_FEATURES, raw), loc: f.loc });
  }
  return rows;
}

function codeValues(f: FileMetrics): number[] {
  let maxCognitive = 0;
  let maxParams = 0;
  for (const fn of f.functions) {
    maxCognitive = Math.max(maxCognitive, fn.cognitive);
    maxParams = Math.max(maxParams, fn.params);
  }
  return [f.loc, f.functions.length, f.cyclomatic, f.maxCyclomatic, f.cognitive, maxCognitive, f.maxNesting, maxParams, f.imports.length];
}

export const FUNCTION_FEATURES = ['loc', 'cyclomatic', 'cognitive', 'maxNesting', 'params', 'smells', 'chaosFailures'] as const;

export interface FunctionRow {
  path: string;
  fn: FunctionMetrics;
  raw: number[];
  /** the in-file ranking score: a fixed, documented weighting of the transformed function features */
  score: number;
  /** smells whose line is in this function (and not in a function nested in it) */
  smells: Smell[];
  evidence: ChaosEvidence[];
}

/**
 * Functions of one file, ranked (riskiest first) by log1p(cyclomatic) + log1p(cognitive) + 0.5·log1p(loc) +
 * 0.5·nesting + 1·smells + 2·log1p(chaos failures). Files have labels, functions do not (fixes are mapped to
 * files), so this in-file order is a fixed weighting, not a trained model; docs/reference/predict.md says so.
 */
export function functionRows(analysis: CodeAnalysis, path: string, evidence: readonly ChaosEvidence[] = []): FunctionRow[] {
  const file = analysis.files.find((f) => f.path === path);
  if (!file) return [];
  const inFn = (line: number, fn: FunctionMetrics): boolean => line >= fn.line && line <= fn.endLine;
  // a line belongs to the innermost function containing it
  const owner = (line: number): FunctionMetrics | undefined => {
    let best: FunctionMetrics | undefined;
    for (const fn of file.functions) if (inFn(line, fn) && (!best || fn.endLine - fn.line < best.endLine - best.line)) best = fn;
    return best;
  };
  const smellsOf = new Map<FunctionMetrics, Smell[]>();
  for (const s of analysis.smells) {
    if (s.path !== path) continue;
    const fn = owner(s.line);
    if (fn) smellsOf.set(fn, [...(smellsOf.get(fn) ?? []), s]);
  }
  const evOf = new Map<FunctionMetrics, ChaosEvidence[]>();
  for (const e of evidence) {
    if (e.path !== path) continue;
    const fn = owner(e.line) ?? file.functions.find((f) => e.fn !== undefined && f.name === e.fn);
    if (fn) evOf.set(fn, [...(evOf.get(fn) ?? []), e]);
  }
  return file.functions
    .map((fn) => {
      const sm = smellsOf.get(fn) ?? [];
      const ev = evOf.get(fn) ?? [];
      const failures = ev.reduce((s, e) => s + e.count, 0);
      const raw = [fn.loc, fn.cyclomatic, fn.cognitive, fn.maxNesting, fn.params, sm.length, failures];
      const score = Math.log1p(fn.cyclomatic) + Math.log1p(fn.cognitive) + 0.5 * Math.log1p(fn.loc) + 0.5 * fn.maxNesting + sm.length + 2 * Math.log1p(failures);
      return { path, fn, raw, score, smells: sm, evidence: ev };
    })
    .sort((a, b) => b.score - a.score || a.fn.line - b.fn.line);
}
