/**
 * The only two operations that write to the user's working tree, both refused on a tree with uncommitted
 * changes to tracked files: `--apply` (the kept fixes onto the current branch) and `refactor revert <id>` of a
 * fix that was applied. Reverting a fix that is only on the refactor branch happens in a temporary worktree.
 */
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FaultlineError } from '../../core/errors.js';
import type { RefactorRecord } from '../../store/refactors.js';
import { addWorktreeOnBranch, applyCommits, branchExists, currentBranch, headCommit, isAncestor, removeWorktree, revertCommit, workingTreeChanges } from './git.js';

/** FL_ERR_REFACTOR_DIRTY_TREE unless no tracked file has uncommitted changes. */
export async function assertClean(repo: string, what: string): Promise<void> {
  const { tracked } = await workingTreeChanges(repo);
  if (tracked.length > 0) {
    throw new FaultlineError('FL_ERR_REFACTOR_DIRTY_TREE', `${what} needs a clean working tree, and ${tracked.length} tracked file(s) have uncommitted changes (${tracked.slice(0, 5).join(', ')}${tracked.length > 5 ? ', …' : ''}); commit or stash them first — faultline never writes over them`, { context: { files: tracked } });
  }
}

export interface Applied {
  branch: string;
  method: 'fast-forward' | 'cherry-pick';
  /** fix id → commit on the current branch */
  commits: { fix: string; commit: string }[];
}

/**
 * Brings the kept (verified) fixes onto the checked-out branch: a fast-forward when they are the whole refactor
 * branch and HEAD has not moved, else a cherry-pick of each in order. Unverified fixes stay on the refactor branch.
 */
export async function applyKept(repo: string, fixes: readonly { id: string; outcome: string; commit?: string }[], branchTip: string): Promise<Applied | undefined> {
  const kept = fixes.filter((f) => f.outcome === 'kept' && f.commit !== undefined);
  if (kept.length === 0) return undefined;
  await assertClean(repo, '--apply');
  const branch = (await currentBranch(repo)) ?? `(detached at ${(await headCommit(repo)).slice(0, 10)})`;
  const r = await applyCommits(repo, kept.map((f) => f.commit as string), branchTip);
  return { branch, method: r.method, commits: kept.map((f) => ({ fix: f.id, commit: r.applied.get(f.commit as string) as string })) };
}

export interface Reverted {
  commit: string;
  on: 'refactor-branch' | 'current-branch';
}

/**
 * Undoes one fix: `git revert` of its applied commit on the current branch (clean tree only) when it was
 * applied there, else a revert commit on the refactor branch made in a temporary worktree.
 */
export async function revertFix(repo: string, r: RefactorRecord): Promise<Reverted> {
  if (r.revertedBy) throw new FaultlineError('FL_ERR_INVALID_ARGUMENT', `fix ${r.id} was already reverted by ${r.revertedBy.commit.slice(0, 10)} on the ${r.revertedBy.on}`, { context: { id: r.id } });
  if (r.commit === undefined) throw new FaultlineError('FL_ERR_INVALID_ARGUMENT', `fix ${r.id} was ${r.outcome}${r.reason ? ` (${r.reason.split('\n')[0]})` : ''}: it made no commit, so there is nothing to revert`, { context: { id: r.id } });
  if (r.appliedCommit && (await isAncestor(repo, r.appliedCommit, 'HEAD'))) {
    await assertClean(repo, `refactor revert ${r.id}`);
    return { commit: await revertCommit(repo, r.appliedCommit), on: 'current-branch' };
  }
  if (!(await branchExists(repo, r.branch))) throw new FaultlineError('FL_ERR_REFACTOR_APPLY', `the refactor branch ${r.branch} of fix ${r.id} no longer exists, and the fix is not on the current branch`, { context: { id: r.id } });
  const dir = join(tmpdir(), `faultline-revert-${r.id}-${randomBytes(3).toString('hex')}`);
  await addWorktreeOnBranch(repo, dir, r.branch);
  try {
    return { commit: await revertCommit(dir, r.commit), on: 'refactor-branch' };
  } finally {
    await removeWorktree(repo, dir);
  }
}
