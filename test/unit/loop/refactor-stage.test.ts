import { describe, expect, it } from 'vitest';
import type { CheckResult, RefactorReport, RefactorTarget } from '../../../src/refactor/engine/index.js';
import { renderRefactor, summarizeRefactor } from '../../../src/loop/refactor-stage.js';

const check = (o: Partial<CheckResult>): CheckResult => ({ name: 'test', kind: 'test', ok: true, ms: 2000, exitCode: 0, timedOut: false, detail: 'exit 0', ...o });
const target = (o: Partial<RefactorTarget>): RefactorTarget => ({ path: 'src/pricing-client.ts', line: 25, col: 17, fn: 'fetchPrice', recipes: ['add-timeout'], confidence: 0.9, severity: 'high', evidence: [], source: 'experiment', ...o });
const card = 'card network-latency';

function report(): RefactorReport {
  return {
    runId: 'r1',
    repo: '/repo',
    baseCommit: 'abc',
    branch: 'faultline/refactor/r1',
    dryRun: false,
    noVerify: false,
    startedAt: '',
    endedAt: '',
    checks: [],
    baseline: [check({}), check({ name: card, kind: 'experiment', ok: false, exitCode: 0, detail: 'card network-latency: steady state violated: p99 319 ms, error rate 0.0 % while the fault was active' })],
    fixes: [
      {
        id: 'r1-01',
        nn: 1,
        target: target({ exposedBy: { runId: 'loop-1', kind: 'card', cardId: 'network-latency' } }),
        recipe: 'add-timeout',
        outcome: 'kept',
        checks: [check({}), check({ name: card, kind: 'experiment', detail: 'card network-latency: steady state held: p99 145 ms, error rate 0.0 % while the fault was active' })],
        experiment: { name: card, before: false, after: true },
        commit: 'e07c02a7e3aa',
        files: [],
        recipeMs: 1,
      },
      { id: 'r1-02', nn: 2, target: target({ path: 'src/store.ts', line: 24, fn: 'OrderStore.constructor', source: 'smell' }), recipe: 'guard-json-parse', outcome: 'reverted', reason: 'test failed after the change: exit 1\nmore', checks: [check({ ok: false })], files: [], recipeMs: 1 },
      { id: 'r1-03', nn: 3, target: target({ path: 'src/store.ts', line: 32, fn: 'OrderStore.add', source: 'smell' }), recipe: 'move-off-request-path', outcome: 'kept', checks: [check({})], commit: 'f00d', files: ['src/store.ts', 'src/api.ts'], recipeMs: 1 },
    ],
    dropped: [],
    summary: { considered: 3, attempted: 3, kept: 2, reverted: 1, skipped: 0, unverified: 0 },
    timing: { totalMs: 0, recipeMs: 0, checksMs: 0, gitMs: 0, baselineMs: 0 },
    notes: [],
    outDir: '/state/refactor/r1',
  };
}

describe('the loop refactor stage', () => {
  it('shows, per fix, the card that exposed it before and after the fix', () => {
    const s = summarizeRefactor(report());
    expect(s.fixes[0]).toEqual({
      id: 'r1-01',
      outcome: 'kept',
      recipe: 'add-timeout',
      at: 'src/pricing-client.ts:25:17 (fetchPrice)',
      commit: 'e07c02a7e3aa',
      exposedBy: 'card network-latency',
      before: 'violated: p99 319 ms, error rate 0.0 % while the fault was active',
      after: 'held: p99 145 ms, error rate 0.0 % while the fault was active',
    });
    expect(s.fixes[1]).toMatchObject({ outcome: 'reverted', reason: 'test failed after the change: exit 1' });
    expect(s.fixes[1]!.exposedBy).toBeUndefined();
    const text = renderRefactor(s, 'examples/shop');
    expect(text).toContain('refactor of examples/shop (run r1): 2 kept, 0 unverified, 1 reverted, 0 skipped of 3 candidates');
    expect(text).toContain('before the fix: violated: p99 319 ms');
    expect(text).toContain('after the fix:  held: p99 145 ms');
    expect(text).toContain('report: /state/refactor/r1/report.md');
    // a fix across files lists them; one that changes only its target's file does not
    expect(s.fixes[2]?.files).toEqual(['src/store.ts', 'src/api.ts']);
    expect(s.fixes[0]?.files).toBeUndefined();
    expect(text).toContain('             changes src/store.ts, src/api.ts');
  });

  it('says why it did not run', () => {
    expect(renderRefactor({ fixes: [], notes: [], error: { code: 'FL_ERR_REFACTOR_BASELINE', message: 'the test check fails\nat HEAD' } }, '.')).toBe('refactor of .: not run — FL_ERR_REFACTOR_BASELINE: the test check fails');
  });
});
