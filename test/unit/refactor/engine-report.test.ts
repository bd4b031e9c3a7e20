import { describe, expect, it } from 'vitest';
import { renderMarkdown, renderText, type RefactorReport } from '../../../src/refactor/engine/report.js';

const report: RefactorReport = {
  runId: 'r1',
  repo: '/repo',
  baseCommit: 'abcdef0123456789'.repeat(2) + 'abcdef01',
  branch: 'faultline/refactor/r1',
  dryRun: false,
  noVerify: false,
  startedAt: '2024-05-01T10:00:00.000Z',
  endedAt: '2024-05-01T10:01:00.000Z',
  checks: [
    { name: 'test', kind: 'test', command: 'npm test' },
    { name: 'experiment exp.yaml', kind: 'experiment', command: 'faultline run exp.yaml' },
  ],
  baseline: [
    { name: 'test', kind: 'test', ok: true, ms: 900, exitCode: 0, timedOut: false, detail: 'exit 0' },
    { name: 'experiment exp.yaml', kind: 'experiment', ok: false, ms: 5000, exitCode: 1, timedOut: false, detail: 'exit 1' },
  ],
  fixes: [
    {
      id: 'r1-01',
      nn: 1,
      target: { path: 'src/a.ts', line: 3, recipes: ['guard-json-parse'], confidence: 0.9, severity: 'high', evidence: ['run x: SyntaxError | bad'], source: 'experiment', exposedBy: { runId: 'x', kind: 'experiment' } },
      recipe: 'guard-json-parse',
      outcome: 'kept',
      checks: [
        { name: 'test', kind: 'test', ok: true, ms: 1000, exitCode: 0, timedOut: false, detail: 'exit 0' },
        { name: 'experiment exp.yaml', kind: 'experiment', ok: true, ms: 5000, exitCode: 0, timedOut: false, detail: 'exit 0' },
      ],
      experiment: { name: 'experiment exp.yaml', before: false, after: true },
      commit: '1234567890abcdef',
      diff: '--- a/src/a.ts\n+++ b/src/a.ts\n@@ -3 +3 @@\n-JSON.parse(x)\n+parseJson(x)\n',
      files: ['src/a.ts'],
      recipeMs: 3,
    },
    { id: 'r1-02', nn: 2, target: { path: 'src/b.ts', line: 8, recipes: ['add-timeout'], confidence: 0.6, severity: 'medium', evidence: [], source: 'smell' }, recipe: 'add-timeout', outcome: 'skipped', reason: 'add-timeout: the call already has a signal', checks: [], files: [], recipeMs: 1 },
  ],
  dropped: [],
  summary: { considered: 2, attempted: 2, kept: 1, reverted: 0, skipped: 1, unverified: 0 },
  timing: { totalMs: 1, recipeMs: 1, checksMs: 1, gitMs: 1, baselineMs: 1 },
  notes: ['the working tree has 1 uncommitted change(s)'],
};

describe('refactor engine: report', () => {
  it('renders a pull-request description: a row per fix with failure point, recipe, evidence, checks and the experiment before/after', () => {
    const md = renderMarkdown(report);
    const rows = md.split('\n').filter((l) => l.startsWith('| r1-'));
    expect(rows).toHaveLength(2);
    expect(rows[0]).toBe(
      '| r1-01 | ✅ kept `1234567890` | failure exposed by run x at src/a.ts:3, confidence 0.90, severity high | guard-json-parse | run x: SyntaxError \\| bad | test: passed (1.0 s)<br>experiment exp.yaml: steady state violated before the fix, held after (5.0 s) | experiment exp.yaml: violated before → held after |',
    );
    expect(rows[1]).toContain('| ⏭️ skipped | resilience smell at src/b.ts:8, confidence 0.60, severity medium | add-timeout | — | add-timeout: the call already has a signal | — |');
    expect(md).toContain('| experiment exp.yaml | `faultline run exp.yaml` | steady state violated (expected) |');
    expect(md).toContain('```diff\n--- a/src/a.ts');
    expect(md).toContain('> the working tree has 1 uncommitted change(s)');
  });

  it('the terminal summary counts outcomes and names the branch', () => {
    const text = renderText(report);
    expect(text.split('\n')[0]).toBe('refactor r1: 1 kept, 0 unverified, 0 reverted, 1 skipped (of 2 candidates, 0 not selected)');
    expect(text).toContain('branch: faultline/refactor/r1');
    expect(text).toContain('baseline experiment exp.yaml: steady state violated (5000 ms)');
  });
});

describe('refactor engine: an experiment check before and after the fix', () => {
  it('the terminal summary shows the verdict and what was measured on the untouched code and after the fix', () => {
    const measuredReport: RefactorReport = {
      ...report,
      baseline: [report.baseline[0]!, { ...report.baseline[1]!, detail: 'steady state violated: p99 686 ms, error rate 0.0 % while the fault was active; probe "p99-under-500ms" (after) = 809.5\n{"json":1}' }],
      fixes: [{ ...report.fixes[0]!, checks: [report.fixes[0]!.checks[0]!, { ...report.fixes[0]!.checks[1]!, detail: 'steady state held: p99 152 ms, error rate 0.0 % while the fault was active' }] }],
    };
    const text = renderText(measuredReport);
    expect(text).toContain('baseline experiment exp.yaml: steady state violated (p99 686 ms, error rate 0.0 % while the fault was active; probe "p99-under-500ms" (after) = 809.5) (5000 ms)');
    expect(text).toContain(
      'experiment exp.yaml: steady state violated before the fix (p99 686 ms, error rate 0.0 % while the fault was active; probe "p99-under-500ms" (after) = 809.5), held after (p99 152 ms, error rate 0.0 % while the fault was active) (5.0 s)',
    );
    // an unjudged check (exit code only) keeps the plain verdicts
    expect(renderText(report)).toContain('experiment exp.yaml: steady state violated before the fix, held after (5.0 s)');
  });
});
