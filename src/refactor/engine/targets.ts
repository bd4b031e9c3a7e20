/**
 * What the engine fixes: a RefactorTarget is one place in the code with the recipes that may fix it, from a
 * resilience smell (analyze), a ranked failure point (predict) or a recorded run's recommendation (chaos).
 * The CLI converts those into targets (a stage may not import another stage); this module merges duplicates,
 * filters by confidence and the recipe allow-list, and orders by severity × confidence.
 */
export type Severity = 'high' | 'medium' | 'low';
export type TargetSource = 'smell' | 'prediction' | 'experiment';

/** How to re-run what exposed the failure, so verification can show the steady state now holds. */
export interface Exposure {
  runId: string;
  kind: string;
  title?: string;
  /** a failure card drilled by `faultline loop` */
  cardId?: string;
  /** the experiment file, repository-relative (re-run with `faultline run`) */
  file?: string;
  /** what the run recorded at this place (the evidence site's message) */
  message?: string;
}

export interface RefactorTarget {
  /** repository-relative, forward slashes */
  path: string;
  /** 1-based; the location at the base commit */
  line: number;
  col?: number;
  fn?: string;
  failureType?: string;
  /** candidate recipe ids in order; the first that applies is used */
  recipes: string[];
  /** 0..1 */
  confidence: number;
  severity: Severity;
  evidence: string[];
  source: TargetSource;
  exposedBy?: Exposure;
  /** other runs that exposed the same failure here (e.g. two cards): the fix must hold under each */
  alsoExposedBy?: Exposure[];
}

/**
 * The confidence a resilience smell gets: its location is certain (the detector saw the pattern), its
 * failure is not (the code may never meet the fault). 0.6 puts smells above the default threshold (0.5) and
 * below a failure point the model is sure of.
 */
export const DEFAULT_SMELL_CONFIDENCE = 0.6;
/** The confidence of a recommendation from a recorded run: the failure was observed. */
export const EXPOSED_CONFIDENCE = 0.9;
export const DEFAULT_MIN_CONFIDENCE = 0.5;
export const DEFAULT_MAX_FIXES = 10;

export const SEVERITY_WEIGHT: Readonly<Record<Severity, number>> = Object.freeze({ high: 3, medium: 2, low: 1 });

/** The severity of each smell kind (what happens when the fault meets it). */
export const SMELL_SEVERITY: Readonly<Record<string, Severity>> = Object.freeze({
  'no-timeout': 'high',
  'missing-error-listener': 'high',
  'floating-promise': 'high',
  'unguarded-json-parse': 'medium',
  'sync-io-on-request-path': 'medium',
  'unbounded-collection': 'medium',
  'swallowed-error': 'low',
});

/** The ordering score: severity weight × confidence. */
export function score(t: Pick<RefactorTarget, 'severity' | 'confidence'>): number {
  return SEVERITY_WEIGHT[t.severity] * t.confidence;
}

const SOURCE_RANK: Record<TargetSource, number> = { experiment: 0, prediction: 1, smell: 2 };
const maxSeverity = (a: Severity, b: Severity): Severity => (SEVERITY_WEIGHT[a] >= SEVERITY_WEIGHT[b] ? a : b);

function key(t: RefactorTarget): string {
  return `${t.path}:${t.line}`;
}

const sameExposure = (a: Exposure, b: Exposure): boolean => a.runId === b.runId && a.cardId === b.cardId && a.file === b.file && a.kind === b.kind;

/** Every run that exposed the target, the first one first. */
export function exposuresOf(t: Pick<RefactorTarget, 'exposedBy' | 'alsoExposedBy'>): Exposure[] {
  return t.exposedBy ? [t.exposedBy, ...(t.alsoExposedBy ?? [])] : [];
}

/** Two targets at one line are one fix when their recipes overlap (or one has none): a smell and the recommendation naming its recipe. */
const sameFix = (a: RefactorTarget, b: RefactorTarget): boolean => a.recipes.length === 0 || b.recipes.length === 0 || a.recipes.some((r) => b.recipes.includes(r));

