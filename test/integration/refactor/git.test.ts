// The git operations that write to a user's tree (--apply, revert), on real repositories.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isFaultlineError } from '../../../src/core/errors.js';
import { applyKept } from '../../../src/refactor/engine/apply.js';
import { applyCommits, workingTreeChanges } from '../../../src/refactor/engine/git.js';

const ENV = { GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@x', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@x' };
let repo: string;
const git = (...args: string[]): string => {
  const r = spawnSync('git', ['-C', repo, ...args], { encoding: 'utf8', env: { ...process.env, ...ENV } });
  if (r.status !== 0) throw new Error(r.stderr);
  return r.stdout.trim();
};
const commit = (file: string, text: string, msg: string): string => {
  writeFileSync(join(repo, file), text);
  git('add', file);
  git('commit', '-q', '-m', msg);
  return git('rev-parse', 'HEAD');
};

beforeEach(() => {
  repo = mkdtempSync(join(tmpdir(), 'fl-refactor-git-'));
  git('init', '-q', '-b', 'main');
  commit('a.txt', 'a1\na2\na3\n', 'base');
  commit('b.txt', 'b1\n', 'base b');
});
afterEach(() => rmSync(repo, { recursive: true, force: true }));

describe('refactor engine: applying to the user branch', () => {
  it('cherry-picks the kept commits when HEAD moved since the run, leaving unverified ones out', async () => {
    git('checkout', '-q', '-b', 'faultline/refactor/r1');
    const kept1 = commit('a.txt', 'A1\na2\na3\n', 'fix 1');
    const unverified = commit('b.txt', 'B1\n', 'fix 2');
    const kept3 = commit('a.txt', 'A1\na2\nA3\n', 'fix 3');
    git('checkout', '-q', 'main');
    commit('c.txt', 'user work\n', 'meanwhile');
    const applied = await applyKept(repo, [
      { id: 'r1-01', outcome: 'kept', commit: kept1 },
      { id: 'r1-02', outcome: 'unverified', commit: unverified },
      { id: 'r1-03', outcome: 'kept', commit: kept3 },
    ], kept3);
    expect(applied?.method).toBe('cherry-pick');
    expect(applied?.commits.map((c) => c.fix)).toEqual(['r1-01', 'r1-03']);
    expect(git('log', '--format=%s', '-3')).toBe('fix 3\nfix 1\nmeanwhile');
    expect(applied?.commits[1]?.commit).toBe(git('rev-parse', 'HEAD'));
    expect(readFileSync(join(repo, 'a.txt'), 'utf8')).toBe('A1\na2\nA3\n');
    expect(readFileSync(join(repo, 'b.txt'), 'utf8')).toBe('b1\n');
  });

  it('a conflicting pick undoes every pick already made: the tree and HEAD are as before', async () => {
    git('checkout', '-q', '-b', 'faultline/refactor/r1');
    const k1 = commit('b.txt', 'B1\n', 'fix 1');
    const k2 = commit('a.txt', 'X1\na2\na3\n', 'fix 2');
    git('checkout', '-q', 'main');
    const head = commit('a.txt', 'user1\na2\na3\n', 'user edits the same line');
    writeFileSync(join(repo, 'untracked.txt'), 'mine\n');
    const e = await applyCommits(repo, [k1, k2], k2).catch((x: unknown) => x);
    expect(isFaultlineError(e, 'FL_ERR_REFACTOR_APPLY')).toBe(true);
    expect(git('rev-parse', 'HEAD')).toBe(head);
    expect(readFileSync(join(repo, 'b.txt'), 'utf8')).toBe('b1\n');
    expect(await workingTreeChanges(repo)).toEqual({ tracked: [], untracked: ['untracked.txt'] });
  });

  it('refuses a tree with a staged or unstaged change to a tracked file', async () => {
    git('checkout', '-q', '-b', 'faultline/refactor/r1');
    const k1 = commit('a.txt', 'A1\na2\na3\n', 'fix 1');
    git('checkout', '-q', 'main');
    writeFileSync(join(repo, 'b.txt'), 'staged\n');
    git('add', 'b.txt');
    const e = await applyKept(repo, [{ id: 'r1-01', outcome: 'kept', commit: k1 }], k1).catch((x: unknown) => x);
    expect(isFaultlineError(e, 'FL_ERR_REFACTOR_DIRTY_TREE')).toBe(true);
    expect(readFileSync(join(repo, 'a.txt'), 'utf8')).toBe('a1\na2\na3\n');
  });
});
