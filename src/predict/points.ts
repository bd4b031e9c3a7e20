/**
 * Failure points: files ranked by the calibrated probability of the predictor, then the riskiest functions
 * inside the top files (dataset.ts functionRows). Each point says which failure type is likely (from the
 * smells and chaos evidence at the location), how sure the model is, how severe (confidence × centrality),
 * why (evidence strings, top feature contributions) and which refactoring recipe addresses it.
 */
import type { CodeAnalysis, FailurePoint, FailureType, FileHistory, SmellKind } from '../core/analysis.js';
import { assertNever } from '../core/errors.js';
import { type ChaosEvidence, FILE_FEATURES, fileRows, functionRows, type RecentActivity } from './dataset.js';
import type { Predictor } from './train.js';

/** The failure a smell leads to when the code meets a fault. */
export function failureTypeOfSmell(kind: SmellKind): FailureType {
  switch (kind) {
    case 'no-timeout':
      return 'timeout';
    case 'unguarded-json-parse':
      return 'unhandled-error';
    case 'floating-promise':
      return 'unhandled-error';
    case 'swallowed-error':
      return 'data-corruption';
    case 'sync-io-on-request-path':
      return 'blocking-io';
    case 'unbounded-collection':
      return 'resource-leak';
    case 'missing-error-listener':
      return 'crash';
    default:
      return assertNever(kind, 'smell kind');
  }
}

/** The failure type chaos evidence of a fault kind points to (by the fault's name). */
export function failureTypeOfFault(faultKind: string): FailureType {
  const k = faultKind.toLowerCase();
  if (/latency|delay|timeout|stall|slow|bandwidth|blackhole/.test(k)) return 'timeout';
  if (/kill|crash|exit|abort|reset/.test(k)) return 'crash';
  if (/memory|leak|disk/.test(k)) return 'resource-leak';
  if (/cpu|block/.test(k)) return 'blocking-io';
  if (/corrupt|clock|skew|drift|time/.test(k)) return 'data-corruption';
  if (/null|return-value|empty/.test(k)) return 'null-value';
  return 'unhandled-error';
}

/** The recipe id of a smell when the analyzer did not attach one (same ids as the refactoring engine). */
const SMELL_RECIPES: Record<SmellKind, string> = {
  'no-timeout': 'add-timeout',
  'unguarded-json-parse': 'guard-json-parse',
  'floating-promise': 'await-or-catch-promise',
  'sync-io-on-request-path': 'async-io',
  'unbounded-collection': 'bound-collection',
  'missing-error-listener': 'add-error-listener',
  'swallowed-error': 'rethrow-or-log-error',
};

export interface PointsOptions {
  /** failure points to return (default 20) */
  top?: number;
  /** files whose functions are ranked (default: top) */
  files?: number;
  /** functions per file (default 3) */
  functionsPerFile?: number;
  evidence?: readonly ChaosEvidence[];
  recent?: ReadonlyMap<string, RecentActivity>;
}

export function severityOf(confidence: number, centrality: number): FailurePoint['severity'] {
  // centrality: PageRank × files (1 = an average file); central files weigh up to 2×
  const s = confidence * (1 + Math.min(1, Math.log1p(Math.max(0, centrality)) / Math.log(10)));
  return s >= 0.5 ? 'high' : s >= 0.2 ? 'medium' : 'low';
}

/** The calibrated probability of failure of every analysed file (for module-level scores such as the FIS), riskiest first. */
export function fileProbabilities(p: Predictor, analysis: CodeAnalysis, history: readonly FileHistory[], opts: Pick<PointsOptions, 'evidence' | 'recent'> = {}): { path: string; probability: number; loc: number }[] {
  const rows = fileRows(analysis, history, opts.evidence ?? [], opts.recent ? { recent: opts.recent } : {});
  const feats = p.model.features;
  return rows
    .map((r) => ({ path: r.path, probability: p.probability(feats.map((f) => r.x[FILE_FEATURES.indexOf(f)] ?? 0)), loc: r.loc }))
    .sort((a, b) => b.probability - a.probability || a.path.localeCompare(b.path));
}