/**
 * Merges targets at the same path:line whose recipes overlap (a smell that is also a predicted failure point,
 * exposed by a run): the highest confidence and severity, the evidence of all, the recipes of all (in source
 * order: a run's recommendation first, then the prediction's, then the smell's), the column of the one that
 * has it, every run that exposed it. Two runs recommending different recipes at one line stay two fixes.
 */
export function mergeTargets(targets: readonly RefactorTarget[]): RefactorTarget[] {
  const out = new Map<string, RefactorTarget[]>();
  const sorted = [...targets].sort((a, b) => SOURCE_RANK[a.source] - SOURCE_RANK[b.source]);
  for (const t of sorted) {
    const k = key(t);
    const here = out.get(k) ?? [];
    const prev = here.find((p) => sameFix(p, t));
    if (prev === undefined) {
      here.push({ ...t, recipes: [...new Set(t.recipes)], evidence: [...t.evidence], ...(t.alsoExposedBy ? { alsoExposedBy: [...t.alsoExposedBy] } : {}) });
      out.set(k, here);
      continue;
    }
    prev.confidence = Math.max(prev.confidence, t.confidence);
    prev.severity = maxSeverity(prev.severity, t.severity);
    prev.recipes = [...new Set([...prev.recipes, ...t.recipes])];
    prev.evidence = [...new Set([...prev.evidence, ...t.evidence])];
    if (prev.col === undefined && t.col !== undefined) prev.col = t.col;
    if (prev.fn === undefined && t.fn !== undefined) prev.fn = t.fn;
    if (prev.failureType === undefined && t.failureType !== undefined) prev.failureType = t.failureType;
    for (const e of exposuresOf(t)) {
      if (prev.exposedBy === undefined) prev.exposedBy = e;
      else if (!exposuresOf(prev).some((x) => sameExposure(x, e))) prev.alsoExposedBy = [...(prev.alsoExposedBy ?? []), e];
    }
  }
  return [...out.values()].flat();
}

export interface SelectOptions {
  minConfidence?: number;
  maxFixes?: number;
  /** allow-list of recipe ids */
  recipes?: readonly string[];
}

export interface Selection {
  selected: RefactorTarget[];
  dropped: { target: RefactorTarget; reason: string }[];
}

/**
 * Merges, filters and orders: confidence ≥ minConfidence, recipes cut to the allow-list, ordered by
 * severity × confidence (then exposed first, then path and line, so the order is stable), at most maxFixes.
 */
export function selectTargets(targets: readonly RefactorTarget[], o: SelectOptions = {}): Selection {
  const min = o.minConfidence ?? DEFAULT_MIN_CONFIDENCE;
  const max = o.maxFixes ?? DEFAULT_MAX_FIXES;
  const allow = o.recipes ? new Set(o.recipes) : undefined;
  const dropped: Selection['dropped'] = [];
  const kept: RefactorTarget[] = [];
  for (const t of mergeTargets(targets)) {
    if (t.confidence < min) {
      dropped.push({ target: t, reason: `confidence ${t.confidence.toFixed(2)} < --min-confidence ${min}` });
      continue;
    }
    const recipes = allow ? t.recipes.filter((r) => allow.has(r)) : t.recipes;
    if (recipes.length === 0) {
      dropped.push({ target: t, reason: t.recipes.length === 0 ? `no recipe addresses ${t.failureType ?? 'this failure'}` : `recipe(s) ${t.recipes.join(', ')} not in --recipes` });
      continue;
    }
    kept.push({ ...t, recipes });
  }
  kept.sort((a, b) => score(b) - score(a) || Number(b.exposedBy !== undefined) - Number(a.exposedBy !== undefined) || a.path.localeCompare(b.path) || a.line - b.line);
  for (const t of kept.slice(max)) dropped.push({ target: t, reason: `beyond --max-fixes ${max}` });
  return { selected: kept.slice(0, max), dropped };
}

export function describeTarget(t: Pick<RefactorTarget, 'path' | 'line' | 'col' | 'fn'>): string {
  return `${t.path}:${t.line}${t.col === undefined ? '' : ':' + t.col}${t.fn ? ` (${t.fn})` : ''}`;
}
