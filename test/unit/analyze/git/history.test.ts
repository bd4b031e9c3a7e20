import { describe, expect, it } from 'vitest';
import type { CommitFileChange, CommitInfo, SzzSummary } from '../../../../src/core/analysis.js';
import { defectLabels, latestCutoff } from '../../../../src/analyze/git/labels.js';
import { fileHistoryAt } from '../../../../src/analyze/git/history.js';
import { commitFeatures, diffFeatures, parseUnifiedDiff } from '../../../../src/analyze/git/jit.js';
import { isFaultlineError } from '../../../../src/core/errors.js';

const DAY = 86_400;
const T = 1_000 * DAY;
let n = 0;
function c(day: number, author: string, files: CommitFileChange[], fix = false): CommitInfo {
  const sha = (++n).toString(16).padStart(40, '0');
  return { sha, parents: [], authorEmail: author, authorName: author, time: T + day * DAY, subject: fix ? 'fix: x' : 'feat: x', files, ...(fix ? { fix: { reason: 'conventional', refs: [] } } : {}) };
}
const ch = (path: string, added: number, deleted = 0, extra: Partial<CommitFileChange> = {}): CommitFileChange => ({ path, added, deleted, ...extra });

// a.ts created day -400 by ann, changed day -60 by bob and day -10 (fix) by ann, renamed to b.ts on day -5;
// gone.ts created and deleted; late.ts after the cut-off
const c1 = c(-400, 'ann', [ch('src/a.ts', 100, 0, { status: 'added' }), ch('src/gone.ts', 5, 0, { status: 'added' })]);
const c2 = c(-60, 'bob', [ch('src/a.ts', 10, 4)]);
const c3 = c(-10, 'ann', [ch('src/a.ts', 2, 2)], true);
const c4 = c(-5, 'bob', [ch('src/b.ts', 0, 0, { oldPath: 'src/a.ts' }), ch('src/gone.ts', 0, 5, { status: 'deleted' })]);
const c5 = c(30, 'cy', [ch('src/b.ts', 1, 1), ch('src/late.ts', 9, 0, { status: 'added' })]);
const c6 = c(40, 'cy', [ch('src/c.ts', 1, 1, { oldPath: 'src/b.ts' })], true);
const c7 = c(100, 'ann', [ch('src/x.ts', 1, 0, { status: 'added' })]);
const c8 = c(400, 'ann', [ch('README.md', 1, 0)]);
const commits = [c1, c2, c3, c4, c5, c6, c7, c8];
// SZZ: the fix c3 blamed c2; the fix c6 (after T, on src/c.ts, named src/b.ts at T) blamed c1 and c5
const szz: SzzSummary = {
  fixes: 2,
  traced: 2,
  untraceable: 0,
  results: [
    { fix: c3.sha, path: 'src/a.ts', inducing: [{ sha: c2.sha, time: c2.time, lines: [3] }] },
    { fix: c6.sha, path: 'src/b.ts', inducing: [{ sha: c1.sha, time: c1.time, lines: [1] }, { sha: c5.sha, time: c5.time, lines: [2] }] },
  ],
};

describe('fileHistoryAt', () => {
  it('counts only commits before the cut-off, follows the rename, drops deleted files', () => {
    const h = fileHistoryAt(commits, szz, T);
    expect(h).toEqual([
      {
        path: 'src/b.ts',
        commits: 4,
        linesAdded: 112,
        linesDeleted: 6,
        churn30: 4,
        churn90: 18,
        churn365: 18,
        commits90: 3,
        authors: 2,
        recentAuthors: 2,
        ageDays: 400,
        daysSinceChange: 5,
        fixes: 1,
        bugInducing: 1,
      },
    ]);
  });
  it('a commit counts as bug-inducing only once its fix is before the cut-off', () => {
    expect(fileHistoryAt(commits, szz, T - 20 * DAY)[0]?.bugInducing).toBe(0);
    expect(fileHistoryAt(commits, szz, T + 50 * DAY).find((f) => f.path === 'src/c.ts')?.bugInducing).toBe(3);
  });
});