/** Ranks the files of `analysis` with `p` and returns the failure points, riskiest first. */
export function failurePoints(p: Predictor, analysis: CodeAnalysis, history: readonly FileHistory[], opts: PointsOptions = {}): FailurePoint[] {
  const evidence = opts.evidence ?? [];
  const rows = fileRows(analysis, history, evidence, opts.recent ? { recent: opts.recent } : {});
  const feats = p.model.features;
  const col = (name: string): number => FILE_FEATURES.indexOf(name);
  const scored = rows
    .map((r) => {
      const x = feats.map((f) => r.x[col(f)] ?? 0);
      return { r, x, confidence: p.probability(x), raw: p.model.predict(x) };
    })
    .sort((a, b) => b.raw - a.raw || a.r.loc - b.r.loc);
  const nFiles = opts.files ?? opts.top ?? 20;
  const out: FailurePoint[] = [];
  for (const s of scored.slice(0, nFiles)) {
    const contrib = p.model.explain(s.x);
    const topFeatures = feats
      .map((name, j) => ({ name, value: s.r.raw[col(name)] ?? 0, contribution: contrib[j] as number }))
      .filter((f) => f.contribution > 0)
      .sort((a, b) => b.contribution - a.contribution)
      .slice(0, 5);
    const centrality = s.r.raw[col('pageRank')] ?? 0;
    const fileEvidence = historyEvidence(s.r.raw);
    const fns = functionRows(analysis, s.r.path, evidence).slice(0, opts.functionsPerFile ?? 3);
    if (fns.length === 0) {
      const fileSmells = analysis.smells.filter((sm) => sm.path === s.r.path);
      out.push({
        path: s.r.path,
        line: fileSmells[0]?.line ?? 1,
        failureType: fileSmells[0] ? failureTypeOfSmell(fileSmells[0].kind) : 'logic',
        confidence: s.confidence,
        severity: severityOf(s.confidence, centrality),
        topFeatures,
        evidence: [...fileSmells.map((sm) => `${sm.kind} at line ${sm.line}: ${sm.message}`), ...fileEvidence],
        ...(fileSmells[0] ? { recipe: fileSmells[0].recipe ?? SMELL_RECIPES[fileSmells[0].kind] } : {}),
      });
      continue;
    }
    for (const f of fns) {
      const smellsHere = f.smells;
      const firstSmell = smellsHere[0];
      const topEvidence = [...f.evidence].sort((a, b) => b.count - a.count)[0];
      const failureType: FailureType = firstSmell ? failureTypeOfSmell(firstSmell.kind) : topEvidence ? failureTypeOfFault(topEvidence.faultKind) : 'logic';
      out.push({
        path: s.r.path,
        line: firstSmell?.line ?? topEvidence?.line ?? f.fn.line,
        fn: f.fn.name,
        failureType,
        confidence: s.confidence,
        severity: severityOf(s.confidence, centrality),
        topFeatures,
        evidence: [
          ...smellsHere.map((sm) => `${sm.kind} at line ${sm.line}: ${sm.message}`),
          ...f.evidence.map((e) => `failed ${e.count}× under ${e.faultKind} at line ${e.line}`),
          `cyclomatic ${f.fn.cyclomatic}, cognitive ${f.fn.cognitive}, ${f.fn.loc} lines`,
          ...fileEvidence,
        ],
        ...(firstSmell ? { recipe: firstSmell.recipe ?? SMELL_RECIPES[firstSmell.kind] } : {}),
      });
    }
  }
  return out.slice(0, opts.top ?? 20);
}

function historyEvidence(raw: readonly number[]): string[] {
  const v = (name: string): number => raw[FILE_FEATURES.indexOf(name)] ?? 0;
  const out: string[] = [];
  if (v('fixes') > 0) out.push(`${v('fixes')} past fix commits touched the file`);
  if (v('bugInducing') > 0) out.push(`${v('bugInducing')} of its changes induced later fixes (SZZ)`);
  if (v('churn90') > 0) out.push(`${v('churn90')} lines changed in the last 90 days by ${v('recentAuthors')} recent authors`);
  if (v('chaosFailures') > 0) out.push(`failed ${v('chaosFailures')}× under chaos`);
  return out;
}
