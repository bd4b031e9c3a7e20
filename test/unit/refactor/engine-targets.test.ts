import { describe, expect, it } from 'vitest';
import { DEFAULT_SMELL_CONFIDENCE, mergeTargets, type RefactorTarget, score, selectTargets } from '../../../src/refactor/engine/targets.js';
import { fromFailurePoint, fromSmell } from '../../../src/refactor/engine/sources.js';

const t = (o: Partial<RefactorTarget>): RefactorTarget => ({ path: 'src/a.ts', line: 1, recipes: ['add-timeout'], confidence: 0.7, severity: 'medium', evidence: [], source: 'prediction', ...o });

describe('refactor engine: targets', () => {
  it('orders by severity × confidence, then exposed first, then path and line', () => {
    const sel = selectTargets([
      t({ path: 'a', line: 1, severity: 'low', confidence: 0.9 }), // 0.9
      t({ path: 'b', line: 1, severity: 'high', confidence: 0.5 }), // 1.5
      t({ path: 'c', line: 1, severity: 'medium', confidence: 0.75 }), // 1.5, exposed
      t({ path: 'c', line: 9, severity: 'medium', confidence: 0.75, exposedBy: { runId: 'r1', kind: 'experiment' } }),
    ]);
    expect(sel.selected.map((x) => `${x.path}:${x.line}`)).toEqual(['c:9', 'b:1', 'c:1', 'a:1']);
    expect(score(sel.selected[1] as RefactorTarget)).toBeCloseTo(1.5);
  });

  it('drops targets under --min-confidence, outside --recipes and beyond --max-fixes, each with its reason', () => {
    const sel = selectTargets(
      [t({ line: 1, confidence: 0.2 }), t({ line: 2, recipes: ['guard-json-parse'] }), t({ line: 3 }), t({ line: 4 }), t({ line: 5, recipes: [] })],
      { minConfidence: 0.5, recipes: ['add-timeout'], maxFixes: 1 },
    );
    expect(sel.selected.map((x) => x.line)).toEqual([3]);
    const reasons = Object.fromEntries(sel.dropped.map((d) => [d.target.line, d.reason]));
    expect(reasons[1]).toMatch(/confidence 0.20 < --min-confidence 0.5/);
    expect(reasons[2]).toMatch(/not in --recipes/);
    expect(reasons[4]).toMatch(/beyond --max-fixes 1/);
    expect(reasons[5]).toMatch(/no recipe/);
  });

  it('keeps two targets at one line apart when their recipes do not overlap, and merges the runs that exposed one fix', () => {
    const a = t({ line: 7, recipes: ['add-timeout'], source: 'experiment', exposedBy: { runId: 'r', kind: 'card', cardId: 'network-latency' } });
    const b = t({ line: 7, recipes: ['route-to-fallback'], source: 'experiment', exposedBy: { runId: 'r', kind: 'card', cardId: 'dependency-errors' } });
    const c = t({ line: 7, recipes: ['route-to-fallback'], source: 'experiment', exposedBy: { runId: 'r', kind: 'card', cardId: 'corrupt-response' } });
    const again = t({ line: 7, recipes: ['route-to-fallback'], source: 'experiment', exposedBy: { runId: 'r', kind: 'card', cardId: 'dependency-errors' } });
    const merged = mergeTargets([a, b, c, again]);
    expect(merged.map((m) => [m.recipes, m.exposedBy?.cardId, m.alsoExposedBy?.map((e) => e.cardId) ?? []])).toEqual([
      [['add-timeout'], 'network-latency', []],
      [['route-to-fallback'], 'dependency-errors', ['corrupt-response']],
    ]);
    // a failure point without a recipe of its own joins whichever target is first at its line
    expect(mergeTargets([a, t({ line: 7, recipes: [] })])).toHaveLength(1);
  });

  it('merges a smell and a failure point at the same line: max confidence and severity, union of evidence and recipes', () => {
    const smell = fromSmell({ kind: 'no-timeout', path: 'src/a.ts', line: 4, col: 10, message: 'fetch without a timeout', recipe: 'add-timeout' });
    expect(smell.confidence).toBe(DEFAULT_SMELL_CONFIDENCE);
    expect(smell.severity).toBe('high');
    const fp = fromFailurePoint({ path: 'src/a.ts', line: 4, failureType: 'timeout', confidence: 0.8, severity: 'medium', topFeatures: [], evidence: ['3 fixes'] }, (ft) => (ft === 'timeout' ? ['add-timeout', 'add-retry'] : []));
    const [m, ...rest] = mergeTargets([smell, fp]);
    expect(rest).toEqual([]);
    expect(m).toMatchObject({ path: 'src/a.ts', line: 4, col: 10, confidence: 0.8, severity: 'high', source: 'prediction', failureType: 'timeout', recipes: ['add-timeout', 'add-retry'] });
    expect(m?.evidence).toEqual(['3 fixes', 'smell no-timeout: fetch without a timeout']);
  });

  it('a failure point without a recipe gets the recipes addressing its failure type', () => {
    const fp = fromFailurePoint({ path: 'x.ts', line: 2, failureType: 'unhandled-error', confidence: 0.6, severity: 'high', topFeatures: [{ name: 'churn90', value: 12.345, contribution: 0.2 }], evidence: [] }, () => ['await-or-catch', 'handle-error']);
    expect(fp.recipes).toEqual(['await-or-catch', 'handle-error']);
    expect(fp.evidence).toEqual(['churn90 = 12.35']);
  });
});