describe('defectLabels', () => {
  it('labels files at T holding lines fixed in the window (SZZ) and files touched by a fix, named as at T', () => {
    const l = defectLabels(commits, szz, { cutoff: T, horizonDays: 60, settleDays: 90 });
    expect(l).toMatchObject({ cutoff: T, windowStart: T, windowEnd: T + 60 * DAY, complete: true, fixesInWindow: 1, files: 1, szz: ['src/b.ts'], touched: ['src/b.ts'] });
  });
  it('leaves out fixes before the window and files created after T; cuts the window at the settle period', () => {
    expect(defectLabels(commits, szz, { cutoff: T, gapDays: 45, horizonDays: 60 }).szz).toEqual([]);
    const cut = defectLabels(commits, szz, { cutoff: T, horizonDays: 365, settleDays: 350 });
    expect(cut.complete).toBe(false);
    expect(cut.windowEnd).toBe(T + 50 * DAY);
    expect(latestCutoff(commits, { horizonDays: 100, settleDays: 100 })).toBe(T + 200 * DAY);
    expect(() => defectLabels(commits, szz, { cutoff: T, horizonDays: -1 })).toThrowError(/horizonDays/);
  });
});

describe('commitFeatures (JIT)', () => {
  it('computes size, spread, history and experience from earlier commits, and the SZZ label', () => {
    const rows = commitFeatures(commits, szz);
    expect(rows.map((r) => r.sha)).toEqual([c1, c2, c3, c4, c5, c6, c7].map((x) => x.sha));
    const r2 = rows[1];
    expect(r2).toMatchObject({ la: 10, ld: 4, lt: 100, ns: 1, nd: 1, nf: 1, entropy: 0, ndev: 1, age: 340, nuc: 1, exp: 0, rexp: 0, sexp: 0, fix: false, buggy: true });
    const r3 = rows[2];
    expect(r3).toMatchObject({ lt: 106, ndev: 2, nuc: 2, exp: 1, sexp: 1, fix: true, buggy: false });
    expect(r3?.rexp).toBeCloseTo(1 / 2); // ann's one earlier commit is 390 days old
    const r5 = rows[4];
    expect(r5).toMatchObject({ la: 10, ld: 1, nf: 2, ndev: 2, buggy: true });
    expect(r5?.entropy).toBeCloseTo(-(2 / 11) * Math.log2(2 / 11) - (9 / 11) * Math.log2(9 / 11));
  });
  it('scores an uncommitted diff against the history', () => {
    const diff = ['diff --git a/src/c.ts b/src/c.ts', 'index 1..2 100644', '--- a/src/c.ts', '+++ b/src/c.ts', '@@ -1,3 +1,4 @@', ' keep', '-old', '+new', '+more', ' keep', 'diff --git a/lib/n.ts b/lib/n.ts', 'new file mode 100644', '--- /dev/null', '+++ b/lib/n.ts', '@@ -0,0 +1 @@', '+x', '\\ No newline at end of file'].join('\n');
    expect(parseUnifiedDiff(diff)).toEqual([{ path: 'src/c.ts', added: 2, deleted: 1 }, { path: 'lib/n.ts', added: 1, deleted: 0, status: 'added' }]);
    const f = diffFeatures(diff, commits, { author: 'CY', time: T + 500 * DAY });
    expect(f).toMatchObject({ sha: 'diff', la: 3, ld: 1, lt: 106, ns: 2, nd: 2, nf: 2, ndev: 3, exp: 2, sexp: 2, fix: false });
    expect(f.buggy).toBeUndefined();
  });
  it('rejects text that is not a unified diff with FL_ERR_DIFF_PARSE', () => {
    expect(() => parseUnifiedDiff('hello')).toThrow(expect.objectContaining({ code: 'FL_ERR_DIFF_PARSE' }));
    let err: unknown;
    try {
      parseUnifiedDiff('--- a/x\n+++ b/x\n@@ -1,2 +1,2 @@\n-a\n');
    } catch (e) {
      err = e;
    }
    expect(isFaultlineError(err, 'FL_ERR_DIFF_PARSE')).toBe(true);
  });
});
