import { describe, expect, it } from 'vitest';
import type { CommitInfo } from '../../../../src/core/analysis.js';
import { classifyCommit, detectFixes, issueRefs } from '../../../../src/analyze/git/fixes.js';

const src = [{ path: 'src/query/builder.ts', added: 3, deleted: 1 }];
function commit(subject: string, extra: Partial<CommitInfo> = {}): CommitInfo {
  return { sha: 'a'.repeat(40), parents: ['b'.repeat(40)], authorEmail: 'x@y', authorName: 'x', time: 1, subject, files: src, ...extra };
}

describe('classifyCommit', () => {
  const table: [string, string][] = [
    ['fix: handle null in where clause', 'fix conventional'],
    ['Fix: crash on empty array', 'fix conventional'],
    ['fix(mysql): escape identifiers (#10234)', 'fix conventional'],
    ['fix!: drop broken option', 'fix conventional'],
    ['hotfix(core): timeout never cleared', 'fix conventional'],
    ['Fixes #421 - pool leaks connections', 'fix keyword+ref'],
    ['Fixed race in reconnect (GH-77)', 'fix keyword+ref'],
    ['bug in date parsing, closes https://github.com/typeorm/typeorm/issues/99', 'fix keyword+ref'],
    ['Correct error message for bad config (fixes #12)', 'fix keyword+ref'],
    ['Fix crash when the body is empty', 'none no-ref'],
    ['Add prefix option to table names (#5)', 'none no-keyword'],
    ['Update test fixture for dates (#6)', 'none no-keyword'],
    ['Add debug logging (#7)', 'none no-keyword'],
    ['docs: fix broken link (#8)', 'none other-type'],
    ['test: fix flaky test (#9)', 'none other-type'],
    ['chore(deps): bump x to fix audit (#11)', 'none other-type'],
    ['fix typo in README (#13)', 'none cosmetic'],
    ['fix: lint errors', 'none cosmetic'],
    ['feat: support bigint (#14)', 'none no-keyword'],
  ];
  for (const [subject, expected] of table) {
    it(`${JSON.stringify(subject)} → ${expected}`, () => {
      const v = classifyCommit(commit(subject));
      expect(`${v.kind} ${v.kind === 'fix' ? v.reason : v.kind === 'none' ? v.why : ''}`.trim()).toBe(expected);
    });
  }
  it('records the refs', () => {
    expect(classifyCommit(commit('fix(pg): reconnect (#12, GH-3) see https://github.com/a/b/pull/4'))).toEqual({ kind: 'fix', reason: 'conventional', refs: ['#12', 'GH-3', 'https://github.com/a/b/pull/4'] });
    expect(issueRefs('issue#12 and C#7 are not refs, (#8) is')).toEqual(['#8']);
  });
  it('excludes merges, test-only, docs-only and very large commits, and marks reverts', () => {
    expect(classifyCommit(commit('fix: x (#1)', { parents: ['a', 'b'] }))).toEqual({ kind: 'none', why: 'merge' });
    expect(classifyCommit(commit('fix: x (#1)', { files: [{ path: 'test/a.test.ts', added: 1, deleted: 1 }, { path: 'docs/a.md', added: 1, deleted: 0 }] }))).toEqual({ kind: 'none', why: 'no-source' });
    const many = Array.from({ length: 51 }, (_, i) => ({ path: `src/f${i}.ts`, added: 1, deleted: 1 }));
    expect(classifyCommit(commit('fix: x (#1)', { files: many }))).toEqual({ kind: 'none', why: 'large' });
    expect(classifyCommit(commit('fix: x (#1)', { files: many }), { maxFiles: 60 }).kind).toBe('fix');
    expect(classifyCommit(commit('Revert "fix: x (#1)"'))).toEqual({ kind: 'revert', reverted: 'fix: x (#1)' });
  });
});

describe('detectFixes', () => {
  it('marks copies of the fix commits, links reverts to the reverted commit and counts the skipped', () => {
    const commits = [commit('fix: a (#1)', { sha: '1'.repeat(40) }), commit('docs: fix b (#2)', { sha: '2'.repeat(40) }), commit('Revert "fix: a (#1)"', { sha: '3'.repeat(40) })];
    const d = detectFixes(commits);
    expect(d.fixes).toBe(1);
    expect(d.commits[0]?.fix).toEqual({ reason: 'conventional', refs: ['#1'] });
    expect(commits[0]?.fix).toBeUndefined();
    expect(d.commits[1]?.fix).toBeUndefined();
    expect(d.reverts).toEqual([{ sha: '3'.repeat(40), reverted: 'fix: a (#1)', revertedSha: '1'.repeat(40) }]);
    expect(d.skipped.otherType).toBe(1);
  });
});
